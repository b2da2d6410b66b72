package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Int8Testing.dequantize;
import static dev.topiary.internal.ops.Int8Testing.feed;
import static dev.topiary.internal.ops.Int8Testing.int8Constant;
import static dev.topiary.internal.ops.Int8Testing.randomBytes;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.quantization.QuantParams;
import dev.topiary.testing.TestSupport;
import java.util.Random;
import org.junit.Test;

/**
 * Dynamic-range FullyConnected and Conv2D against the FLOAT32 op on the dequantized weights. The
 * only error left is the input's quantization: each input is off by at most half a step, so an
 * output is off by at most {@code ½·scale_x·Σ|w|} over its taps (plus float rounding).
 */
public class DynamicRangeTest {
  private static GraphBuilder graph(String op, Shape x, Shape w, byte[] wv, QuantParams wq, float[] b,
      OpTesting.Attrs attrs, boolean dequantized) {
    GraphBuilder g = new GraphBuilder();
    int xi = g.input("x", DataType.FLOAT32, x);
    int wi = dequantized ? g.constant("w", w, dequantize(wv, wq)) : int8Constant(g, "w", w, wv, wq);
    GraphBuilder.NodeBuilder n = b == null ? g.node(op, "n", xi, wi)
        : g.node(op, "n", xi, wi, g.constant("b", Shape.of(b.length), b));
    attrs.apply(n);
    g.output(n.output("y"));
    return g;
  }

  /** Checks every output against the float op within the input-quantization bound of its channel. */
  private static void check(String what, String op, Shape x, Shape w, float[] xv, byte[] wv, QuantParams wq,
      float[] b, OpTesting.Attrs attrs, int depthPerChannel) throws Exception {
    float[] expected = Int8Testing.run(graph(op, x, w, wv, wq, b, attrs, true), feed("x", Tensor.ofFloats(x, xv)), true)
        .toFloatArray();
    float[] got = Int8Testing.run(graph(op, x, w, wv, wq, b, attrs, false), feed("x", Tensor.ofFloats(x, xv)), false)
        .toFloatArray();
    float[] deq = dequantize(wv, wq);
    int channels = w.dim(0);
    double[] absSum = new double[channels];
    for (int i = 0; i < deq.length; i++) {
      absSum[i / depthPerChannel] += Math.abs(deq[i]);
    }
    float lo = 0;
    float hi = 0;
    for (float v : xv) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    // Per-row/image scale is at most the whole input's range over 255.
    double xStep = (hi - lo) / 255.0;
    for (int i = 0; i < got.length; i++) {
      int c = i % channels;
      double tol = 0.5 * xStep * absSum[c] * 1.01 + 1e-5;
      if (!(Math.abs(got[i] - expected[i]) <= tol)) {
        fail(what + ": element " + i + " is " + got[i] + ", expected " + expected[i] + " ± " + tol);
      }
    }
  }

  private static QuantParams perChannel(Random r, int n) {
    float[] s = new float[n];
    for (int j = 0; j < n; j++) {
      s[j] = 0.001f + 0.01f * r.nextFloat();
    }
    return QuantParams.perAxis(s, new int[n], 0);
  }

  @Test
  public void fullyConnected() throws Exception {
    Random r = new Random(2);
    int[][] shapes = {{1, 1, 1}, {4, 9, 3}, {7, 64, 10}, {3, 5, 17}};
    for (int[] s : shapes) {
      Shape x = Shape.of(s[0], s[1]);
      Shape w = Shape.of(s[2], s[1]);
      byte[] wv = randomBytes(r, s[1] * s[2], -127, 127);
      float[] xv = TestSupport.randomFloats(r, s[0] * s[1], -2f, 3f);
      check("fc " + java.util.Arrays.toString(s), "FullyConnected", x, w, xv, wv, perChannel(r, s[2]),
          TestSupport.randomFloats(r, s[2], -1, 1), OpTesting.NONE, s[1]);
      check("fc relu " + java.util.Arrays.toString(s), "FullyConnected", x, w, xv, wv,
          QuantParams.perTensor(0.01f, 0), null, n -> n.attr("activation", "RELU"), s[1]);
    }
  }

  @Test
  public void conv() throws Exception {
    Random r = new Random(3);
    Object[][] cases = {
      {new int[] {1, 6, 6, 3}, 4, 3, 1, (OpTesting.Attrs) n -> n.attr("padding", "SAME_UPPER")},
      {new int[] {2, 7, 5, 4}, 6, 3, 2, (OpTesting.Attrs) n -> n.attr("group", 2L).attrInts("strides", 2, 2)},
      {new int[] {1, 8, 8, 5}, 5, 3, 5, (OpTesting.Attrs) n -> n.attr("group", 5L).attrInts("dilations", 2, 2)
          .attrInts("pads", 2, 2, 2, 2).attr("activation", "RELU6")},
    };
    for (Object[] k : cases) {
      int[] xs = (int[]) k[0];
      int o = (Integer) k[1];
      int kk = (Integer) k[2];
      int group = (Integer) k[3];
      int cg = xs[3] / group;
      Shape w = Shape.of(o, kk, kk, cg);
      byte[] wv = randomBytes(r, w.elementCount(), -127, 127);
      float[] xv = TestSupport.randomFloats(r, Shape.of(xs).elementCount(), -1f, 2f);
      check("conv " + java.util.Arrays.toString(xs), "Conv2D", Shape.of(xs), w, xv, wv, perChannel(r, o),
          TestSupport.randomFloats(r, o, -1, 1), (OpTesting.Attrs) k[4], kk * kk * cg);
    }
  }

  @Test
  public void exactWhenTheInputIsOnTheGrid() throws Exception {
    // x = [0, 1, 2, 3] (range [0, 3], scale 3/255, zp −128, every value exactly representable? no:
    // 1 / (3/255) = 85 exactly, so x_q − zp = 0, 85, 170, 255). w = [[1, 1, 1, 1]] scale 0.5.
    // acc = 510, y = 510 · (3/255) · 0.5 = 3 = 0.5·(0+1+2+3).
    GraphBuilder g = graph("FullyConnected", Shape.of(1, 4), Shape.of(1, 4), new byte[] {1, 1, 1, 1},
        QuantParams.perTensor(0.5f, 0), null, OpTesting.NONE, false);
    float[] y = Int8Testing.run(g, feed("x", Tensor.ofFloats(Shape.of(1, 4), 0, 1, 2, 3)), false).toFloatArray();
    assertArrayEquals(new float[] {3f}, y, 1e-6f);
  }

  @Test
  public void nonFiniteInputRowGivesNaN() throws Exception {
    GraphBuilder g = graph("FullyConnected", Shape.of(2, 2), Shape.of(1, 2), new byte[] {1, 1},
        QuantParams.perTensor(1f, 0), null, OpTesting.NONE, false);
    float[] y = Int8Testing.run(g, feed("x", Tensor.ofFloats(Shape.of(2, 2), 1, Float.POSITIVE_INFINITY, 1, 1)), false)
        .toFloatArray();
    assertTrue(Float.isNaN(y[0]));
    assertArrayEquals(new float[] {2f}, new float[] {y[1]}, 1e-6f);
  }
}
