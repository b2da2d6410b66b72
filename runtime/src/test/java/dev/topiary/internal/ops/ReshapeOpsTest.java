package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.OpTesting.check;
import static dev.topiary.internal.ops.OpTesting.iota;
import static dev.topiary.internal.ops.OpTesting.loadError;
import static dev.topiary.internal.ops.OpTesting.tensor;
import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import java.util.Random;
import org.junit.Test;

/** Reshape, Flatten, Squeeze, Unsqueeze: the output holds the input's elements in order. */
public class ReshapeOpsTest {
  private static Tensor x(DataType t, int... dims) {
    return tensor(t, Shape.of(dims), iota(t, Shape.of(dims).elementCount()));
  }

  private static Tensor xf(int... dims) {
    return x(DataType.FLOAT32, dims);
  }

  /** Runs {@code op} on a random input of every type and checks shape and identical elements. */
  private static void checkAllTypes(String op, OpTesting.Attrs attrs, int[] in, int... out) throws Exception {
    Random r = new Random(in.length * 31 + out.length);
    for (DataType t : OpTesting.ALL_TYPES) {
      Object v = OpTesting.random(r, t, Shape.of(in).elementCount());
      check(op + " " + t + " " + Shape.of(in), op, attrs, Shape.of(out), v, tensor(t, Shape.of(in), v));
    }
  }

  // ---- Reshape ----

  @Test
  public void reshapeWithInferredAndCopiedDims() throws Exception {
    checkAllTypes("Reshape", n -> n.attrInts("shape", 3, -1), new int[] {2, 3, 2}, 3, 4);
    checkAllTypes("Reshape", n -> n.attrInts("shape", 0, -1), new int[] {2, 3, 2}, 2, 6);
    checkAllTypes("Reshape", n -> n.attrInts("shape", 0, 0, 2, 1), new int[] {2, 3, 2}, 2, 3, 2, 1);
    checkAllTypes("Reshape", n -> n.attrInts("shape", -1), new int[] {4, 1, 5}, 20);
  }

  @Test
  public void reshapeToAndFromScalarsAndEmptyTensors() throws Exception {
    checkAllTypes("Reshape", n -> n.attrInts("shape", new long[0]), new int[] {1, 1});
    checkAllTypes("Reshape", n -> n.attrInts("shape", 1, 1, 1), new int[0], 1, 1, 1);
    checkAllTypes("Reshape", n -> n.attrInts("shape", 0, 3, 1), new int[] {0, 3}, 0, 3, 1);
    checkAllTypes("Reshape", n -> n.attrInts("shape", -1, 0), new int[] {0, 3}, 0, 3);
    checkAllTypes("Reshape", n -> n.attrInts("shape", 1, 0, 0, 1), new int[] {3, 4, 0}, 1, 4, 0, 1);
  }

  @Test
  public void reshapeErrors() throws Exception {
    assertEquals("node 'n' (Reshape): cannot reshape [2,3] (6 elements) to [4,2] (8 elements)",
        loadError("Reshape", n -> n.attrInts("shape", 4, 2), xf(2, 3)));
    assertEquals("node 'n' (Reshape): cannot reshape [2,3] (6 elements) to [4,-1]: 6 is not a multiple of 4",
        loadError("Reshape", n -> n.attrInts("shape", 4, -1), xf(2, 3)));
    assertEquals("node 'n' (Reshape): shape [-1,3,-1] has more than one -1",
        loadError("Reshape", n -> n.attrInts("shape", -1, 3, -1), xf(2, 3)));
    assertEquals("node 'n' (Reshape): shape [6,-2]: dimension 1 = -2 is out of range",
        loadError("Reshape", n -> n.attrInts("shape", 6, -2), xf(2, 3)));
    assertEquals("node 'n' (Reshape): shape [6,1,0]: 0 at index 2 copies an input dimension, but the input [2,3]"
        + " has rank 2", loadError("Reshape", n -> n.attrInts("shape", 6, 1, 0), xf(2, 3)));
    assertEquals("node 'n' (Reshape): cannot reshape [3,0] (0 elements) to [-1,0]: -1 is ambiguous when the other"
        + " dimensions have 0 elements", loadError("Reshape", n -> n.attrInts("shape", -1, 0), xf(3, 0)));
    assertEquals("node 'n' (Reshape): attribute 'shape' is required", loadError("Reshape", OpTesting.NONE, xf(2)));
    assertEquals("node 'n' (Reshape): cannot reshape [2,3] (6 elements) to [65536,65536,65536]"
        + " (281474976710656 elements)",
        loadError("Reshape", n -> n.attrInts("shape", 65536, 65536, 65536), xf(2, 3)));
  }

  // ---- Flatten ----

