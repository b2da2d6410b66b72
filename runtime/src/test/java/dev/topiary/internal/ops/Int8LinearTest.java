package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Int8Testing.assertFails;
import static dev.topiary.internal.ops.Int8Testing.assertWithin;
import static dev.topiary.internal.ops.Int8Testing.dequantize;
import static dev.topiary.internal.ops.Int8Testing.dequantizeBias;
import static dev.topiary.internal.ops.Int8Testing.feed;
import static dev.topiary.internal.ops.Int8Testing.int32Bias;
import static dev.topiary.internal.ops.Int8Testing.int8Constant;
import static dev.topiary.internal.ops.Int8Testing.int8Input;
import static dev.topiary.internal.ops.Int8Testing.int8Output;
import static dev.topiary.internal.ops.Int8Testing.quantize;
import static dev.topiary.internal.ops.Int8Testing.randomBytes;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.quantization.QuantParams;
import java.util.Random;
import org.junit.Test;

/**
 * INT8 FullyConnected and Conv2D: bit-exact hand-computed TFLite arithmetic, the fast kernels
 * bit-identical to the reference, and both within one quantization step of the FLOAT32 op run on
 * the dequantized tensors.
 */
public class Int8LinearTest {
  /** A linear node over int8 tensors and its float twin. */
  static final class Case {
    String op;
    Shape x;
    Shape w;
    QuantParams xq;
    QuantParams wq;
    QuantParams yq;
    byte[] wv;
    int[] bias;
    OpTesting.Attrs attrs = OpTesting.NONE;

    GraphBuilder int8() {
      GraphBuilder g = new GraphBuilder();
      int xi = int8Input(g, "x", x, xq);
      int wi = int8Constant(g, "w", w, wv, wq);
      GraphBuilder.NodeBuilder n = bias == null
          ? g.node(op, "q", xi, wi)
          : g.node(op, "q", xi, wi, int32Bias(g, "b", bias, xq.scale(0), wq));
      attrs.apply(n);
      int8Output(g, n, "y", yq);
      return g;
    }

    GraphBuilder float32() {
      GraphBuilder g = new GraphBuilder();
      int xi = g.input("x", DataType.FLOAT32, x);
      int wi = g.constant("w", w, dequantize(wv, wq));
      GraphBuilder.NodeBuilder n = bias == null
          ? g.node(op, "f", xi, wi)
          : g.node(op, "f", xi, wi, g.constant("b", Shape.of(bias.length), dequantizeBias(bias, xq.scale(0), wq)));
      attrs.apply(n);
      g.output(n.output("y"));
      return g;
    }

    /** Runs the int8 graph (reference and fast, 1 thread) and checks both against the float oracle. */
    byte[] check(String what, byte[] xv) throws Exception {
      Tensor xt = Tensor.ofBytes(DataType.INT8, x, xv);
      byte[] ref = Int8Testing.run(int8(), feed("x", xt), true).toByteArray();
      byte[] fast = Int8Testing.run(int8(), feed("x", xt), false).toByteArray();
      assertArrayEquals(what + ": fast vs reference", ref, fast);
      float[] fy = Int8Testing.run(float32(), feed("x", Tensor.ofFloats(x, dequantize(xv, xq))), true).toFloatArray();
      assertWithin(what + ": vs FLOAT32 on dequantized values", quantize(fy, yq), ref, 1);
      return ref;
    }
  }

