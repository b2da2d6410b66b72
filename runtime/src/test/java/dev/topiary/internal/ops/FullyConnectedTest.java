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
import dev.topiary.quantization.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/** FullyConnected: hand-computed cases, errors, and the fast path against the reference. */
public class FullyConnectedTest {
  private static byte[] fc(Shape x, int n, float[] w, float[] b, String act) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int xi = g.input("x", DataType.FLOAT32, x);
    int k = x.dim(-1);
    int wi = g.constant("w", Shape.of(n, k), w);
    GraphBuilder.NodeBuilder node = b == null
        ? g.node("FullyConnected", "fc", xi, wi)
        : g.node("FullyConnected", "fc", xi, wi, g.constant("b", Shape.of(n), b));
    g.output(activation(node, act).output("y"));
    return g.build();
  }

  @Test
  public void computedByHand() throws Exception {
    // y = x·wᵀ + b with x = [[1,2,3],[4,5,6]], w = [[1,0,-1],[0.5,0.5,0.5]], b = [1,-1].
    float[] w = {1, 0, -1, 0.5f, 0.5f, 0.5f};
    float[] b = {1, -1};
    Map<String, Tensor> in = inputs("x", Tensor.ofFloats(Shape.of(2, 3), 1, 2, 3, 4, 5, 6));
    byte[] plain = fc(Shape.of(2, 3), 2, w, b, "NONE");
    byte[] relu = fc(Shape.of(2, 3), 2, w, b, "RELU");
    for (boolean reference : new boolean[] {true, false}) {
      assertArrayEquals(new float[] {-1, 2, -1, 6.5f}, run(plain, reference, 1, in), 0f);
      assertArrayEquals(new float[] {0, 2, 0, 6.5f}, run(relu, reference, 2, in), 0f);
    }
  }

  @Test
  public void leadingDimensionsAreKept() throws Exception {
    Random r = new Random(3);
    byte[] m = fc(Shape.of(2, 3, 5), 4, random(r, 20), null, "NONE");
    assertEquals(Shape.of(2, 3, 4), outputShape(m));
    byte[] v = fc(Shape.of(5), 4, random(r, 20), random(r, 4), "NONE");
    assertEquals(Shape.of(4), outputShape(v));
    assertFastMatchesReference("rank 1", v, inputs("x", Tensor.ofFloats(Shape.of(5), random(r, 5))), 5);
  }

  @Test
  public void fastMatchesReferenceOnRandomShapes() throws Exception {
    Random r = new Random(0xfc);
    int[] ms = {1, 2, 3, 7, 64, 65, 130};
    int[] ks = {1, 3, 4, 16, 17, 100, 257};
    int[] ns = {1, 5, 16, 17, 255, 256, 257, 513};
    for (int i = 0; i < 60; i++) {
      int m = ms[r.nextInt(ms.length)];
      int k = ks[r.nextInt(ks.length)];
      int n = ns[r.nextInt(ns.length)];
      boolean bias = r.nextBoolean();
      String act = ACTIVATIONS[r.nextInt(ACTIVATIONS.length)];
      Shape xs = m % 2 == 0 && r.nextBoolean() ? Shape.of(2, m / 2, k) : Shape.of(m, k);
      byte[] model = fc(xs, n, random(r, n * k), bias ? random(r, n) : null, act);
      assertFastMatchesReference("x" + xs + " n " + n + (bias ? " bias " : " ") + act, model,
          inputs("x", Tensor.ofFloats(xs, random(r, m * k))), k);
    }
  }

  @Test
  public void float16WeightsAreWidenedAtLoad() throws Exception {
    // Weights stored as FLOAT16 give the same result as their FLOAT32 values.
    Random r = new Random(5);
    int n = 7;
    int k = 9;
    float[] w = random(r, n * k);
    ByteBuffer half = ByteBuffer.allocate(2 * n * k).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < w.length; i++) {
      half.putShort(Float16.fromFloat(w[i]));
      w[i] = Float16.toFloat(Float16.fromFloat(w[i]));
    }
    ((java.nio.Buffer) half).flip();
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(3, k));
    int wi = g.constantRaw("w", DataType.FLOAT16, Shape.of(n, k), half);
    g.output(g.node("FullyConnected", "fc", x, wi).output("y"));
    Map<String, Tensor> in = inputs("x", Tensor.ofFloats(Shape.of(3, k), random(r, 3 * k)));
    float[] expected = run(fc(Shape.of(3, k), n, w, null, "NONE"), true, 1, in);
    byte[] model = g.build();
    assertArrayEquals(expected, run(model, true, 1, in), 0f);
    assertArrayEquals(expected, run(model, false, 2, in), 0f);
  }

  @Test
  public void weightsMustMatchTheInputDepth() {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(2, 3));
    int w = g.constant("w", Shape.of(4, 5), new float[20]);
    g.output(g.node("FullyConnected", "fc1", x, w).output("y"));
    assertBuildFails(g, "node 'fc1' (FullyConnected)", "weights must be [N,3] to match the input's last dimension",
        "got [4,5]");
  }

  @Test
  public void biasMustHaveOneValuePerOutput() {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(2, 3));
    int w = g.constant("w", Shape.of(4, 3), new float[12]);
    int b = g.constant("b", Shape.of(3), new float[3]);
    g.output(g.node("FullyConnected", "fc2", x, w, b).output("y"));
    assertBuildFails(g, "node 'fc2' (FullyConnected)", "bias must have shape [4]", "got [3]");
  }

  @Test
  public void weightsMustBeConstant() {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(2, 3));
    int w = g.input("w", DataType.FLOAT32, Shape.of(4, 3));
    g.output(g.node("FullyConnected", "fc3", x, w).output("y"));
    assertBuildFails(g, "node 'fc3' (FullyConnected)", "weights (input 1) must be a constant");
  }
}
