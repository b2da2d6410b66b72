package dev.topiary.internal.ops;

import static dev.topiary.testing.TestSupport.assertClose;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import dev.topiary.testing.TestSupport;
import java.util.Arrays;
import java.util.Random;
import org.junit.Test;

/** BatchNorm and LayerNorm. */
public class NormOpsTest {
  private static OpCase batchNorm(int[] shape, float[] x, float[] scale, float[] bias, float[] mean, float[] var) {
    return OpCase.of("BatchNorm").input(shape, x).constant(new int[] {scale.length}, scale)
        .constant(new int[] {bias.length}, bias).constant(new int[] {mean.length}, mean)
        .constant(new int[] {var.length}, var);
  }

  static float[] batchNormOracle(float[] x, int[] shape, int axis, float[] scale, float[] bias, float[] mean,
      float[] var, double eps) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      int c = OpCase.unravel(i, shape)[axis];
      y[i] = (float) ((x[i] - mean[c]) / Math.sqrt(var[c] + eps) * scale[c] + bias[c]);
    }
    return y;
  }

  @Test
  public void batchNormHandComputed() throws Exception {
    // (x − mean)/sqrt(var + ε)·scale + bias with var + ε = 4: (x − 1)/2·3 + 0.5 and (x − 0)/1·1 − 1.
    float[] y = batchNorm(new int[] {2, 2}, new float[] {1, 0, 5, 3}, new float[] {3, 1}, new float[] {0.5f, -1},
        new float[] {1, 0}, new float[] {4, 1}).attr("epsilon", 0f).values();
    assertArrayEquals(new float[] {0.5f, -1, 6.5f, 2}, y, 1e-6f);
  }

  @Test
  public void batchNormRandomAxes() throws Exception {
    Random r = new Random(31);
    int[] shape = {2, 5, 6, 7};
    float[] x = TestSupport.randomFloats(r, OpCase.count(shape), -4, 4);
    for (int axis : new int[] {-1, 3, 1, 0, -3}) {
      int a = axis < 0 ? axis + 4 : axis;
      int c = shape[a];
      float[] scale = TestSupport.randomFloats(r, c, -2, 2);
      float[] bias = TestSupport.randomFloats(r, c, -1, 1);
      float[] mean = TestSupport.randomFloats(r, c, -1, 1);
      float[] var = TestSupport.randomFloats(r, c, 0.01f, 3);
      OpCase op = batchNorm(shape, x, scale, bias, mean, var).attr("axis", (long) axis).attr("epsilon", 1e-3f);
      float[] expected = batchNormOracle(x, shape, a, scale, bias, mean, var, 1e-3f);
      assertClose("axis " + axis, expected, op.values(), 1e-5, 1e-5);
      op.assertKernelsAgree();
    }
    // Default epsilon 1e-5 and a rank-1 input.
    float[] x1 = {1, 2, 3};
    float[] one = {1, 1, 1};
    float[] zero = {0, 0, 0};
    assertClose("rank 1", batchNormOracle(x1, new int[] {3}, 0, one, zero, zero, one, 1e-5),
        batchNorm(new int[] {3}, x1, one, zero, zero, one).values(), 1e-7, 0);
  }

  @Test
  public void batchNormLargeSplitsAcrossThreads() throws Exception {
    Random r = new Random(32);
    int[] shape = {1, 64, 64, 32};
    float[] x = TestSupport.randomFloats(r, OpCase.count(shape), -4, 4);
    float[] p = TestSupport.randomFloats(r, 32, 0.5f, 1.5f);
    batchNorm(shape, x, p, p, p, p).assertKernelsAgree();
    float[] q = TestSupport.randomFloats(r, 64, 0.5f, 1.5f);
    batchNorm(shape, x, q, q, q, q).attr("axis", 1L).assertKernelsAgree();
  }

  @Test
  public void batchNormErrors() {
    float[] x = new float[24];
    float[] c4 = {1, 1, 1, 1};
    float[] c3 = {1, 1, 1};
    assertEquals("input 2 (bias) has shape [3], expected [4] (dimension 2 of x [2,3,4])",
        batchNorm(new int[] {2, 3, 4}, x, c4, c3, c4, c4).error());
    assertEquals("input 1 (scale) has shape [4], expected [3] (dimension 1 of x [2,3,4])",
        batchNorm(new int[] {2, 3, 4}, x, c4, c4, c4, c4).attr("axis", 1L).error());
    assertEquals("var[1] + epsilon must be positive and finite, got -1.0 + 1.0E-5",
        batchNorm(new int[] {2, 3, 4}, x, c4, c4, c4, new float[] {1, -1, 1, 1}).error());
    assertEquals("attribute 'epsilon' must be finite and >= 0, got -1.0",
        batchNorm(new int[] {2, 3, 4}, x, c4, c4, c4, c4).attr("epsilon", -1f).error());
    assertEquals("attribute 'axis' = 3 is out of range for rank 3",
        batchNorm(new int[] {2, 3, 4}, x, c4, c4, c4, c4).attr("axis", 3L).error());
    assertEquals("input 4 (var) must be a constant",
        OpCase.of("BatchNorm").input(new int[] {2, 4}, new float[8]).constant(new int[] {4}, c4)
            .constant(new int[] {4}, c4).constant(new int[] {4}, c4).input(new int[] {4}, c4).error());
    assertEquals("expects 5 inputs, got 2",
        OpCase.of("BatchNorm").input(new int[] {2, 4}, new float[8]).constant(new int[] {4}, c4).error());
  }

  // ---- LayerNorm ----

  /** Double two-pass layer norm; scale/bias read through broadcasting against the normalized dims. */
  static float[] layerNormOracle(float[] x, int[] shape, int axis, float[] scale, int[] ss, float[] bias, int[] bs,
      double eps) {
    int[] norm = Arrays.copyOfRange(shape, axis, shape.length);
    int d = OpCase.count(norm);
    float[] y = new float[x.length];
    for (int row = 0; row < x.length / Math.max(d, 1); row++) {
      double mean = 0;
      for (int i = 0; i < d; i++) {
        mean += x[row * d + i];
      }
      mean /= d;
      double var = 0;
      for (int i = 0; i < d; i++) {
        var += (x[row * d + i] - mean) * (x[row * d + i] - mean);
      }
      var /= d;
      for (int i = 0; i < d; i++) {
        // Coordinates with leading zeros for parameters of higher rank (leading size-1 dimensions).
        int[] c = new int[Math.max(norm.length, Math.max(ss.length, bs == null ? 0 : bs.length))];
        int[] own = OpCase.unravel(i, norm);
        System.arraycopy(own, 0, c, c.length - own.length, own.length);
        double v = (x[row * d + i] - mean) / Math.sqrt(var + eps) * BinaryOpsTest.at(scale, ss, c);
        if (bias != null) {
          v += BinaryOpsTest.at(bias, bs, c);
        }
        y[row * d + i] = (float) v;
      }
    }
    return y;
  }

  @Test
  public void layerNormHandComputed() throws Exception {
    // Row [4, 8]: mean 6, variance 4: normalized [−1, 1]; a constant row normalizes to 0 (ε > 0).
    float[] y = OpCase.of("LayerNorm").input(new int[] {2, 2}, new float[] {4, 8, 5, 5})
        .constant(new int[] {2}, new float[] {2, 3}).constant(new int[] {2}, new float[] {0, 1}).values();
    assertArrayEquals(new float[] {-2, 4, 0, 1}, y, 1e-5f);
    // With ε = 0 a constant row is 0/0: NaN, as the formula says.
    y = OpCase.of("LayerNorm").input(new int[] {1, 2}, new float[] {5, 5}).constant(new int[] {2}, new float[] {1, 1})
        .attr("epsilon", 0f).values();
    assertEquals(Float.NaN, y[0], 0f);
  }

  @Test
  public void layerNormRandom() throws Exception {
    Random r = new Random(33);
    int[] shape = {3, 4, 5, 6};
    float[] x = TestSupport.randomFloats(r, OpCase.count(shape), -3, 5);
    Object[][] cases = {
      {-1, new int[] {6}, new int[] {6}},
      {3, new int[] {6}, null},
      {2, new int[] {5, 6}, new int[] {5, 6}},
      {2, new int[] {1, 6}, new int[] {5, 1}},
      {1, new int[] {4, 5, 6}, new int[] {6}},
      {1, new int[] {1, 1, 1}, new int[] {}},
      {0, new int[] {3, 4, 5, 6}, new int[] {1, 4, 1, 6}},
      {-3, new int[] {1, 1, 5, 1}, new int[] {4, 1, 1}},
    };
    for (Object[] c : cases) {
      int axis = (Integer) c[0];
      int a = axis < 0 ? axis + 4 : axis;
      int[] ss = (int[]) c[1];
      int[] bs = (int[]) c[2];
      float[] scale = TestSupport.randomFloats(r, OpCase.count(ss), -2, 2);
      float[] bias = bs == null ? null : TestSupport.randomFloats(r, OpCase.count(bs), -1, 1);
      OpCase op = OpCase.of("LayerNorm").input(shape, x).constant(ss, scale);
      if (bias != null) {
        op.constant(bs, bias);
      }
      op.attr("axis", (long) axis);
      String what = "axis " + axis + " scale " + Arrays.toString(ss) + " bias " + Arrays.toString(bs);
      assertClose(what, layerNormOracle(x, shape, a, scale, ss, bias, bs, 1e-5), op.values(), 1e-5, 1e-5);
      op.assertKernelsAgree();
    }
  }

  @Test
  public void layerNormComputedScaleOmittedBiasAndThreads() throws Exception {
    Random r = new Random(34);
    int[] shape = {256, 384};
    float[] x = TestSupport.randomFloats(r, OpCase.count(shape), -3, 5);
    float[] scale = TestSupport.randomFloats(r, 384, 0.5f, 2);
    OpCase op = OpCase.of("LayerNorm").input(shape, x).input(new int[] {384}, scale).omitted().attr("epsilon", 1e-6f);
    assertClose("fed scale", layerNormOracle(x, shape, 1, scale, new int[] {384}, null, null, 1e-6), op.values(),
        1e-5, 1e-5);
    op.assertKernelsAgree();
  }

  @Test
  public void layerNormErrors() {
    float[] x = new float[24];
    assertEquals("input 1 (scale) has shape [3], which does not broadcast to the normalized dimensions [4]",
        OpCase.of("LayerNorm").input(new int[] {2, 3, 4}, x).constant(new int[] {3}, new float[3]).error());
    assertEquals("input 2 (bias) has shape [2,3,4], which does not broadcast to the normalized dimensions [3,4]",
        OpCase.of("LayerNorm").input(new int[] {2, 3, 4}, x).constant(new int[] {3, 4}, new float[12])
            .constant(new int[] {2, 3, 4}, x).attr("axis", 1L).error());
    assertEquals("input 1 (scale) has shape [3,4], which does not broadcast to the normalized dimensions [12]",
        OpCase.of("LayerNorm").input(new int[] {2, 12}, x).constant(new int[] {3, 4}, new float[12]).error());
    assertEquals("attribute 'axis' = -4 is out of range for rank 3",
        OpCase.of("LayerNorm").input(new int[] {2, 3, 4}, x).constant(new int[] {4}, new float[4])
            .attr("axis", -4L).error());
    assertEquals("input 0 must have rank >= 1, got a scalar",
        OpCase.of("LayerNorm").input(new int[0], new float[1]).constant(new int[0], new float[1]).error());
    assertEquals("expects 2 to 3 inputs, got 1", OpCase.of("LayerNorm").input(new int[] {2, 3, 4}, x).error());
  }
}
