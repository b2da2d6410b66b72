package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Int8Testing.feed;
import static dev.topiary.internal.ops.Int8Testing.randomBytes;
import static org.junit.Assert.assertArrayEquals;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.quantization.QuantParams;
import dev.topiary.testing.TestSupport;
import java.util.Arrays;
import java.util.Random;
import org.junit.Test;

/**
 * The fast INT8 depthwise Conv2D ({@link Int8DepthwiseConv}) byte-for-byte equal to the reference
 * kernel over random geometries, every padding mode, depth multipliers 1 and 2 and 1–3 threads.
 * {@link #main} times it against the FLOAT32 depthwise kernel.
 */
public class Int8DepthwiseConvTest {
  static Int8LinearTest.Case depthwise(Random r, int[] x, int m, int kh, int kw, OpTesting.Attrs attrs, boolean bias) {
    int c = x[3];
    int o = c * m;
    Int8LinearTest.Case k = new Int8LinearTest.Case();
    k.op = "Conv2D";
    k.x = Shape.of(x);
    k.w = Shape.of(o, kh, kw, 1);
    k.xq = QuantParams.perTensor(0.02f + r.nextFloat() * 0.05f, r.nextInt(61) - 30);
    float[] ws = new float[o];
    for (int j = 0; j < o; j++) {
      ws[j] = 0.002f + r.nextFloat() * 0.01f;
    }
    k.wq = QuantParams.perAxis(ws, new int[o], 0);
    k.yq = QuantParams.perTensor(0.02f + 0.02f * (float) Math.sqrt(kh * kw), r.nextInt(21) - 10);
    k.wv = randomBytes(r, o * kh * kw, -127, 127);
    k.bias = bias ? Int8LinearTest.randomInts(r, o, 3000) : null;
    OpTesting.Attrs group = n -> n.attr("group", (long) c);
    k.attrs = n -> {
      group.apply(n);
      attrs.apply(n);
    };
    return k;
  }

  private static byte[] run(Int8LinearTest.Case k, Tensor xt, boolean reference, int threads) throws Exception {
    try (Model m = TestSupport.load(k.int8().build(), reference);
        Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
      dev.topiary.internal.ModelAccess.get().minParallelWork(s, 0); // split even small shapes across the threads
      return s.run(feed("x", xt)).get("y").toByteArray();
    }
  }