  @Test
  public void flattenAtEveryAxis() throws Exception {
    int[] in = {2, 3, 4};
    checkAllTypes("Flatten", OpTesting.NONE, in, 2, 12);
    checkAllTypes("Flatten", n -> n.attr("axis", 0L), in, 1, 24);
    checkAllTypes("Flatten", n -> n.attr("axis", 2L), in, 6, 4);
    checkAllTypes("Flatten", n -> n.attr("axis", 3L), in, 24, 1);
    checkAllTypes("Flatten", n -> n.attr("axis", -1L), in, 6, 4);
    checkAllTypes("Flatten", n -> n.attr("axis", -3L), in, 1, 24);
    checkAllTypes("Flatten", n -> n.attr("axis", 1L), new int[] {0, 5}, 0, 5);
  }

  @Test
  public void flattenAxisOutOfRange() throws Exception {
    assertEquals("node 'n' (Flatten): attribute 'axis' = 4 is out of range for rank 3 (expected -3..3)",
        loadError("Flatten", n -> n.attr("axis", 4L), xf(2, 3, 4)));
    assertEquals("node 'n' (Flatten): attribute 'axis' = -4 is out of range for rank 3 (expected -3..3)",
        loadError("Flatten", n -> n.attr("axis", -4L), xf(2, 3, 4)));
  }

  // ---- Squeeze ----

  @Test
  public void squeezeListedOrAllSizeOneDims() throws Exception {
    int[] in = {1, 3, 1, 2, 1};
    checkAllTypes("Squeeze", OpTesting.NONE, in, 3, 2);
    checkAllTypes("Squeeze", n -> n.attrInts("axes", 0), in, 3, 1, 2, 1);
    checkAllTypes("Squeeze", n -> n.attrInts("axes", -1, 2), in, 1, 3, 2);
    checkAllTypes("Squeeze", n -> n.attrInts("axes", new long[0]), in, in);
    checkAllTypes("Squeeze", OpTesting.NONE, new int[] {1, 1}, new int[0]);
    checkAllTypes("Squeeze", OpTesting.NONE, new int[] {0, 1}, 0);
  }

  @Test
  public void squeezeErrors() throws Exception {
    assertEquals("node 'n' (Squeeze): cannot squeeze axis 1 of [2,3,1]: its size is 3, not 1",
        loadError("Squeeze", n -> n.attrInts("axes", 1), xf(2, 3, 1)));
    assertEquals("node 'n' (Squeeze): attribute 'axes' = [3]: 3 is out of range for rank 3",
        loadError("Squeeze", n -> n.attrInts("axes", 3), xf(2, 3, 1)));
    assertEquals("node 'n' (Squeeze): attribute 'axes' = [2,-1] names axis 2 twice",
        loadError("Squeeze", n -> n.attrInts("axes", 2, -1), xf(2, 3, 1)));
  }

  // ---- Unsqueeze ----

  @Test
  public void unsqueezeAxesIndexTheOutput() throws Exception {
    int[] in = {3, 2};
    checkAllTypes("Unsqueeze", n -> n.attrInts("axes", 0), in, 1, 3, 2);
    checkAllTypes("Unsqueeze", n -> n.attrInts("axes", 2), in, 3, 2, 1);
    checkAllTypes("Unsqueeze", n -> n.attrInts("axes", -1), in, 3, 2, 1);
    checkAllTypes("Unsqueeze", n -> n.attrInts("axes", 3, 0), in, 1, 3, 2, 1);
    checkAllTypes("Unsqueeze", n -> n.attrInts("axes", 1, -2), in, 3, 1, 1, 2);
    checkAllTypes("Unsqueeze", n -> n.attrInts("axes", 0), new int[0], 1);
    checkAllTypes("Unsqueeze", n -> n.attrInts("axes", 1), new int[] {0}, 0, 1);
  }

  @Test
  public void unsqueezeErrors() throws Exception {
    assertEquals("node 'n' (Unsqueeze): attribute 'axes' = [1,-3] names axis 1 twice",
        loadError("Unsqueeze", n -> n.attrInts("axes", 1, -3), xf(3, 2)));
    assertEquals("node 'n' (Unsqueeze): attribute 'axes' = [3]: 3 is out of range for rank 3",
        loadError("Unsqueeze", n -> n.attrInts("axes", 3), xf(3, 2)));
    assertEquals("node 'n' (Unsqueeze): attribute 'axes' is required", loadError("Unsqueeze", OpTesting.NONE, xf(3)));
  }

  @Test
  public void declaredOutputTypeMustMatchInputType() throws Exception {
    Tensor ints = x(DataType.INT32, 2, 3);
    try {
      OpTesting.runNode("Reshape", DataType.FLOAT32, n -> n.attrInts("shape", 6), false, ints);
    } catch (dev.topiary.ModelFormatException e) {
      assertEquals("node 'n' (Reshape): output 'y' is declared FLOAT32 but the op computes INT32", e.getMessage());
      return;
    }
    org.junit.Assert.fail("expected a type mismatch");
  }
}
