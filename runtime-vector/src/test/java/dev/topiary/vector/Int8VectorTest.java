package dev.topiary.vector;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.quantization.FixedPoint;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * The int8 vector kernels ({@link Int8Panels} through Conv2D, FullyConnected and MatMul;
 * {@link Int8VectorDepthwise}; {@link Int8Requant}) byte for byte equal to the reference int8
 * kernels: sizes 1, primes and non-multiples of the vector width, strides, dilations, paddings,
 * per-tensor and per-channel weights, extreme values, multipliers from tiny to 2^30, on 1–3 threads.
 */
public class Int8VectorTest {
  private static final String[] PADDINGS = {"VALID", "SAME_UPPER", "SAME_LOWER", "EXPLICIT"};
  private static final String[] ACTIVATIONS = {"NONE", "RELU", "RELU6"};

  /** Every shift from −31 to 30 and multipliers at the ends of their range, on extreme accumulators. */
  @Test
  public void requantizationIsFixedPointBitForBit() {
    Random r = new Random(8);
    int n = 64 * 31 + 5;
    int[] mult = new int[n];
    int[] shift = new int[n];
    int[] specialM = {0, 1 << 30, (1 << 30) + 1, Integer.MAX_VALUE, Integer.MAX_VALUE - 1, 1518500250};
    for (int j = 0; j < n; j++) {
      shift[j] = -31 + j % 62;
      mult[j] = j % 7 < specialM.length ? specialM[j % 7] : (1 << 30) + r.nextInt(1 << 30);
    }
    int[] specialX = {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE + 1, 1 << 30, -(1 << 30),
        65535, -65536, 32767, -32768};
    int[][] bounds = {{-128, 127}, {-5, 90}};
    for (int rep = 0; rep < 40; rep++) {
      int[] acc = new int[Int8Requant.pad(n)];
      for (int j = 0; j < n; j++) {
        int pick = r.nextInt(4);
        acc[j] = pick == 0 ? specialX[r.nextInt(specialX.length)]
            : pick == 1 ? r.nextInt() : pick == 2 ? r.nextInt(1 << 20) - (1 << 19) : r.nextInt(256) - 128;
      }
      int zp = r.nextInt(256) - 128;
      int[] b = bounds[rep % 2];
      int count = rep % 3 == 0 ? n : 1 + r.nextInt(n);
      Int8Requant rq = new Int8Requant(count, Int8Requant.pad(n), mult, shift, zp, b[0], b[1]);
      byte[] out = new byte[count + 3];
      Arrays.fill(out, (byte) 77);
      rq.apply(acc, 0, 0, 1, out, 1, 0, 0, count);
      for (int j = 0; j < count; j++) {
        int v = FixedPoint.multiplyByQuantizedMultiplier(acc[j], mult[j], shift[j]) + zp;
        byte want = (byte) Math.min(Math.max(v, b[0]), b[1]);
        assertEquals("acc " + acc[j] + " m " + mult[j] + " shift " + shift[j], want, out[1 + j]);
      }
      assertEquals("before the row", 77, out[0]);
      assertEquals("past the row", 77, out[count + 1]);
    }
  }