  @Test
  public void fastMatchesReferenceBitForBit() throws Exception {
    Random r = new Random(77);
    String[] paddings = {Padding.VALID, Padding.SAME_UPPER, Padding.SAME_LOWER, Padding.EXPLICIT};
    String[] acts = {"NONE", "RELU", "RELU6"};
    int[][] inputs = {
      {1, 7, 7, 5}, {2, 9, 6, 3}, {1, 12, 11, 16}, {1, 5, 13, 1}, {1, 4, 4, 33}, {2, 3, 5, 7},
      // Channel chunks (o > 1024) and several pixel runs per output row.
      {1, 4, 5, 1100}, {1, 3, 40, 40},
    };
    int[][] kernels = {{3, 3}, {1, 1}, {5, 5}, {2, 3}, {3, 1}};
    int t = 0;
    for (int[] x : inputs) {
      for (int m = 1; m <= 2; m++) {
        for (int rep = 0; rep < 3; rep++) {
          int[] k = kernels[r.nextInt(kernels.length)];
          int sh = 1 + r.nextInt(2);
          int sw = 1 + r.nextInt(2);
          int dh = 1 + (r.nextInt(3) == 0 ? 1 : 0);
          int dw = 1 + (r.nextInt(3) == 0 ? 1 : 0);
          String padding = paddings[t % paddings.length];
          String act = acts[t % acts.length];
          int[] pads = {r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3)};
          if ((x[1] + pads[0] + pads[2] - 1 - (k[0] - 1) * dh) < 0 || (x[2] + pads[1] + pads[3] - 1 - (k[1] - 1) * dw) < 0
              || (padding.equals(Padding.VALID) && (x[1] < (k[0] - 1) * dh + 1 || x[2] < (k[1] - 1) * dw + 1))) {
            dh = 1;
            dw = 1;
            pads = new int[] {k[0], k[1], k[0], k[1]};
            padding = Padding.EXPLICIT;
            if (x[1] < k[0] || x[2] < k[1]) {
              k = new int[] {1, 1};
            }
          }
          int[] fp = pads;
          String fpad = padding;
          int fsh = sh;
          int fsw = sw;
          int fdh = dh;
          int fdw = dw;
          OpTesting.Attrs attrs = n -> {
            n.attrInts("strides", fsh, fsw).attrInts("dilations", fdh, fdw).attr("activation", act);
            if (fpad.equals(Padding.EXPLICIT)) {
              n.attrInts("pads", fp[0], fp[1], fp[2], fp[3]);
            } else {
              n.attr("padding", fpad);
            }
          };
          Int8LinearTest.Case c = depthwise(r, x, m, k[0], k[1], attrs, t % 3 != 0);
          Tensor xt = Tensor.ofBytes(DataType.INT8, c.x, randomBytes(r, c.x.elementCount(), -128, 127));
          String what = "x " + Arrays.toString(x) + " m " + m + " k " + Arrays.toString(k) + " s " + sh + "," + sw
              + " d " + dh + "," + dw + " " + padding + " " + Arrays.toString(pads) + " " + act;
          byte[] ref = run(c, xt, true, 1);
          for (int threads = 1; threads <= 3; threads++) {
            assertArrayEquals(what + ", " + threads + " threads", ref, run(c, xt, false, threads));
          }
          t++;
        }
      }
    }
  }

  @Test
  public void withinOneStepOfFloat() throws Exception {
    Random r = new Random(5);
    Int8LinearTest.Case c = depthwise(r, new int[] {1, 10, 9, 12}, 2, 3, 3, n -> n.attr("padding", Padding.SAME_UPPER), true);
    c.check("depthwise vs float", randomBytes(r, c.x.elementCount(), -128, 127));
  }

  /** Timing: int8 vs FLOAT32 depthwise 3×3 (SAME) on 56×56×64 and 112×112×32, one thread. */
  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    for (int[] x : new int[][] {{1, 56, 56, 64}, {1, 112, 112, 32}}) {
      Random r = new Random(1);
      Int8LinearTest.Case c = depthwise(r, x, 1, 3, 3, n -> n.attr("padding", Padding.SAME_UPPER).attr("activation", "RELU6"), true);
      Tensor xq = Tensor.ofBytes(DataType.INT8, c.x, randomBytes(r, c.x.elementCount(), -128, 127));
      Tensor xf = Tensor.ofFloats(c.x, Int8Testing.dequantize(xq.toByteArray(), c.xq));
      double ti = time(c.int8().build(), xq, threads);
      double tf = time(c.float32().build(), xf, threads);
      System.out.printf("depthwise 3x3 %s, %d thread(s): int8 %.1f us, fp32 %.1f us, int8/fp32 = %.2f%n",
          Arrays.toString(x), threads, ti, tf, ti / tf);
    }
  }

  private static double time(byte[] artifact, Tensor xt, int threads) throws Exception {
    try (Model m = TestSupport.load(artifact, false);
        Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
      dev.topiary.internal.ModelAccess.get().minParallelWork(s, 0); // split even small shapes across the threads
      java.util.Map<String, Tensor> in = feed("x", xt);
      for (int i = 0; i < 2000; i++) {
        s.run(in);
      }
      double best = Double.MAX_VALUE;
      for (int rep = 0; rep < 5; rep++) {
        int iters = 500;
        long t0 = System.nanoTime();
        for (int i = 0; i < iters; i++) {
          s.run(in);
        }
        best = Math.min(best, (System.nanoTime() - t0) / 1e3 / iters);
      }
      return best;
    }
  }
}
