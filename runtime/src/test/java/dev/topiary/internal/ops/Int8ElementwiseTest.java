package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Int8Testing.assertFails;
import static dev.topiary.internal.ops.Int8Testing.assertWithin;
import static dev.topiary.internal.ops.Int8Testing.dequantize;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * INT8 Add, Mul, pools, Concat and the data-movement ops: bit-exact hand-computed TFLite
 * arithmetic, and every kernel within one quantization step of the FLOAT32 op on dequantized
 * values.
 */
public class Int8ElementwiseTest {
  /** Runs a one-node int8 graph over inputs x0, x1, ... (reference and fast kernels must agree). */
  private static byte[] runInt8(String op, OpTesting.Attrs attrs, QuantParams yq, Shape[] shapes, QuantParams[] qs,
      byte[][] values) throws Exception {
    byte[] result = null;
    for (boolean reference : new boolean[] {true, false}) {
      GraphBuilder g = new GraphBuilder();
      int[] ids = new int[shapes.length];
      Map<String, Tensor> feed = new LinkedHashMap<>();
      for (int i = 0; i < shapes.length; i++) {
        ids[i] = int8Input(g, "x" + i, shapes[i], qs[i]);
        feed.put("x" + i, Tensor.ofBytes(DataType.INT8, shapes[i], values[i]));
      }
      GraphBuilder.NodeBuilder n = g.node(op, "n", ids);
      attrs.apply(n);
      int8Output(g, n, "y", yq);
      byte[] y = Int8Testing.run(g, feed, reference).toByteArray();
      if (result != null) {
        assertArrayEquals(op + ": fast vs reference", result, y);
      }
      result = y;
    }
    return result;
  }