  /** The Quantize kernel against {@code QuantParams.quantize}: ties, NaN, infinities, tails of every length. */
  @Test
  public void quantizeIsQuantParamsBitForBit() {
    Random r = new Random(9);
    float[] special = {0f, -0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.49999997f, -0.49999997f, 126.5f, 127.5f,
        -128.5f, -127.5f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
        -Float.MAX_VALUE, Float.MIN_VALUE, 1e9f, -1e9f, 8388607.5f, 3e-39f};
    for (int rep = 0; rep < 60; rep++) {
      int n = rep < 40 ? rep : 1 + r.nextInt(500);
      float scale = rep % 3 == 0 ? 1f : rep % 3 == 1 ? 0.0078125f : 1e-3f + r.nextFloat() * 0.1f;
      int zp = rep % 4 == 0 ? -128 : rep % 4 == 1 ? 127 : r.nextInt(256) - 128;
      float[] x = new float[n + 3];
      for (int i = 0; i < x.length; i++) {
        x[i] = r.nextInt(3) == 0 ? special[r.nextInt(special.length)] * (rep % 3 == 0 ? 1 : scale)
            : (r.nextFloat() * 2 - 1) * 300 * scale;
      }
      byte[] out = new byte[n + 2];
      Int8Quantize.run(x, 3, out, 1, n, scale, zp);
      dev.topiary.quantization.QuantParams q = dev.topiary.quantization.QuantParams.perTensor(scale, zp);
      for (int i = 0; i < n; i++) {
        assertEquals("x " + x[3 + i] + " scale " + scale + " zp " + zp, (byte) q.quantize(x[3 + i], 0, -128, 127),
            out[1 + i]);
      }
      assertEquals(0, out[0]);
      assertEquals(0, out[n + 1]);
    }
  }

  /** One quantized Conv2D / FullyConnected / MatMul. */
  private static final class Case {
    String op = "Conv2D";
    int[] x;
    int o;
    int kh = 1;
    int kw = 1;
    int sh = 1;
    int sw = 1;
    int dh = 1;
    int dw = 1;
    int group = 1;
    String padding = "VALID";
    int[] pads = new int[4];
    String act = "NONE";
    boolean bias = true;
    boolean perTensor;
    boolean extremes;
    float yScale = Float.NaN;
    /** Every input value, every weight and the input zero point, when set (the largest sums). */
    Integer allX;
    Integer allW;
    Integer zpX;

    byte[] artifact(Random r) throws Exception {
      GraphBuilder g = new GraphBuilder();
      int c = x[x.length - 1];
      float xs = 0.02f + r.nextFloat() * 0.05f;
      int xzp = zpX != null ? zpX : extremes ? (r.nextBoolean() ? -128 : 127) : r.nextInt(61) - 30;
      int xi = g.input("x", DataType.INT8, Shape.of(x));
      g.quantization(xi, new float[] {xs}, new long[] {xzp}, 0);
      boolean conv = op.equals("Conv2D");
      int depth = conv ? kh * kw * c / group : c;
      Shape ws = conv ? Shape.of(o, kh, kw, c / group) : op.equals("MatMul") ? Shape.of(c, o) : Shape.of(o, c);
      byte[] wv = new byte[o * depth];
      for (int i = 0; i < wv.length; i++) {
        wv[i] = (byte) (allW != null ? allW : extremes ? (r.nextBoolean() ? -128 : 127) : r.nextInt(255) - 127);
      }
      float[] wScale = new float[perTensor ? 1 : o];
      for (int j = 0; j < wScale.length; j++) {
        wScale[j] = 0.002f + r.nextFloat() * 0.01f;
        if (j % 5 == 3) {
          wScale[j] *= 1e-4f;
        } else if (j % 5 == 4) {
          wScale[j] *= 1e4f;
        }
      }
      int wi = g.constantRaw("w", DataType.INT8, ws, ByteBuffer.wrap(wv));
      g.quantization(wi, wScale, new long[wScale.length], perTensor ? 0 : op.equals("MatMul") ? 1 : 0);
      GraphBuilder.NodeBuilder node;
      if (bias && !op.equals("MatMul")) {
        int[] b = new int[o];
        for (int j = 0; j < o; j++) {
          b[j] = extremes && j % 3 == 0 ? (r.nextBoolean() ? Integer.MAX_VALUE - 5 : Integer.MIN_VALUE + 5)
              : r.nextInt(20001) - 10000;
        }
        node = g.node(op, "q", xi, wi, g.constantInts("b", Shape.of(o), b));
      } else {
        node = g.node(op, "q", xi, wi);
      }
      if (conv) {
        node.attrInts("strides", sh, sw).attrInts("dilations", dh, dw).attr("group", (long) group);
        if (padding.equals("EXPLICIT")) {
          node.attrInts("pads", pads[0], pads[1], pads[2], pads[3]);
        } else {
          node.attr("padding", padding);
        }
      }
      node.attr("activation", act);
      int[] ys = conv ? null : x.clone();
      if (!conv) {
        ys[ys.length - 1] = o;
      }
      int y = node.output("y", DataType.INT8, ys == null ? null : Shape.of(ys));
      float yScaleUsed = Float.isNaN(yScale) ? 0.02f + 0.02f * (float) Math.sqrt(depth) : yScale;
      g.quantization(y, new float[] {yScaleUsed}, new long[] {r.nextInt(21) - 10}, 0);
      g.output(y);
      return g.build();
    }

