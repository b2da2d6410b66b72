package dev.topiary.internal.ops;

import static dev.topiary.testing.TestSupport.assertClose;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import dev.topiary.testing.TestSupport;
import java.util.Random;
import org.junit.Test;

public class SoftmaxTest {
  /** Straightforward double softmax along {@code axis} with coordinates. */
  static float[] oracle(float[] x, int[] shape, int axis) {
    float[] y = new float[x.length];
    int[] step = shape.clone();
    for (int i = 0; i < x.length; i++) {
      int[] c = OpCase.unravel(i, shape);
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < shape[axis]; k++) {
        System.arraycopy(c, 0, step, 0, c.length);
        step[axis] = k;
        max = Math.max(max, x[OpCase.ravel(step, shape)]);
      }
      double sum = 0;
      for (int k = 0; k < shape[axis]; k++) {
        step[axis] = k;
        sum += Math.exp(x[OpCase.ravel(step, shape)] - max);
      }
      y[i] = (float) (Math.exp(x[i] - max) / sum);
    }
    return y;
  }

  @Test
  public void handComputed() throws Exception {
    float[] y = OpCase.of("Softmax").input(new int[] {2, 3}, new float[] {1, 2, 3, 0, 0, 0}).values();
    assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f, 1 / 3f, 1 / 3f, 1 / 3f}, y, 1e-7f);
    float[] y0 = OpCase.of("Softmax").input(new int[] {2, 2}, new float[] {1, 5, 1, 3}).attr("axis", 0L).values();
    assertArrayEquals(new float[] {0.5f, 0.880797f, 0.5f, 0.119203f}, y0, 1e-6f);
  }

  @Test
  public void largeValuesDoNotOverflow() throws Exception {
    float[] x = {1000, 1001, 1002, -1000, -1001, -1002, 3e38f, -3e38f, 0, 88.8f, 89, 89.2f};
    float[] y = OpCase.of("Softmax").input(new int[] {4, 3}, x).values();
    for (float v : y) {
      assertFalse("NaN in " + java.util.Arrays.toString(y), Float.isNaN(v));
    }
    assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f, 0.66524096f, 0.24472847f, 0.09003057f,
        1, 0, 0, 0.2693075f, 0.3289329f, 0.4017596f}, y, 2e-6f);
  }

  @Test
  public void everyAxisAgainstOracle() throws Exception {
    Random r = new Random(11);
    int[] shape = {3, 4, 5, 6};
    float[] x = TestSupport.randomFloats(r, OpCase.count(shape), -10, 10);
    for (int axis = -4; axis < 4; axis++) {
      int a = axis < 0 ? axis + 4 : axis;
      OpCase c = OpCase.of("Softmax").input(shape, x).attr("axis", (long) axis);
      float[] expected = oracle(x, shape, a);
      assertClose("axis " + axis, expected, c.values(), 1e-6, 1e-9);
      assertClose("axis " + axis + " reference", expected, c.values(true, 1), 1e-6, 1e-9);
    }
  }

  @Test
  public void innermostFastPathMatchesReference() throws Exception {
    Random r = new Random(12);
    for (int[] shape : new int[][] {{1}, {7}, {5, 1}, {3, 33}, {2, 3, 17}, {4096, 13}, {0, 5}, {5, 0}}) {
      float[] x = TestSupport.randomFloats(r, OpCase.count(shape), -30, 30);
      OpCase c = OpCase.of("Softmax").input(shape, x);
      float[] y = c.assertKernelsAgree();
      assertClose(java.util.Arrays.toString(shape), oracle(x, shape, shape.length - 1), y, 1e-6, 1e-9);
    }
  }

  @Test
  public void scalarIsOne() throws Exception {
    assertArrayEquals(new float[] {1}, OpCase.of("Softmax").input(new int[0], new float[] {42}).values(), 0f);
  }

  @Test
  public void errors() {
    OpCase c = OpCase.of("Softmax").input(new int[] {2, 3, 4}, new float[24]).attr("axis", 3L);
    assertEquals("attribute 'axis' = 3 is out of range for rank 3", c.error());
    assertEquals("attribute 'axis' = -4 is out of range for rank 3",
        OpCase.of("Softmax").input(new int[] {2, 3, 4}, new float[24]).attr("axis", -4L).error());
    assertEquals("attribute 'axis' must be an int, got F",
        OpCase.of("Softmax").input(new int[] {2}, new float[2]).attr("axis", 1f).error());
  }
}
