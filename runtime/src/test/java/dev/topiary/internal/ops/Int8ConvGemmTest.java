package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Int8Testing.feed;
import static dev.topiary.internal.ops.Int8Testing.randomBytes;
import static org.junit.Assert.assertArrayEquals;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Tensor;
import dev.topiary.quantization.QuantParams;
import dev.topiary.testing.TestSupport;
import java.util.Arrays;
import java.util.Random;
import org.junit.Test;

/**
 * The fast INT8 Conv2D kernels for {@code group = 1} ({@link Int8ConvGemm} for wide outputs,
 * {@link Int8ConvTiled} for narrow ones) byte-for-byte equal to the reference kernel over random
 * geometries: output channels around the 256-column panel and the 96-column switch, depths that
 * are not multiples of the 16-row blocks, 1×1 to 5×5 kernels, strides, dilations, every padding
 * mode, per-channel and per-tensor weights, batches, tiles of more than 64 rows, 1–3 threads.
 */
public class Int8ConvGemmTest {
  private static byte[] run(Int8LinearTest.Case k, Tensor xt, boolean reference, int threads) throws Exception {
    try (Model m = TestSupport.load(k.int8().build(), reference);
        Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
      dev.topiary.internal.ModelAccess.get().minParallelWork(s, 0); // split even small shapes across the threads
      return s.run(feed("x", xt)).get("y").toByteArray();
    }
  }

  @Test
  public void fastMatchesReferenceBitForBit() throws Exception {
    Random r = new Random(2026);
    String[] paddings = {Padding.VALID, Padding.SAME_UPPER, Padding.SAME_LOWER, Padding.EXPLICIT};
    String[] acts = {"NONE", "RELU", "RELU6"};
    // input NHWC, output channels, kernel
    int[][] cases = {
      {1, 7, 7, 16, 96, 1, 1}, {1, 7, 7, 17, 97, 1, 1}, {1, 5, 5, 3, 256, 3, 3}, {1, 4, 6, 32, 257, 1, 1},
      {2, 3, 5, 1, 300, 3, 3}, {1, 12, 12, 24, 100, 1, 1}, {1, 11, 9, 8, 130, 3, 3}, {1, 1, 1, 64, 10, 1, 1},
      {1, 2, 2, 5, 5, 1, 1}, {1, 2, 3, 13, 7, 2, 3}, {2, 6, 6, 7, 128, 5, 5}, {1, 9, 9, 40, 96, 3, 1},
      // Narrow outputs: the tiled kernel, with fewer and more pixels than its 256-pixel tile.
      {1, 7, 7, 96, 24, 1, 1}, {1, 19, 17, 6, 33, 3, 3}, {1, 3, 3, 4, 1, 1, 1},
    };
    int t = 0;
    for (int[] k : cases) {
      for (int rep = 0; rep < 2; rep++) {
        int[] x = {k[0], k[1], k[2], k[3]};
        int kh = k[5];
        int kw = k[6];
        int sh = 1 + r.nextInt(2);
        int sw = 1 + r.nextInt(2);
        int dh = kh > 1 && r.nextInt(3) == 0 ? 2 : 1;
        int dw = kw > 1 && r.nextInt(3) == 0 ? 2 : 1;
        String padding = paddings[t % paddings.length];
        if (rep == 0 && kh == 1 && kw == 1) {
          // The plain pointwise case: stride 1, no padding.
          sh = 1;
          sw = 1;
          padding = Padding.VALID;
        }
        int[] pads = {r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3)};
        if (x[1] + pads[0] + pads[2] < (kh - 1) * dh + 1 || x[2] + pads[1] + pads[3] < (kw - 1) * dw + 1
            || (padding.equals(Padding.VALID) && (x[1] < (kh - 1) * dh + 1 || x[2] < (kw - 1) * dw + 1))) {
          dh = 1;
          dw = 1;
          pads = new int[] {kh, kw, kh, kw};
          padding = Padding.EXPLICIT;
        }
        String act = acts[t % acts.length];
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
        Int8LinearTest.Case c = Int8LinearTest.conv(r, x, k[4], kh, kw, 1, attrs, t % 3 != 0);
        if (t % 4 == 3) {
          c.wq = QuantParams.perTensor(0.004f, 0);
        }
        byte[] xv = t % 5 == 4 ? extremes(r, c.x.elementCount()) : randomBytes(r, c.x.elementCount(), -128, 127);
        if (t % 5 == 4) {
          c.wv = extremes(r, c.wv.length);
        }
        Tensor xt = Tensor.ofBytes(DataType.INT8, c.x, xv);
        String what = "x " + Arrays.toString(x) + " o " + k[4] + " k " + kh + "x" + kw + " s " + sh + "," + sw
            + " d " + dh + "," + dw + " " + padding + " " + Arrays.toString(pads) + " " + act
            + (c.wq.isPerTensor() ? " per-tensor" : "");
        byte[] ref = run(c, xt, true, 1);
        for (int threads = 1; threads <= 3; threads++) {
          assertArrayEquals(what + ", " + threads + " threads", ref, run(c, xt, false, threads));
        }
        t++;
      }
    }
  }

  /** FullyConnected through the GEMM kernel (a classifier head, and 70 rows in two tiles) on 1–3 threads. */
  @Test
  public void fullyConnectedMatchesReferenceOnThreads() throws Exception {
    Random r = new Random(4);
    for (int[] s : new int[][] {{1, 1280, 1000}, {70, 40, 130}}) {
      Int8LinearTest.Case c = new Int8LinearTest.Case();
      c.op = "FullyConnected";
      c.x = dev.topiary.Shape.of(s[0], s[1]);
      c.w = dev.topiary.Shape.of(s[2], s[1]);
      c.xq = QuantParams.perTensor(0.03f, 7);
      float[] ws = new float[s[2]];
      for (int j = 0; j < ws.length; j++) {
        ws[j] = 0.0005f + r.nextFloat() * 0.002f;
      }
      c.wq = QuantParams.perAxis(ws, new int[ws.length], 0);
      c.yq = QuantParams.perTensor(0.2f, -3);
      c.wv = randomBytes(r, s[1] * s[2], -127, 127);
      c.bias = Int8LinearTest.randomInts(r, s[2], 5000);
      Tensor xt = Tensor.ofBytes(DataType.INT8, c.x, randomBytes(r, s[0] * s[1], -128, 127));
      byte[] ref = run(c, xt, true, 1);
      for (int threads = 1; threads <= 3; threads++) {
        assertArrayEquals(Arrays.toString(s) + ", " + threads + " threads", ref, run(c, xt, false, threads));
      }
    }
  }

  /** Values at the ends of the int8 range (−128, −127, 127), where sums are largest. */
  private static byte[] extremes(Random r, int n) {
    byte[] a = new byte[n];
    byte[] v = {-128, -127, 127};
    for (int i = 0; i < n; i++) {
      a[i] = v[r.nextInt(v.length)];
    }
    return a;
  }
}