    byte[] input(Random r) {
      int n = 1;
      for (int d : x) {
        n *= d;
      }
      byte[] v = new byte[n];
      for (int i = 0; i < n; i++) {
        v[i] = (byte) (allX != null ? allX : extremes ? (r.nextBoolean() ? -128 : 127) : r.nextInt(256) - 128);
      }
      return v;
    }

    @Override
    public String toString() {
      return op + " x " + Arrays.toString(x) + " o " + o + " k " + kh + "x" + kw + " s " + sh + "," + sw + " d " + dh
          + "," + dw + " g " + group + " " + padding + (padding.equals("EXPLICIT") ? Arrays.toString(pads) : "") + " "
          + act + (bias ? "" : " no bias") + (perTensor ? " per-tensor" : "") + (extremes ? " extremes" : "")
          + (Float.isNaN(yScale) ? "" : " yScale " + yScale) + (allX == null ? "" : " all x " + allX + " w " + allW
          + " zp " + zpX);
    }
  }

  private static byte[] run(byte[] artifact, VectorTesting.Kernels kernels, int threads, Map<String, Tensor> in)
      throws Exception {
    try (Model m = VectorTesting.load(artifact, kernels);
        Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
      return s.run(in).get("y").toByteArray();
    }
  }

  private static void check(Case k, Random r, String kernel) throws Exception {
    byte[] a = k.artifact(r);
    assertTrue(k + ": binds " + VectorTesting.kernelNames(a, VectorTesting.Kernels.VECTOR),
        VectorTesting.kernelNames(a, VectorTesting.Kernels.VECTOR).contains(kernel));
    Map<String, Tensor> in = Map.of("x", Tensor.ofBytes(DataType.INT8, Shape.of(k.x), k.input(r)));
    byte[] ref = run(a, VectorTesting.Kernels.REFERENCE, 1, in);
    for (int threads = 1; threads <= 3; threads++) {
      assertArrayEquals(k + ", " + threads + " thread(s)", ref, run(a, VectorTesting.Kernels.VECTOR, threads, in));
    }
  }