  /** The FLOAT32 op on dequantized inputs, its output quantized with {@code yq}. */
  private static byte[] floatOracle(String op, OpTesting.Attrs attrs, QuantParams yq, Shape[] shapes,
      QuantParams[] qs, byte[][] values) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int[] ids = new int[shapes.length];
    Map<String, Tensor> feed = new LinkedHashMap<>();
    for (int i = 0; i < shapes.length; i++) {
      ids[i] = g.input("x" + i, DataType.FLOAT32, shapes[i]);
      feed.put("x" + i, Tensor.ofFloats(shapes[i], dequantize(values[i], qs[i])));
    }
    GraphBuilder.NodeBuilder n = g.node(op, "n", ids);
    attrs.apply(n);
    g.output(n.output("y"));
    return quantize(Int8Testing.run(g, feed, true).toFloatArray(), yq);
  }

  private static void checkAgainstFloat(String what, String op, OpTesting.Attrs attrs, QuantParams yq, Shape[] shapes,
      QuantParams[] qs, Random r) throws Exception {
    byte[][] values = new byte[shapes.length][];
    for (int i = 0; i < shapes.length; i++) {
      values[i] = randomBytes(r, shapes[i].elementCount(), -128, 127);
    }
    assertWithin(what, floatOracle(op, attrs, yq, shapes, qs, values), runInt8(op, attrs, yq, shapes, qs, values), 1);
  }

  private static QuantParams q(float s, int zp) {
    return QuantParams.perTensor(s, zp);
  }

  @Test
  public void addByHand() throws Exception {
    // s_a 0.5 zp 1, s_b 0.25 zp −2, s_y 1 zp 0. twice_max = 1: m_a = 0.5 = (2^30, 0),
    // m_b = 0.25 = (2^30, −1), m_y = 2^−20 = (2^30, −19).
    // a = 5, b = 4: (a − 1)·2^20 = 4194304 → ·½ = 2097152; (b + 2)·2^20 = 6291456 → ·½ = 3145728,
    //   /2 = 1572864; sum 3670016 → ·½ = 1835008 → /2^19 = 3.5 → 4 (away from zero). Real 2 + 1.5 = 3.5.
    // a = −2, b = 0: −3·2^20 → −1572864; 2·2^20 → 524288; sum −1048576 → −524288 → /2^19 = −1.
    // a = −6, b = −2: −7·2^20 → −3670016; 0; sum → −1835008 → /2^19 = −3.5 → −4.
    // a = 127, b = 127: 126·2^20·½ = 66060288; 129·2^20·¼ = 33816576; sum 99876864 → ·½ = 49938432
    //   → /2^19 = 95.25 → 95. Real 63 + 32.25 = 95.25.
    byte[] y = runInt8("Add", OpTesting.NONE, q(1f, 0), new Shape[] {Shape.of(4), Shape.of(4)},
        new QuantParams[] {q(0.5f, 1), q(0.25f, -2)},
        new byte[][] {{5, -2, -6, 127}, {4, 0, -2, 127}});
    assertArrayEquals(new byte[] {4, -1, -4, 95}, y);
  }

  /**
   * The fast Add and Mul (a table of every int8 pair) against the reference formula on every pair
   * of values, as equal shapes and broadcast {@code [256, 1]} against {@code [1, 256]}, with random
   * parameters and fused activations.
   */
  @Test
  public void tableMatchesFormulaOnEveryPair() throws Exception {
    Random r = new Random(12);
    byte[] a = new byte[1 << 16];
    byte[] b = new byte[1 << 16];
    byte[] col = new byte[256];
    for (int i = 0; i < a.length; i++) {
      a[i] = (byte) (i >> 8);
      b[i] = (byte) i;
    }
    for (int i = 0; i < 256; i++) {
      col[i] = (byte) i;
    }
    String[] acts = {"NONE", "RELU", "RELU6"};
    for (int rep = 0; rep < 6; rep++) {
      String op = rep % 2 == 0 ? "Add" : "Mul";
      String act = acts[rep % 3];
      QuantParams qa = q(0.01f + r.nextFloat() * 0.1f, r.nextInt(256) - 128);
      QuantParams qb = q(0.01f + r.nextFloat() * 0.1f, r.nextInt(256) - 128);
      QuantParams qy = q(0.05f + r.nextFloat() * 0.2f, r.nextInt(256) - 128);
      OpTesting.Attrs attrs = n -> n.attr("activation", act);
      runInt8(op, attrs, qy, new Shape[] {Shape.of(1 << 16), Shape.of(1 << 16)}, new QuantParams[] {qa, qb},
          new byte[][] {a, b});
      runInt8(op, attrs, qy, new Shape[] {Shape.of(256, 1), Shape.of(1, 256)}, new QuantParams[] {qa, qb},
          new byte[][] {col, col});
    }
  }

  @Test
  public void mulByHand() throws Exception {
    // s_a 0.5 zp 1, s_b 0.25 zp −2, s_y 0.25 zp 3: multiplier 0.5 = (2^30, 0).
    // (4 − 1)·(3 + 2) = 15 → 15·½ = 7.5 → 8 (ties up); + 3 = 11. Real 1.5·1.25 = 1.875 = 7.5 steps.
    // (−2 − 1)·(3 + 2) = −15 → −7.5 → −7 (ties up, not away from zero); + 3 = −4.
    // (10 − 1)·(−2 + 2) = 0 → 3.
    // (127 − 1)·(127 + 2) = 16254 → 8127; + 3 saturates at 127.
    byte[] y = runInt8("Mul", OpTesting.NONE, q(0.25f, 3), new Shape[] {Shape.of(4), Shape.of(4)},
        new QuantParams[] {q(0.5f, 1), q(0.25f, -2)},
        new byte[][] {{4, -2, 10, 127}, {3, 3, -2, 127}});
    assertArrayEquals(new byte[] {11, -4, 3, 127}, y);
  }

  @Test
  public void addAndMulAgainstFloat() throws Exception {
    Random r = new Random(12);
    Shape[][] shapes = {
      {Shape.of(2, 3, 4), Shape.of(2, 3, 4)},
      {Shape.of(2, 3, 4), Shape.of(4)},
      {Shape.of(1, 5, 1), Shape.of(3, 1, 6)},
      {Shape.of(), Shape.of(7)},
    };
    String[] acts = {"NONE", "RELU", "RELU6"};
    int t = 0;
    for (Shape[] s : shapes) {
      for (String op : new String[] {"Add", "Mul"}) {
        QuantParams[] qs = {q(0.01f + 0.05f * r.nextFloat(), r.nextInt(51) - 25),
            q(0.01f + 0.05f * r.nextFloat(), r.nextInt(51) - 25)};
        float ys = op.equals("Add") ? 0.02f + 0.06f * r.nextFloat() : 0.2f + 0.5f * r.nextFloat();
        String act = acts[t++ % 3];
        checkAgainstFloat(op + " " + java.util.Arrays.toString(s) + " " + act, op, n -> n.attr("activation", act),
            q(ys, r.nextInt(41) - 20), s, qs, r);
      }
    }
  }

  @Test
  public void poolsByHandAndAgainstFloat() throws Exception {
    // AvgPool rounding: windows {1, 2} → 1.5 → 2; {−1, −2} → −1.5 → −2; {1, 1, 2} is not a window here.
    QuantParams p = q(0.1f, 0);
    byte[] y = runInt8("AvgPool", n -> n.attrInts("kernel", 1, 2).attrInts("strides", 1, 2), p,
        new Shape[] {Shape.of(1, 1, 6, 1)}, new QuantParams[] {p}, new byte[][] {{1, 2, -1, -2, 5, 6}});
    assertArrayEquals(new byte[] {2, -2, 6}, y); // 5.5 → 6
    Random r = new Random(5);
    QuantParams in = q(0.05f, -7);
    Shape s = Shape.of(2, 7, 6, 3);
    OpTesting.Attrs[] attrs = {
      n -> n.attrInts("kernel", 3, 3),
      n -> n.attrInts("kernel", 3, 2).attrInts("strides", 2, 2).attr("padding", "SAME_UPPER"),
      n -> n.attrInts("kernel", 2, 2).attrInts("pads", 1, 1, 1, 1).attr("ceil_mode", 1L),
    };
    for (String op : new String[] {"MaxPool", "AvgPool"}) {
      for (OpTesting.Attrs a : attrs) {
        checkAgainstFloat(op, op, a, in, new Shape[] {s}, new QuantParams[] {in}, r);
      }
    }
    // Many channels (the fast kernel's contiguous channel passes), one image, and include-pad.
    Shape wide = Shape.of(1, 9, 8, 37);
    for (String op : new String[] {"MaxPool", "AvgPool"}) {
      for (OpTesting.Attrs a : attrs) {
        checkAgainstFloat(op + " 37 channels", op, a, in, new Shape[] {wide}, new QuantParams[] {in}, r);
      }
    }
    checkAgainstFloat("AvgPool include pad, 37 channels", "AvgPool",
        n -> n.attrInts("kernel", 3, 3).attrInts("strides", 2, 2).attrInts("pads", 1, 1, 1, 1)
            .attr("count_include_pad", 1L), in, new Shape[] {wide}, new QuantParams[] {in}, r);
    checkAgainstFloat("AvgPool include pad", "AvgPool",
        n -> n.attrInts("kernel", 3, 3).attrInts("pads", 1, 1, 1, 1).attr("count_include_pad", 1L), in,
        new Shape[] {s}, new QuantParams[] {in}, r);
    checkAgainstFloat("GlobalAvgPool", "GlobalAvgPool", OpTesting.NONE, in, new Shape[] {s}, new QuantParams[] {in}, r);
  }

  @Test
  public void globalAvgPoolRoundsEachChannelsSumHalfAwayFromZero() throws Exception {
    // Two images of 4×4 pixels and 37 channels, against the sums done here channel by channel.
    Random r = new Random(31);
    int n = 2;
    int hw = 16;
    int c = 37;
    byte[] x = new byte[n * hw * c];
    for (int i = 0; i < x.length; i++) {
      x[i] = (byte) (r.nextInt(256) - 128);
    }
    // Some channels at the extremes (sums of −128·16 and 127·16) and two ties (±8/16).
    for (int p = 0; p < hw; p++) {
      x[p * c] = -128;
      x[p * c + 1] = 127;
      x[p * c + 2] = (byte) (p < 8 ? 1 : 0);
      x[p * c + 3] = (byte) (p < 8 ? -1 : 0);
    }
    byte[] want = new byte[n * c];
    for (int b = 0; b < n; b++) {
      for (int ch = 0; ch < c; ch++) {
        long sum = 0;
        for (int p = 0; p < hw; p++) {
          sum += x[(b * hw + p) * c + ch];
        }
        want[b * c + ch] = (byte) (Math.signum(sum) * Math.round(Math.abs(sum) / (double) hw));
      }
    }
    // 8 of 16 pixels at 1: 0.5 rounds away from zero to 1, −0.5 to −1.
    assertEquals(1, want[2]);
    assertEquals(-1, want[3]);
    QuantParams p = q(0.05f, 3);
    assertArrayEquals(want, runInt8("GlobalAvgPool", OpTesting.NONE, p, new Shape[] {Shape.of(n, 4, 4, c)},
        new QuantParams[] {p}, new byte[][] {x}));
  }

  @Test
  public void poolOutputParametersMustEqualTheInput() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = int8Input(g, "x", Shape.of(1, 2, 2, 1), q(0.1f, 0));
    int8Output(g, g.node("MaxPool", "mp", x).attrInts("kernel", 2, 2), "y", q(0.2f, 0));
    assertFails(g, "node 'mp' (MaxPool): output 0 'y' has quantization QuantParams{scale=0.2, zeroPoint=0}, but"
        + " MaxPool moves data and needs the input's QuantParams{scale=0.1, zeroPoint=0} (input 0 'x')");
  }

  @Test
  public void concatRequantizesInputsWithOtherParameters() throws Exception {
    // Output s 0.5 zp 0. Input 0 has the output's parameters: copied. Input 1 (s 0.25, zp 4):
    // q' = round(q·0.5 − 4·0.5): 10 → 3, 5 → 0.5 → 1 (away), −128 → −66.
    QuantParams out = q(0.5f, 0);
    byte[] y = runInt8("Concat", n -> n.attr("axis", 1L), out, new Shape[] {Shape.of(1, 2), Shape.of(1, 3)},
        new QuantParams[] {out, q(0.25f, 4)}, new byte[][] {{7, -9}, {10, 5, -128}});
    assertArrayEquals(new byte[] {7, -9, 3, 1, -66}, y);
    Random r = new Random(9);
    checkAgainstFloat("concat axis 1", "Concat", n -> n.attr("axis", 1L), q(0.1f, 3),
        new Shape[] {Shape.of(2, 3, 2), Shape.of(2, 1, 2), Shape.of(2, 4, 2)},
        new QuantParams[] {q(0.1f, 3), q(0.03f, -10), q(0.2f, 20)}, r);
  }

  @Test
  public void dataMovementKeepsParameters() throws Exception {
    QuantParams p = q(0.1f, -5);
    byte[] x = {1, 2, 3, 4, 5, 6};
    assertArrayEquals(x, runInt8("Reshape", n -> n.attrInts("shape", 3, 2), p, new Shape[] {Shape.of(2, 3)},
        new QuantParams[] {p}, new byte[][] {x}));
    assertArrayEquals(new byte[] {1, 4, 2, 5, 3, 6}, runInt8("Transpose", n -> n.attrInts("perm", 1, 0), p,
        new Shape[] {Shape.of(2, 3)}, new QuantParams[] {p}, new byte[][] {x}));
    // Pad pads with the zero point (real 0).
    assertArrayEquals(new byte[] {-5, 1, 2, 3, -5, -5, 4, 5, 6, -5},
        runInt8("Pad", n -> n.attrInts("pads", 0, 1, 0, 1), p, new Shape[] {Shape.of(2, 3)},
            new QuantParams[] {p}, new byte[][] {x}));
    GraphBuilder g = new GraphBuilder();
    int xi = int8Input(g, "x", Shape.of(2, 3), p);
    int8Output(g, g.node("Reshape", "r", xi).attrInts("shape", 6), "y", q(0.1f, -4));
    assertFails(g, "node 'r' (Reshape): output 0 'y' has quantization QuantParams{scale=0.1, zeroPoint=-4}, but"
        + " Reshape moves data and needs the input's");
  }
}