  @Test
  public void fullyConnectedByHand() throws Exception {
    // x scale 0.5, zp −1; w per channel scales {0.25, 0.125}, zp 0; y scale 1, zp 3.
    // x = [1, 3, −1] → x − zp = [2, 4, 0].
    // w row 0 = [1, 2, 3]: acc = 1·2 + 2·4 + 3·0 = 10, + bias 7 = 17.
    //   multiplier 0.5·0.25/1 = 0.125 = (2^30, −2): 17·½ = 8.5 → 9 (tie up), 9/4 = 2.25 → 2; + 3 = 5.
    //   (exact: 17·0.125 = 2.125 → 2, + 3 = 5.)
    // w row 1 = [−4, 1, 5]: acc = −8 + 4 + 0 = −4, + bias −9 = −13.
    //   multiplier 0.5·0.125 = 0.0625 = (2^30, −3): −13·½ = −6.5 → −6 (tie up), −6/8 = −0.75 → −1; + 3 = 2.
    //   (exact: −13·0.0625 = −0.8125 → −1, + 3 = 2.)
    Case c = new Case();
    c.op = "FullyConnected";
    c.x = Shape.of(1, 3);
    c.w = Shape.of(2, 3);
    c.xq = QuantParams.perTensor(0.5f, -1);
    c.wq = QuantParams.perAxis(new float[] {0.25f, 0.125f}, new int[2], 0);
    c.yq = QuantParams.perTensor(1f, 3);
    c.wv = new byte[] {1, 2, 3, -4, 1, 5};
    c.bias = new int[] {7, -9};
    assertArrayEquals(new byte[] {5, 2}, c.check("by hand", new byte[] {1, 3, -1}));
    // A tie that the double rounding decides: acc 13 (x − zp = [13, 0, 0], w row 0 = [1, 0, 0],
    // no bias) with multiplier 0.25 (y scale 0.5): 13·½ = 6.5 → 7, 7/2 = 3.5 → 4; + zp 3 = 7
    // (the exactly rounded 3.25 would give 6).
    Case t = new Case();
    t.op = "FullyConnected";
    t.x = Shape.of(1, 3);
    t.w = Shape.of(1, 3);
    t.xq = QuantParams.perTensor(0.5f, -1);
    t.wq = QuantParams.perAxis(new float[] {0.25f}, new int[1], 0);
    t.yq = QuantParams.perTensor(0.5f, 3);
    t.wv = new byte[] {1, 0, 0};
    Tensor xt = Tensor.ofBytes(DataType.INT8, t.x, new byte[] {12, 5, 5});
    for (boolean reference : new boolean[] {true, false}) {
      assertArrayEquals(new byte[] {7}, Int8Testing.run(t.int8(), feed("x", xt), reference).toByteArray());
    }
  }

  @Test
  public void fullyConnectedActivationClampsInTheQuantizedDomain() throws Exception {
    // y scale 0.1, zp −20: RELU clamps at q = −20, RELU6 at −20 + 60 = 40.
    Case c = new Case();
    c.op = "FullyConnected";
    c.x = Shape.of(1, 1);
    c.w = Shape.of(2, 1);
    c.xq = QuantParams.perTensor(1f, 0);
    c.wq = QuantParams.perTensor(1f, 0);
    c.yq = QuantParams.perTensor(0.1f, -20);
    c.wv = new byte[] {-1, 1};
    c.attrs = n -> n.attr("activation", "RELU6");
    // acc = −10, 10 → real −10, 10 → q −120, 80 → clamped to −20, 40.
    assertArrayEquals(new byte[] {-20, 40}, c.check("relu6", new byte[] {10}));
  }

  @Test
  public void fullyConnectedRandomAgainstFloat() throws Exception {
    Random r = new Random(21);
    // rows, K, N: wide ones (N ≥ 96 or N ≥ rows) run through Int8ConvGemm, across its 256-column
    // panels and 64-row tiles.
    int[][] shapes = {{1, 1, 1}, {3, 7, 5}, {5, 64, 13}, {2, 100, 8}, {17, 33, 4}, {1, 300, 257}, {3, 20, 300},
        {130, 17, 97}};
    String[] acts = {"NONE", "RELU", "RELU6"};
    int t = 0;
    for (int[] s : shapes) {
      for (boolean perChannel : new boolean[] {true, false}) {
        Case c = new Case();
        c.op = "FullyConnected";
        c.x = Shape.of(s[0], s[1]);
        c.w = Shape.of(s[2], s[1]);
        c.xq = QuantParams.perTensor(0.02f + r.nextFloat() * 0.05f, r.nextInt(41) - 20);
        float[] ws = new float[s[2]];
        for (int j = 0; j < ws.length; j++) {
          ws[j] = 0.002f + r.nextFloat() * 0.01f;
        }
        c.wq = perChannel ? QuantParams.perAxis(ws, new int[ws.length], 0) : QuantParams.perTensor(ws[0], 0);
        c.yq = QuantParams.perTensor(0.01f + r.nextFloat() * 0.04f * (float) Math.sqrt(s[1]), r.nextInt(21) - 10);
        c.wv = randomBytes(r, s[1] * s[2], -127, 127);
        c.bias = t % 2 == 0 ? null : randomInts(r, s[2], 2000);
        String act = acts[t++ % acts.length];
        c.attrs = n -> n.attr("activation", act);
        c.check("fc " + java.util.Arrays.toString(s) + " " + act, randomBytes(r, s[0] * s[1], -128, 127));
      }
    }
  }