  @Test
  public void convolutionsMatchReferenceBitForBit() throws Exception {
    Random r = new Random(2027);
    // input NHWC, output channels, kernel
    int[][] shapes = {
      {1, 1, 1, 1, 1, 1, 1}, {1, 5, 5, 3, 7, 3, 3}, {1, 7, 7, 16, 32, 1, 1}, {1, 7, 7, 17, 33, 1, 1},
      {1, 6, 5, 13, 31, 3, 3}, {2, 4, 6, 32, 257, 1, 1}, {1, 9, 9, 40, 96, 3, 1}, {1, 11, 9, 8, 130, 3, 3},
      {1, 2, 3, 13, 7, 2, 3}, {2, 6, 6, 7, 24, 5, 5}, {1, 13, 11, 29, 16, 1, 1}, {1, 3, 3, 4, 1, 1, 1},
      {1, 12, 12, 24, 144, 1, 1}, {1, 1, 1, 64, 10, 1, 1}, {1, 8, 8, 3, 17, 3, 3},
    };
    int t = 0;
    for (int[] s : shapes) {
      for (int rep = 0; rep < 3; rep++, t++) {
        Case k = new Case();
        k.x = new int[] {s[0], s[1], s[2], s[3]};
        k.o = s[4];
        k.kh = s[5];
        k.kw = s[6];
        if (rep > 0) {
          k.sh = 1 + r.nextInt(3);
          k.sw = 1 + r.nextInt(2);
          k.dh = k.kh > 1 && r.nextInt(3) == 0 ? 2 : 1;
          k.dw = k.kw > 1 && r.nextInt(3) == 0 ? 2 : 1;
          k.padding = PADDINGS[t % PADDINGS.length];
          k.pads = new int[] {r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3)};
          if (s[1] + k.pads[0] + k.pads[2] < (k.kh - 1) * k.dh + 1 || s[2] + k.pads[1] + k.pads[3] < (k.kw - 1) * k.dw + 1
              || (k.padding.equals("VALID") && (s[1] < (k.kh - 1) * k.dh + 1 || s[2] < (k.kw - 1) * k.dw + 1))) {
            k.dh = 1;
            k.dw = 1;
            k.pads = new int[] {k.kh, k.kw, k.kh, k.kw};
            k.padding = "EXPLICIT";
          }
        }
        k.act = ACTIVATIONS[t % ACTIVATIONS.length];
        k.bias = t % 4 != 1;
        k.perTensor = t % 3 == 2;
        k.extremes = t % 5 == 4;
        if (t % 7 == 6) {
          k.yScale = 1e-6f;
        } else if (t % 7 == 5) {
          k.yScale = 400f;
        }
        check(k, r, k.x[3] <= 8 ? "VectorInt8DirectConvKernel" : "VectorInt8ConvKernel");
      }
    }
  }

  /**
   * Stems (few input channels) run on the float direct convolution: MobileNetV2's and ResNet's
   * shapes, a grayscale one in strips of seven, and the depth bound. At depth 514 with every
   * {@code x − zp_x = −255} and every weight −127 the partial sums are odd and even multiples of
   * 32385 up to 514·32385, just under 2^24, where a float's last bit is still 1 (a sum of even
   * products such as 32640 would stay exact well past 2^24 and prove nothing); at depth 516 the
   * GEMM takes over.
   */
  @Test
  public void stemsOnFloatSumsMatchReferenceBitForBit() throws Exception {
    Random r = new Random(2031);
    // input NHWC, output channels, kernel, stride, pad
    int[][] shapes = {
      {1, 32, 32, 3, 32, 3, 3, 2, 1}, {1, 30, 30, 3, 64, 7, 7, 2, 3}, {1, 28, 28, 1, 32, 3, 3, 2, 1},
      {2, 14, 14, 1, 16, 3, 3, 1, 1}, {1, 9, 11, 4, 24, 5, 5, 1, 2}, {1, 8, 8, 8, 20, 3, 3, 1, 0},
    };
    int t = 0;
    for (int[] s : shapes) {
      for (int rep = 0; rep < 3; rep++, t++) {
        Case k = stem(s);
        k.act = ACTIVATIONS[t % ACTIVATIONS.length];
        k.extremes = rep == 1;
        k.perTensor = rep == 2;
        check(k, r, "VectorInt8DirectConvKernel");
      }
    }
    Case deepest = stem(new int[] {1, 1, 260, 2, 3, 1, 257, 1, 0});
    deepest.allX = -128;
    deepest.allW = -127;
    deepest.zpX = 127;
    deepest.bias = false;
    deepest.yScale = 400f;
    check(deepest, r, "VectorInt8DirectConvKernel");
    Case deeper = stem(new int[] {1, 1, 130, 4, 3, 1, 129, 1, 0});
    deeper.allX = -128;
    deeper.allW = -128;
    deeper.zpX = 127;
    check(deeper, r, "VectorInt8ConvKernel");
  }

  private static Case stem(int[] s) {
    Case k = new Case();
    k.x = new int[] {s[0], s[1], s[2], s[3]};
    k.o = s[4];
    k.kh = s[5];
    k.kw = s[6];
    k.sh = s[7];
    k.sw = s[7];
    k.padding = "EXPLICIT";
    k.pads = new int[] {s[8], s[8], s[8], s[8]};
    return k;
  }

  @Test
  public void depthwiseMatchesReferenceBitForBit() throws Exception {
    Random r = new Random(2028);
    // input NHWC, kernel (up to 23×23)
    int[][] shapes = {
      {1, 1, 1, 2, 1, 1}, {1, 5, 5, 16, 3, 3}, {1, 7, 7, 17, 3, 3}, {1, 9, 8, 32, 3, 3}, {2, 6, 7, 5, 5, 5},
      {1, 12, 11, 144, 3, 3}, {1, 4, 13, 31, 3, 2}, {1, 3, 3, 48, 1, 1}, {1, 14, 14, 96, 3, 3}, {1, 2, 2, 3, 3, 3},
      {1, 9, 10, 24, 5, 3}, {1, 24, 24, 16, 23, 23},
    };
    int t = 0;
    for (int[] s : shapes) {
      for (int rep = 0; rep < 4; rep++, t++) {
        Case k = new Case();
        k.x = new int[] {s[0], s[1], s[2], s[3]};
        k.o = s[3];
        k.group = s[3];
        k.kh = s[4];
        k.kw = s[5];
        k.sh = rep == 0 ? 1 : 1 + r.nextInt(3);
        k.sw = rep == 0 ? 1 : 1 + r.nextInt(3);
        k.dh = rep == 3 && k.kh > 1 ? 2 : 1;
        k.dw = rep == 3 && k.kw > 1 ? 2 : 1;
        k.padding = rep == 0 ? "SAME_UPPER" : PADDINGS[t % PADDINGS.length];
        k.pads = new int[] {r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3)};
        if (s[1] + k.pads[0] + k.pads[2] < (k.kh - 1) * k.dh + 1 || s[2] + k.pads[1] + k.pads[3] < (k.kw - 1) * k.dw + 1
            || (k.padding.equals("VALID") && (s[1] < (k.kh - 1) * k.dh + 1 || s[2] < (k.kw - 1) * k.dw + 1))) {
          k.dh = 1;
          k.dw = 1;
          k.pads = new int[] {k.kh, k.kw, k.kh, k.kw};
          k.padding = "EXPLICIT";
        }
        k.act = ACTIVATIONS[t % ACTIVATIONS.length];
        k.bias = t % 4 != 1;
        k.perTensor = t % 3 == 2;
        k.extremes = t % 5 == 4;
        if (t % 7 == 6) {
          k.yScale = 1e-6f;
        } else if (t % 7 == 5) {
          k.yScale = 400f;
        }
        check(k, r, "VectorInt8DepthwiseKernel");
      }
    }
  }

  @Test
  public void fullyConnectedAndMatMulMatchReferenceBitForBit() throws Exception {
    Random r = new Random(2029);
    // rows, K, N
    int[][] shapes = {{1, 1, 1}, {1, 1280, 1000}, {7, 13, 5}, {70, 40, 130}, {3, 64, 33}, {13, 31, 17}, {1, 37, 96}};
    int t = 0;
    for (int[] s : shapes) {
      for (String op : new String[] {"FullyConnected", "MatMul"}) {
        Case k = new Case();
        k.op = op;
        k.x = new int[] {s[0], s[1]};
        k.o = s[2];
        k.act = ACTIVATIONS[t % ACTIVATIONS.length];
        k.perTensor = t % 3 == 1;
        k.extremes = t % 4 == 3;
        check(k, r, "VectorInt8ConvKernel");
        t++;
      }
    }
  }
}
