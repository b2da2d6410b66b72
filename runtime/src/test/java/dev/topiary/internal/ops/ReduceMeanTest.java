package dev.topiary.internal.ops;

import static dev.topiary.testing.TestSupport.assertClose;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import dev.topiary.Tensor;
import dev.topiary.testing.TestSupport;
import java.util.Arrays;
import java.util.Random;
import org.junit.Test;

public class ReduceMeanTest {
  /** Double mean over the flagged axes; output laid out over the kept axes in order. */
  static float[] oracle(float[] x, int[] shape, boolean[] reduced) {
    int[] kept = new int[shape.length];
    for (int d = 0; d < shape.length; d++) {
      kept[d] = reduced[d] ? 1 : shape[d];
    }
    int outCount = OpCase.count(kept);
    double[] sum = new double[outCount];
    int[] n = new int[outCount];
    for (int i = 0; i < x.length; i++) {
      int[] c = OpCase.unravel(i, shape);
      for (int d = 0; d < c.length; d++) {
        if (reduced[d]) {
          c[d] = 0;
        }
      }
      int o = OpCase.ravel(c, kept);
      sum[o] += x[i];
      n[o]++;
    }
    float[] y = new float[outCount];
    for (int o = 0; o < outCount; o++) {
      y[o] = (float) (sum[o] / n[o]);
    }
    return y;
  }

  private static OpCase mean(int[] shape, float[] x, int... axes) {
    OpCase c = OpCase.of("ReduceMean").input(shape, x);
    return axes.length == 0 ? c : c.attrInts("axes", axes);
  }

  @Test
  public void handComputed() throws Exception {
    float[] x = {1, 2, 3, 4, 5, 6};
    Tensor y = mean(new int[] {2, 3}, x, 1).run();
    assertEquals("[2,1]", y.shape().toString());
    assertArrayEquals(new float[] {2, 5}, y.toFloatArray(), 0f);
    y = mean(new int[] {2, 3}, x, 0).attr("keepdims", 0L).run();
    assertEquals("[3]", y.shape().toString());
    assertArrayEquals(new float[] {2.5f, 3.5f, 4.5f}, y.toFloatArray(), 0f);
    y = mean(new int[] {2, 3}, x).run();
    assertEquals("[1,1]", y.shape().toString());
    assertArrayEquals(new float[] {3.5f}, y.toFloatArray(), 0f);
    y = mean(new int[] {2, 3}, x).attr("keepdims", 0L).run();
    assertEquals("[]", y.shape().toString());
    y = mean(new int[] {2, 3}, x, -1, -2).attr("keepdims", 0L).run();
    assertEquals("[]", y.shape().toString());
    assertArrayEquals(new float[] {3.5f}, y.toFloatArray(), 0f);
    y = OpCase.of("ReduceMean").input(new int[0], new float[] {7}).run();
    assertEquals("[]", y.shape().toString());
    assertArrayEquals(new float[] {7}, y.toFloatArray(), 0f);
    y = mean(new int[] {2, 0, 3}, new float[0], 1).run();
    assertEquals("[2,1,3]", y.shape().toString());
    for (float v : y.toFloatArray()) {
      assertEquals(Float.NaN, v, 0f);
    }
  }

  @Test
  public void axisPatternsAgainstOracle() throws Exception {
    Random r = new Random(41);
    int[][][] cases = {
      {{3, 4, 5}, {0}}, {{3, 4, 5}, {1}}, {{3, 4, 5}, {2}}, {{3, 4, 5}, {0, 2}}, {{3, 4, 5}, {2, 0}},
      {{3, 4, 5}, {0, 1}}, {{3, 4, 5}, {1, 2}}, {{3, 4, 5}, {}}, {{2, 1, 5, 1, 3}, {1, 2}},
      {{2, 6, 1, 3}, {1, 3}}, {{2, 7, 7, 16}, {1, 2}}, {{4, 1, 1, 9}, {1, 2}}, {{2, 3, 4, 5}, {0, 2}},
      {{2, 3, 4, 5}, {-1, -4}}, {{5, 700}, {0}},
    };
    for (int[][] c : cases) {
      int[] shape = c[0];
      float[] x = TestSupport.randomFloats(r, OpCase.count(shape), -2, 4);
      boolean[] reduced = new boolean[shape.length];
      for (int a : c[1]) {
        reduced[a < 0 ? a + shape.length : a] = true;
      }
      if (c[1].length == 0) {
        Arrays.fill(reduced, true);
      }
      float[] expected = oracle(x, shape, reduced);
      for (long keep = 0; keep <= 1; keep++) {
        OpCase op = mean(shape, x, c[1]).attr("keepdims", keep);
        String what = Arrays.toString(shape) + " axes " + Arrays.toString(c[1]) + " keepdims " + keep;
        Tensor y = op.run();
        int[] outShape = keep == 1 ? new int[shape.length] : new int[0];
        if (keep == 1) {
          for (int d = 0; d < shape.length; d++) {
            outShape[d] = reduced[d] ? 1 : shape[d];
          }
        } else {
          int[] tmp = new int[shape.length];
          int k = 0;
          for (int d = 0; d < shape.length; d++) {
            if (!reduced[d]) {
              tmp[k++] = shape[d];
            }
          }
          outShape = Arrays.copyOf(tmp, k);
        }
        assertArrayEquals(what, outShape, y.shape().dims());
        assertClose(what, expected, y.toFloatArray(), 1e-6, 1e-7);
        assertClose(what + " reference", expected, op.values(true, 1), 1e-7, 1e-8);
        assertArrayEquals(what + " threads", y.toFloatArray(), op.values(false, 2), 0f);
      }
    }
  }

  /** Long reductions: the fast two-level float sums stay close to the double reference. */
  @Test
  public void longReductionsStayAccurate() throws Exception {
    Random r = new Random(42);
    int[] shape = {1, 112, 112, 40};
    float[] x = TestSupport.randomFloats(r, OpCase.count(shape), 0, 10);
    OpCase op = mean(shape, x, 1, 2);
    assertClose("fast vs reference", op.values(true, 1), op.values(), 1e-6, 0);
    int[] rows = {3, 200_000};
    float[] x2 = TestSupport.randomFloats(r, OpCase.count(rows), 0, 10);
    OpCase last = mean(rows, x2, 1);
    assertArrayEquals("innermost: same double sum", last.values(true, 1), last.values(false, 2), 0f);
  }

  @Test
  public void errors() {
    float[] x = new float[24];
    int[] s = {2, 3, 4};
    assertEquals("attribute 'axes' lists axis 1 twice: [1, -2]", mean(s, x, 1, -2).error());
    assertEquals("attribute 'axes' = 3 is out of range for rank 3", mean(s, x, 3).error());
    assertEquals("attribute 'axes' = -4 is out of range for rank 3", mean(s, x, 0, -4).error());
    assertEquals("attribute 'keepdims' is 2, expected 0..1", mean(s, x, 0).attr("keepdims", 2L).error());
    assertEquals("attribute 'axes' must be a list of ints, got I",
        OpCase.of("ReduceMean").input(s, x).attr("axes", 1L).error());
    assertEquals("attribute 'axes' must be empty for a scalar input, got [0]",
        mean(new int[0], new float[1], 0).error());
  }
}
