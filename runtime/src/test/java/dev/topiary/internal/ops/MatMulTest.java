package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.LinearTestHelper.ACTIVATIONS;
import static dev.topiary.internal.ops.LinearTestHelper.activation;
import static dev.topiary.internal.ops.LinearTestHelper.assertBuildFails;
import static dev.topiary.internal.ops.LinearTestHelper.assertFastMatchesReference;
import static dev.topiary.internal.ops.LinearTestHelper.inputs;
import static dev.topiary.internal.ops.LinearTestHelper.outputShape;
import static dev.topiary.internal.ops.LinearTestHelper.random;
import static dev.topiary.internal.ops.LinearTestHelper.run;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/** MatMul: broadcasting and rank-1 rules, hand-computed values, errors, fast path against reference. */
public class MatMulTest {
  /** A MatMul graph; {@code bValues} non-null makes b a constant, otherwise b is input "b". */
  private static byte[] matmul(Shape a, Shape b, float[] bValues, String act) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int ai = g.input("a", DataType.FLOAT32, a);
    int bi = bValues == null ? g.input("b", DataType.FLOAT32, b) : g.constant("b", b, bValues);
    g.output(activation(g.node("MatMul", "mm", ai, bi), act).output("y"));
    return g.build();
  }

  @Test
  public void computedByHand() throws Exception {
    // [[1,2,3],[4,5,6]] · [[1,0],[0,1],[1,1]] = [[4,5],[10,11]].
    float[] b = {1, 0, 0, 1, 1, 1};
    Map<String, Tensor> a = inputs("a", Tensor.ofFloats(Shape.of(2, 3), 1, 2, 3, 4, 5, 6));
    Map<String, Tensor> ab = inputs("a", Tensor.ofFloats(Shape.of(2, 3), 1, 2, 3, 4, 5, 6),
        "b", Tensor.ofFloats(Shape.of(3, 2), b));
    byte[] constant = matmul(Shape.of(2, 3), Shape.of(3, 2), b, "NONE");
    byte[] computed = matmul(Shape.of(2, 3), Shape.of(3, 2), null, "NONE");
    for (boolean reference : new boolean[] {true, false}) {
      assertArrayEquals(new float[] {4, 5, 10, 11}, run(constant, reference, 1, a), 0f);
      assertArrayEquals(new float[] {4, 5, 10, 11}, run(computed, reference, 2, ab), 0f);
    }
  }

  @Test
  public void broadcastingAndRankOneShapes() throws Exception {
    Object[][] cases = {
      {Shape.of(2, 1, 3, 4), Shape.of(5, 4, 2), Shape.of(2, 5, 3, 2)},
      {Shape.of(1, 3, 4), Shape.of(2, 4, 5), Shape.of(2, 3, 5)},
      {Shape.of(6, 3, 4), Shape.of(4, 5), Shape.of(6, 3, 5)},
      {Shape.of(4), Shape.of(2, 4, 3), Shape.of(2, 3)},
      {Shape.of(2, 3, 4), Shape.of(4), Shape.of(2, 3)},
      {Shape.of(4), Shape.of(4), Shape.scalar()},
      {Shape.of(3, 4), Shape.of(4, 1), Shape.of(3, 1)},
    };
    for (Object[] c : cases) {
      assertEquals(c[0] + " @ " + c[1], c[2], outputShape(matmul((Shape) c[0], (Shape) c[1], null, "NONE")));
    }
  }

  @Test
  public void broadcastValuesComputedByHand() throws Exception {
    // Batches [[1,2]] and [[3,4]] times the shared column [10,100]ᵀ: 210 and 430.
    byte[] m = matmul(Shape.of(2, 1, 2), Shape.of(2, 1), new float[] {10, 100}, "NONE");
    Map<String, Tensor> in = inputs("a", Tensor.ofFloats(Shape.of(2, 1, 2), 1, 2, 3, 4));
    assertArrayEquals(new float[] {210, 430}, run(m, true, 1, in), 0f);
    assertArrayEquals(new float[] {210, 430}, run(m, false, 1, in), 0f);
    // One row [1,2] against two batches of b: [[1,0],[0,1]] and [[2,2],[3,3]].
    m = matmul(Shape.of(2), Shape.of(2, 2, 2), null, "NONE");
    in = inputs("a", Tensor.ofFloats(Shape.of(2), 1, 2), "b", Tensor.ofFloats(Shape.of(2, 2, 2), 1, 0, 0, 1, 2, 2, 3, 3));
    assertArrayEquals(new float[] {1, 2, 8, 8}, run(m, true, 1, in), 0f);
    assertArrayEquals(new float[] {1, 2, 8, 8}, run(m, false, 2, in), 0f);
    // A dot product of two vectors is a scalar.
    m = matmul(Shape.of(3), Shape.of(3), null, "NONE");
    in = inputs("a", Tensor.ofFloats(Shape.of(3), 1, 2, 3), "b", Tensor.ofFloats(Shape.of(3), 4, 5, 6));
    assertArrayEquals(new float[] {32}, run(m, false, 1, in), 0f);
  }

  @Test
  public void fastMatchesReferenceWithConstantAndComputedB() throws Exception {
    Random r = new Random(0x3a7);
    int[] dims = {1, 2, 3, 5, 16, 17, 31, 64, 70};
    int[][][] batchShapes = {
      {{}, {}}, {{3}, {}}, {{}, {2}}, {{2, 1}, {3}}, {{1}, {4}}, {{2, 3}, {2, 3}}, {{4}, {1}},
    };
    for (int i = 0; i < 70; i++) {
      int m = dims[r.nextInt(dims.length)];
      int k = dims[r.nextInt(dims.length)];
      int n = i % 10 == 0 ? 300 : dims[r.nextInt(dims.length)];
      int[][] batches = batchShapes[r.nextInt(batchShapes.length)];
      boolean vecA = batches[0].length == 0 && r.nextInt(6) == 0;
      boolean vecB = !vecA && batches[1].length == 0 && r.nextInt(6) == 0;
      Shape as = vecA ? Shape.of(k) : Shape.of(concat(batches[0], m, k));
      Shape bs = vecB ? Shape.of(k) : Shape.of(concat(batches[1], k, n));
      boolean constant = r.nextBoolean();
      String act = ACTIVATIONS[r.nextInt(ACTIVATIONS.length)];
      float[] bValues = random(r, bs.elementCount());
      byte[] model = matmul(as, bs, constant ? bValues : null, act);
      Map<String, Tensor> in = constant
          ? inputs("a", Tensor.ofFloats(as, random(r, as.elementCount())))
          : inputs("a", Tensor.ofFloats(as, random(r, as.elementCount())), "b", Tensor.ofFloats(bs, bValues));
      assertFastMatchesReference(as + " @ " + bs + (constant ? " constant " : " computed ") + act, model, in, k);
    }
  }

  @Test
  public void innerDimensionsMustAgree() {
    GraphBuilder g = new GraphBuilder();
    int a = g.input("a", DataType.FLOAT32, Shape.of(2, 3));
    int b = g.input("b", DataType.FLOAT32, Shape.of(4, 5));
    g.output(g.node("MatMul", "mm1", a, b).output("y"));
    assertBuildFails(g, "node 'mm1' (MatMul)", "inner dimensions differ: a [2,3] has K = 3, b [4,5] has K = 4");
  }

  @Test
  public void batchDimensionsMustBroadcast() {
    GraphBuilder g = new GraphBuilder();
    int a = g.input("a", DataType.FLOAT32, Shape.of(3, 2, 4));
    int b = g.input("b", DataType.FLOAT32, Shape.of(2, 4, 5));
    g.output(g.node("MatMul", "mm2", a, b).output("y"));
    assertBuildFails(g, "node 'mm2' (MatMul)", "batch dimensions of a [3,2,4] and b [2,4,5] do not broadcast (3 vs 2)");
  }

  @Test
  public void inputsAreChecked() {
    GraphBuilder g = new GraphBuilder();
    int a = g.input("a", DataType.FLOAT32, Shape.of(2, 3));
    g.output(g.node("MatMul", "mm3", a).output("y"));
    assertBuildFails(g, "node 'mm3' (MatMul)", "expects 2 inputs, got 1");

    g = new GraphBuilder();
    a = g.input("a", DataType.FLOAT32, Shape.of(2, 3));
    int b = g.input("b", DataType.INT32, Shape.of(3, 2));
    g.output(g.node("MatMul", "mm4", a, b).output("y"));
    assertBuildFails(g, "node 'mm4' (MatMul)", "input 1 'b' must be FLOAT32, got INT32");
  }

  private static int[] concat(int[] batch, int rows, int cols) {
    int[] s = new int[batch.length + 2];
    System.arraycopy(batch, 0, s, 0, batch.length);
    s[batch.length] = rows;
    s[batch.length + 1] = cols;
    return s;
  }
}
