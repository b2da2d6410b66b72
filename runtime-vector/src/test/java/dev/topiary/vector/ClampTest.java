package dev.topiary.vector;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.VectorKernels;
import org.junit.Test;

/**
 * The clamp every vector kernel writes out as compares and blends ({@link FloatVectorKernels#lowerCmp})
 * against {@code Math.min(Math.max(x, lo), hi)}, bit for bit, on the values where the two could
 * part: both zeros, NaN, the smallest subnormals, the bounds themselves and infinities, with
 * bounds of either zero sign; and hard-swish, both as the kernels' array pass
 * ({@link FloatVectorKernels.Epilog#hardSwish}) and as the element-wise kernel writes it out, against
 * its scalar formula. The clamp runs through the element-wise kernel as {@code x·1} (exact, keeps
 * the sign of zero and NaN) with the activation fused.
 */
public class ClampTest {
  private static final float[] SPECIAL = {-0f, 0f, Float.NaN, Float.intBitsToFloat(0xffc00000), -Float.MIN_VALUE,
      Float.MIN_VALUE, -1f, 1f, 6f, 5.9999995f, 6.0000005f, -3f, -3.0000002f, Float.NEGATIVE_INFINITY,
      Float.POSITIVE_INFINITY, 0.5f, -0.5f, 1e-40f, -1e-40f, 3f, 7f, -6f};
  private static final float[][] BOUNDS = {{0f, 6f}, {-0f, 6f}, {-1f, 0f}, {-1f, -0f}, {0f, 0f}, {-0f, -0f},
      {-0f, 0f}, {Float.NEGATIVE_INFINITY, 6f}, {0f, Float.POSITIVE_INFINITY}, {-6f, -1f}};

  @Test
  public void clampIsMaxThenMinBitForBit() {
    for (float[] b : BOUNDS) {
      FloatVectorKernels.Epilog e = new FloatVectorKernels.Epilog(Gemm.Act.CLAMP, b[0], b[1]);
      for (float[] chunk : chunks()) {
        float[] got = timesOne(e, chunk);
        for (int i = 0; i < chunk.length; i++) {
          float want = Math.min(Math.max(chunk[i], b[0]), b[1]);
          same("clamp(" + chunk[i] + ", " + b[0] + ", " + b[1] + ")", want, got[i]);
        }
      }
    }
  }

  @Test
  public void hardSwishMatchesItsScalarFormula() {
    FloatVectorKernels.Epilog e = new FloatVectorKernels.Epilog(Gemm.Act.HARD_SWISH, 0f, 0f);
    for (float[] chunk : chunks()) {
      float[] pass = new float[chunk.length + 3];
      System.arraycopy(chunk, 0, pass, 2, chunk.length);
      // From an offset and one value short of whole vectors: the array pass's scalar tail too.
      FloatVectorKernels.Epilog.hardSwish(pass, 2, chunk.length);
      float[] fused = timesOne(e, chunk);
      for (int i = 0; i < chunk.length; i++) {
        float x = chunk[i];
        float want = x * Math.min(Math.max(x + 3f, 0f), 6f) * (1f / 6f);
        same("hardswish(" + x + "), array pass", want, pass[2 + i]);
        same("hardswish(" + x + "), element-wise kernel", want, fused[i]);
      }
    }
  }

  /** {@code act(x·1)} through the vector element-wise kernel, whole vectors only. */
  private static float[] timesOne(FloatVectorKernels.Epilog e, float[] chunk) {
    float[] got = new float[chunk.length];
    new VectorBinary(VectorKernels.Binary.MUL, e).run(chunk, 0, true, new float[] {1f}, 0, false, got, 0,
        chunk.length);
    return got;
  }

  /** The special values cut into whole vectors (the last padded with 1). */
  private static float[][] chunks() {
    int l = FloatVectorKernels.S.length();
    int n = (SPECIAL.length + l - 1) / l;
    float[][] out = new float[n][l];
    for (int i = 0; i < n * l; i++) {
      out[i / l][i % l] = i < SPECIAL.length ? SPECIAL[i] : 1f;
    }
    return out;
  }

  private static void same(String what, float want, float got) {
    if (Float.isNaN(want)) {
      assertTrue(what + " = " + got, Float.isNaN(got));
    } else {
      assertEquals(what, Float.floatToRawIntBits(want), Float.floatToRawIntBits(got));
    }
  }
}
