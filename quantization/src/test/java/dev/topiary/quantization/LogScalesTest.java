package dev.topiary.quantization;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.Test;

public class LogScalesTest {
  @Test
  public void tableHoldsTheNearestFloatToEachPowerOfTwo() {
    for (int j = 0; j < LogScales.STEPS_PER_OCTAVE; j++) {
      double exact = Math.pow(2, -j / 32.0);
      float t = LogScales.fraction(j);
      // nearest: no neighbouring float is closer to 2^(−j/32) (double is precise enough here)
      double err = Math.abs(t - exact);
      assertTrue("T[" + j + "]", err <= Math.abs(Math.nextUp(t) - exact));
      assertTrue("T[" + j + "]", err <= Math.abs(Math.nextDown(t) - exact));
    }
  }

  @Test
  public void decodeIsTheOnceRoundedExactProduct() {
    Random r = new Random(7);
    for (int trial = 0; trial < 2000; trial++) {
      float max = Float.intBitsToFloat(0x30000000 + r.nextInt(0x10000000));
      int k = r.nextInt(256);
      BigDecimal exact = new BigDecimal(max).multiply(new BigDecimal(LogScales.fraction(k % 32)))
          .divide(BigDecimal.valueOf(1L << (k / 32)), MathContext.UNLIMITED);
      float expected = exact.floatValue();
      assertEquals("max " + max + " code " + k, Float.floatToIntBits(expected),
          Float.floatToIntBits(LogScales.decode(max, k)));
    }
    assertEquals(0.75f, LogScales.decode(0.75f, 0), 0f);
    assertEquals(0.375f, LogScales.decode(0.75f, 32), 0f);
    assertEquals(0.75f / 128, LogScales.decode(0.75f, 224), 0f);
  }

  @Test
  public void decodeIsNonIncreasing() {
    float max = 0.0123f;
    for (int k = 1; k <= LogScales.MAX_CODE; k++) {
      assertTrue(LogScales.decode(max, k) < LogScales.decode(max, k - 1));
    }
  }

  @Test
  public void outOfRangeCodesAreRefused() {
    for (int k : new int[] {-1, 256}) {
      try {
        LogScales.decode(1f, k);
        fail();
      } catch (IllegalArgumentException e) {
        assertEquals("scale code " + k + " is outside [0, 255]", e.getMessage());
      }
    }
  }

  @Test
  public void roundUpNeverShrinksAndStaysWithinOneStep() {
    Random r = new Random(3);
    float step = (float) Math.pow(2, 1 / 32.0);
    for (int trial = 0; trial < 200; trial++) {
      float[] s = new float[1 + r.nextInt(64)];
      for (int c = 0; c < s.length; c++) {
        s[c] = (float) (1e-3 * Math.exp(-4 * r.nextDouble()));
      }
      float[] u = LogScales.roundUp(s);
      float max = LogScales.max(s);
      assertEquals(max, LogScales.max(u), 0f);
      for (int c = 0; c < s.length; c++) {
        assertTrue(u[c] >= s[c]);
        assertTrue(u[c] <= s[c] * step * 1.000001f);
        int k = LogScales.code(max, u[c]);
        assertTrue(k >= 0);
        assertEquals(u[c], LogScales.decode(max, k), 0f);
      }
    }
  }

  @Test
  public void scalesBelowTheRangeTakeTheSmallestCode() {
    float[] u = LogScales.roundUp(new float[] {1f, 1e-6f});
    assertEquals(LogScales.decode(1f, 255), u[1], 0f);
    assertEquals(255, LogScales.codeAtLeast(1f, 1e-6f));
    assertEquals(-1, LogScales.code(1f, 0.3f));
    assertEquals(-1, LogScales.code(1f, 2f));
  }

  @Test
  public void badScalesAreRefused() {
    try {
      LogScales.roundUp(new float[] {1f, 0f});
      fail();
    } catch (IllegalArgumentException e) {
      assertEquals("scale 1 is 0.0 (must be finite and > 0)", e.getMessage());
    }
  }
}
