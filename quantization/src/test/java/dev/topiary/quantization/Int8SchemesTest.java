package dev.topiary.quantization;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Random;
import org.junit.Test;

/** Int8Schemes: parameter choice by hand and on random ranges, weight and bias quantization. */
public class Int8SchemesTest {
  @Test
  public void activationByHand() {
    // [−1, 1]: scale 2/255; zp from min = −128 + 127.5 = −0.5, from max = 127 − 127.5 = −0.5, both
    // errors 255.5 → from max: −0.5 rounds (half away) to −1.
    QuantParams p = Int8Schemes.activation(-1f, 1f);
    assertEquals(2f / 255f, p.scale(0), 0f);
    assertEquals(-1, p.zeroPoint(0));
    // [0, 6] (RELU6): scale 6/255, zp from min = −128 exactly.
    p = Int8Schemes.activation(0f, 6f);
    assertEquals((float) (6.0 / 255), p.scale(0), 0f);
    assertEquals(-128, p.zeroPoint(0));
    // [2, 5] is widened to [0, 5].
    p = Int8Schemes.activation(2f, 5f);
    assertEquals((float) (5.0 / 255), p.scale(0), 0f);
    assertEquals(-128, p.zeroPoint(0));
    // [−4, 0]: zp from max = 127.
    assertEquals(127, Int8Schemes.activation(-4f, 0f).zeroPoint(0));
    // All zeros.
    assertEquals(QuantParams.perTensor(1f, 0), Int8Schemes.activation(0f, 0f));
  }

  @Test
  public void activationRepresentsZeroAndCoversTheRange() {
    Random r = new Random(5);
    for (int t = 0; t < 10_000; t++) {
      float a = (r.nextFloat() - 0.5f) * 20;
      float b = a + r.nextFloat() * 30;
      QuantParams p = Int8Schemes.activation(a, b);
      assertEquals(0f, p.dequantize(p.zeroPoint(0), 0), 0f);
      assertTrue(p.zeroPoint(0) >= -128 && p.zeroPoint(0) <= 127);
      // Both ends within half a step after quantization.
      for (float v : new float[] {Math.min(a, 0), Math.max(b, 0)}) {
        float back = p.dequantize(p.quantize(v, 0, -128, 127), 0);
        assertEquals(v, back, p.scale(0) * 0.51f);
      }
    }
  }

  @Test
  public void activationRejectsBadRanges() {
    try {
      Int8Schemes.activation(1f, 0f);
      fail();
    } catch (IllegalArgumentException e) {
      assertEquals("need a finite range min <= max, got [1.0, 0.0]", e.getMessage());
    }
  }

  @Test
  public void symmetricWeights() {
    float[] w = {1f, -2f, 0.5f, 0f, 0f, 0f, 0.254f, -0.127f, 0f};
    QuantParams p = Int8Schemes.symmetricPerChannel(w, 3);
    assertEquals(0, p.axis());
    assertArrayEquals(new float[] {2f / 127, 1f, 0.254f / 127}, p.scales(), 0f);
    assertArrayEquals(new int[3], p.zeroPoints());
    // 1 / (2/127) = 63.5 → 64 (half away); −2 → −127; 0.5 → 31.75 → 32; −0.127/(0.002) = −63.5 → −64.
    assertArrayEquals(new byte[] {64, -127, 32, 0, 0, 0, 127, -64, 0}, Int8Schemes.quantize(w, p, -127, 127));
  }

  @Test
  public void biasByHand() {
    QuantParams w = QuantParams.perAxis(new float[] {0.5f, 0.25f}, new int[2], 0);
    // scales 0.1·0.5 = 0.05 and 0.1·0.25 = 0.025: 1/0.05 = 20, −0.0625/0.025 = −2.5 → −3.
    assertArrayEquals(new float[] {0.1f * 0.5f, 0.1f * 0.25f}, Int8Schemes.biasScales(0.1f, w), 0f);
    assertArrayEquals(new int[] {20, -3}, Int8Schemes.quantizeBias(new float[] {1f, -0.0625f}, 0.1f, w));
    // Saturation.
    assertArrayEquals(new int[] {Integer.MAX_VALUE, Integer.MIN_VALUE},
        Int8Schemes.quantizeBias(new float[] {1e30f, -1e30f}, 0.1f, w));
  }

  /** Infinities saturate (the zero point is added after clamping to the int range), NaN gives the zero point. */
  @Test
  public void quantizeSaturatesInfinitiesWhateverTheZeroPoint() {
    for (int zp : new int[] {-100, -1, 0, 1, 100}) {
      QuantParams q = QuantParams.perTensor(0.1f, zp);
      assertEquals("+inf, zp " + zp, 127, q.quantize(Float.POSITIVE_INFINITY, 0, -128, 127));
      assertEquals("-inf, zp " + zp, -128, q.quantize(Float.NEGATIVE_INFINITY, 0, -128, 127));
      assertEquals("max, zp " + zp, 127, q.quantize(Float.MAX_VALUE, 0, -128, 127));
      assertEquals("NaN, zp " + zp, zp, q.quantize(Float.NaN, 0, -128, 127));
    }
  }
}