  @Test
  public void fullyConnectedKeepsLeadingDimensions() throws Exception {
    Random r = new Random(4);
    Case c = new Case();
    c.op = "FullyConnected";
    c.x = Shape.of(2, 3, 6);
    c.w = Shape.of(5, 6);
    c.xq = QuantParams.perTensor(0.05f, 2);
    c.wq = QuantParams.perTensor(0.01f, 0);
    c.yq = QuantParams.perTensor(0.03f, -1);
    c.wv = randomBytes(r, 30, -127, 127);
    c.check("rank 3", randomBytes(r, 36, -128, 127));
  }

  static int[] randomInts(Random r, int n, int bound) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextInt(2 * bound + 1) - bound;
    }
    return a;
  }

  static Case conv(Random r, int[] x, int o, int kh, int kw, int group, OpTesting.Attrs attrs, boolean bias) {
    Case c = new Case();
    c.op = "Conv2D";
    c.x = Shape.of(x);
    int cg = x[3] / group;
    c.w = Shape.of(o, kh, kw, cg);
    c.xq = QuantParams.perTensor(0.02f + r.nextFloat() * 0.05f, r.nextInt(61) - 30);
    float[] ws = new float[o];
    for (int j = 0; j < o; j++) {
      ws[j] = 0.002f + r.nextFloat() * 0.01f;
    }
    c.wq = QuantParams.perAxis(ws, new int[o], 0);
    c.yq = QuantParams.perTensor(0.02f + 0.02f * (float) Math.sqrt(kh * kw * cg), r.nextInt(21) - 10);
    c.wv = randomBytes(r, o * kh * kw * cg, -127, 127);
    c.bias = bias ? randomInts(r, o, 3000) : null;
    c.attrs = attrs;
    return c;
  }

  @Test
  public void convRandomAgainstFloat() throws Exception {
    Random r = new Random(33);
    Object[][] cases = {
      // input, O, KH, KW, group, attrs
      {new int[] {1, 5, 5, 3}, 4, 3, 3, 1, (OpTesting.Attrs) n -> {}},
      {new int[] {2, 7, 6, 5}, 6, 3, 2, 1, (OpTesting.Attrs) n -> n.attr("padding", "SAME_UPPER")},
      {new int[] {1, 9, 8, 4}, 8, 3, 3, 1, (OpTesting.Attrs) n -> n.attrInts("strides", 2, 2).attr("padding", "SAME_LOWER")},
      {new int[] {1, 9, 9, 3}, 5, 3, 3, 1, (OpTesting.Attrs) n -> n.attrInts("dilations", 2, 2).attrInts("pads", 2, 1, 0, 2)},
      {new int[] {1, 6, 6, 8}, 8, 3, 3, 8, (OpTesting.Attrs) n -> n.attr("group", 8L).attr("padding", "SAME_UPPER")
          .attr("activation", "RELU6")},
      {new int[] {1, 7, 7, 4}, 8, 3, 3, 4, (OpTesting.Attrs) n -> n.attr("group", 4L).attrInts("strides", 2, 1)
          .attrInts("pads", 1, 1, 1, 1).attr("activation", "RELU")},
      {new int[] {1, 5, 4, 6}, 9, 1, 1, 3, (OpTesting.Attrs) n -> n.attr("group", 3L)},
      {new int[] {1, 4, 4, 16}, 7, 1, 1, 1, (OpTesting.Attrs) n -> n.attr("activation", "CLIP")
          .attr("activation_min", -0.5f).attr("activation_max", 0.75f)},
      {new int[] {1, 3, 3, 2}, 3, 5, 5, 1, (OpTesting.Attrs) n -> n.attrInts("pads", 2, 2, 2, 2)},
      // Several 256-pixel tiles of the tiled kernel, a tile spanning two images, depth 45 (not a
      // multiple of its 16-row blocks).
      {new int[] {2, 13, 11, 5}, 10, 3, 3, 1, (OpTesting.Attrs) n -> n.attr("padding", "SAME_LOWER")},
    };
    int t = 0;
    for (Object[] k : cases) {
      int[] x = (int[]) k[0];
      Case c = conv(r, x, (Integer) k[1], (Integer) k[2], (Integer) k[3], (Integer) k[4], (OpTesting.Attrs) k[5],
          t++ % 3 != 0);
      c.check("conv " + java.util.Arrays.toString(x) + " case " + t, randomBytes(r, Shape.of(x).elementCount(), -128, 127));
    }
  }

  @Test
  public void convFastMatchesReferenceOnManyThreads() throws Exception {
    Random r = new Random(8);
    Case c = conv(r, new int[] {1, 20, 20, 16}, 12, 3, 3, 1, n -> n.attr("padding", "SAME_UPPER"), true);
    Tensor xt = Tensor.ofBytes(DataType.INT8, c.x, randomBytes(r, c.x.elementCount(), -128, 127));
    byte[] ref = Int8Testing.run(c.int8(), feed("x", xt), true).toByteArray();
    for (int threads = 2; threads <= 3; threads++) {
      try (dev.topiary.Model m = dev.topiary.testing.TestSupport.load(c.int8().build(), false);
          dev.topiary.Session s = m.newSession(dev.topiary.SessionOptions.builder().threads(threads).build())) {
        dev.topiary.internal.ModelAccess.get().minParallelWork(s, 0); // split even small shapes across the threads
        assertArrayEquals(threads + " threads", ref, s.run(feed("x", xt)).get("y").toByteArray());
      }
    }
  }

  // ---- errors ----

  private static Case validFc() {
    Case c = new Case();
    c.op = "FullyConnected";
    c.x = Shape.of(1, 2);
    c.w = Shape.of(2, 2);
    c.xq = QuantParams.perTensor(0.5f, 0);
    c.wq = QuantParams.perAxis(new float[] {0.1f, 0.2f}, new int[2], 0);
    c.yq = QuantParams.perTensor(1f, 0);
    c.wv = new byte[] {1, 2, 3, 4};
    c.bias = new int[] {1, 2};
    return c;
  }

  @Test
  public void missingInputQuantizationIsAnError() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.INT8, Shape.of(1, 2));
    GraphBuilder.NodeBuilder n = g.node("FullyConnected", "fc", x,
        int8Constant(g, "w", Shape.of(2, 2), new byte[4], QuantParams.perTensor(1f, 0)));
    int8Output(g, n, "y", QuantParams.perTensor(1f, 0));
    assertFails(g, "node 'fc' (FullyConnected): input 0 'x' is INT8 but has no quantization parameters");
  }

  @Test
  public void perAxisActivationIsAnError() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = int8Input(g, "x", Shape.of(1, 2), QuantParams.perAxis(new float[] {1f, 2f}, new int[2], 1));
    GraphBuilder.NodeBuilder n = g.node("FullyConnected", "fc", x,
        int8Constant(g, "w", Shape.of(2, 2), new byte[4], QuantParams.perTensor(1f, 0)));
    int8Output(g, n, "y", QuantParams.perTensor(1f, 0));
    assertFails(g, "node 'fc' (FullyConnected): input 0 'x' has per-axis quantization parameters (axis 1, 2 channels);"
        + " activations must be quantized per tensor");
  }

  @Test
  public void weightZeroPointIsAnError() throws Exception {
    Case c = validFc();
    c.wq = QuantParams.perAxis(new float[] {0.1f, 0.2f}, new int[] {0, 3}, 0);
    assertFails(c.int8(), "node 'q' (FullyConnected): weights (input 1 'w') have zero point 3 at channel 1;"
        + " INT8 weights must be symmetric (zero point 0)");
  }

  @Test
  public void biasScaleMismatchIsAnError() throws Exception {
    Case c = validFc();
    GraphBuilder g = new GraphBuilder();
    int xi = int8Input(g, "x", c.x, c.xq);
    int wi = int8Constant(g, "w", c.w, c.wv, c.wq);
    int bi = g.constantInts("b", Shape.of(2), c.bias);
    g.quantization(bi, new float[] {0.05f, 0.1001f}, new long[2], 0);
    int8Output(g, g.node("FullyConnected", "fc", xi, wi, bi), "y", c.yq);
    assertFails(g, "node 'fc' (FullyConnected): bias (input 2 'b') scale 0.10010000318288803 at channel 1 does not"
        + " match input_scale × weight_scale = 0.5 × 0.2 = 0.10000000149011612");
  }

  @Test
  public void biasWithoutQuantizationIsDerivedAndFloatOutputIsAnError() throws Exception {
    Case c = validFc();
    GraphBuilder g = new GraphBuilder();
    int xi = int8Input(g, "x", c.x, c.xq);
    int wi = int8Constant(g, "w", c.w, c.wv, c.wq);
    int bi = g.constantInts("b", Shape.of(2), c.bias);
    int8Output(g, g.node("FullyConnected", "q", xi, wi, bi), "y", c.yq);
    // format 1.2: the bias's parameters are derived (input_scale × weight_scale[c], zero point 0)
    // (without the 1.3 encodings, which would store the INT32 bias narrow)
    byte[] derived = g.compactEncodings(false).build();
    assertEquals(2, dev.topiary.internal.format.ArtifactReader.read(java.nio.ByteBuffer.wrap(derived), true)
        .minorVersion());
    assertEquals(0, dev.topiary.internal.format.ArtifactReader.read(
        java.nio.ByteBuffer.wrap(c.int8().compactEncodings(false).build()), true).minorVersion());
    g.compactEncodings(true);
    Tensor xt = Tensor.ofBytes(DataType.INT8, c.x, new byte[] {3, -5});
    assertArrayEquals(Int8Testing.run(c.int8(), feed("x", xt), true).toByteArray(),
        Int8Testing.run(g, feed("x", xt), true).toByteArray());

    GraphBuilder h = new GraphBuilder();
    int hx = int8Input(h, "x", c.x, c.xq);
    int hw = int8Constant(h, "w", c.w, c.wv, c.wq);
    h.output(h.node("FullyConnected", "fc", hx, hw).output("y"));
    assertFails(h, "node 'fc' (FullyConnected): output 0 'y' must be INT8 for FullyConnected with INT8 inputs, got FLOAT32");
  }

  @Test
  public void convWithFloatWeightsAndInt8InputIsAnError() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = int8Input(g, "x", Shape.of(1, 3, 3, 1), QuantParams.perTensor(1f, 0));
    GraphBuilder.NodeBuilder n = g.node("Conv2D", "conv", x, g.constant("w", Shape.of(1, 1, 1, 1), new float[] {1}));
    int8Output(g, n, "y", QuantParams.perTensor(1f, 0));
    assertFails(g, "node 'conv' (Conv2D): weights (input 1 'w') must be INT8 with an INT8 input, got FLOAT32");
  }

  @Test
  public void hardSwishIsRejected() throws Exception {
    Case c = validFc();
    c.attrs = n -> n.attr("activation", "HARD_SWISH");
    assertFails(c.int8(), "activation HARD_SWISH is not supported with INT8 inputs");
  }

  @Test
  public void outputShapeAndType() throws Exception {
    Case c = validFc();
    try (dev.topiary.Model m = dev.topiary.testing.TestSupport.load(c.int8().build())) {
      assertEquals(DataType.INT8, m.outputs().get(0).dataType());
      assertEquals(Shape.of(1, 2), m.outputs().get(0).shape());
    }
  }
}
