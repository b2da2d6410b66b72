package dev.topiary.internal.ops;

import static dev.topiary.testing.TestSupport.assertClose;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import dev.topiary.DataType;
import dev.topiary.Tensor;
import dev.topiary.testing.TestSupport;
import java.util.Arrays;
import java.util.Random;
import org.junit.Test;

public class PoolOpsTest {
  private static final String[] MODES = {"EXPLICIT", "VALID", "SAME_UPPER", "SAME_LOWER"};

  /** A pool configuration: kernel, strides, dilations, pads [t, l, b, r], mode, flags. */
  static final class Config {
    int[] k = {1, 1};
    int[] s = {1, 1};
    int[] d = {1, 1};
    int[] pads = {0, 0, 0, 0};
    String mode = "EXPLICIT";
    boolean ceil;
    boolean includePad;

    OpCase apply(OpCase c, boolean max) {
      c.attrInts("kernel", k).attrInts("strides", s).attr("padding", mode).attr("ceil_mode", ceil ? 1L : 0L);
      if (mode.equals("EXPLICIT")) {
        c.attrInts("pads", pads);
      }
      if (max) {
        c.attrInts("dilations", d);
      } else {
        c.attr("count_include_pad", includePad ? 1L : 0L).attrInts("dilations", 1, 1);
      }
      return c;
    }

    @Override
    public String toString() {
      return "k" + Arrays.toString(k) + " s" + Arrays.toString(s) + " d" + Arrays.toString(d) + " pads"
          + Arrays.toString(pads) + " " + mode + (ceil ? " ceil" : "") + (includePad ? " include_pad" : "");
    }
  }

  /**
   * Window starts along one dimension by enumeration, independent of {@link Padding}: {begin pad,
   * end pad, start of window 0, 1, ...}, or null when the padded input is smaller than the window.
   */
  static int[] windows(Config c, int dim, int in) {
    int k = c.k[dim];
    int s = c.s[dim];
    int d = c.d[dim];
    int span = d * (k - 1) + 1;
    int pb;
    int pe;
    int count;
    if (c.mode.startsWith("SAME")) {
      count = (in + s - 1) / s;
      int total = Math.max(0, (count - 1) * s + span - in);
      pb = c.mode.equals("SAME_UPPER") ? total / 2 : total - total / 2;
      pe = total - pb;
    } else {
      pb = c.mode.equals("VALID") ? 0 : c.pads[dim];
      pe = c.mode.equals("VALID") ? 0 : c.pads[2 + dim];
      if (in + pb + pe < span) {
        return null;
      }
      count = 0;
      while (true) {
        int start = count * s - pb;
        boolean fits = start + span <= in + pe;
        // ceil mode: keep adding windows until the padded input is covered, but never one that
        // starts in the end padding.
        boolean ceilExtra = c.ceil && count > 0 && (count - 1) * s - pb + span < in + pe && start < in;
        if (!fits && !ceilExtra) {
          break;
        }
        count++;
      }
    }
    int[] w = new int[2 + count];
    w[0] = pb;
    w[1] = pe;
    for (int o = 0; o < count; o++) {
      w[2 + o] = o * s - pb;
    }
    return w;
  }

  /** Double-precision pool; null when some window touches only padding (a bind error). */
  static float[] oracle(float[] x, int[] shape, Config c, boolean max, int[] outShape) {
    int n = shape[0];
    int h = shape[1];
    int w = shape[2];
    int ch = shape[3];
    int[] wh = windows(c, 0, h);
    int[] ww = windows(c, 1, w);
    if (wh == null || ww == null) {
      return null;
    }
    int oh = wh.length - 2;
    int ow = ww.length - 2;
    outShape[0] = n;
    outShape[1] = oh;
    outShape[2] = ow;
    outShape[3] = ch;
    float[] y = new float[n * oh * ow * ch];
    for (int b = 0; b < n; b++) {
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          for (int q = 0; q < ch; q++) {
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            int valid = 0;
            int padded = 0;
            for (int u = 0; u < c.k[0]; u++) {
              for (int v = 0; v < c.k[1]; v++) {
                int ph = wh[2 + i] + u * c.d[0];
                int pw = ww[2 + j] + v * c.d[1];
                if (ph >= -wh[0] && ph < h + wh[1] && pw >= -ww[0] && pw < w + ww[1]) {
                  padded++;
                }
                if (ph < 0 || ph >= h || pw < 0 || pw >= w) {
                  continue;
                }
                double val = x[((b * h + ph) * w + pw) * ch + q];
                acc = max ? Math.max(acc, val) : acc + val;
                valid++;
              }
            }
            if (valid == 0) {
              return null;
            }
            y[((b * oh + i) * ow + j) * ch + q] = (float) (max ? acc : acc / (c.includePad ? padded : valid));
          }
        }
      }
    }
    return y;
  }

  private static OpCase pool(String op, int[] shape, float[] x) {
    return OpCase.of(op).input(shape, x);
  }

  @Test
  public void handComputed() throws Exception {
    float[] x16 = new float[16];
    for (int i = 0; i < 16; i++) {
      x16[i] = i;
    }
    assertArrayEquals(new float[] {5, 7, 13, 15}, pool("MaxPool", new int[] {1, 4, 4, 1}, x16)
        .attrInts("kernel", 2, 2).attrInts("strides", 2, 2).values(), 0f);
    float[] x9 = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    OpCase avg = pool("AvgPool", new int[] {1, 3, 3, 1}, x9).attrInts("kernel", 3, 3).attrInts("pads", 1, 1, 1, 1);
    assertArrayEquals(new float[] {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7}, avg.values(), 1e-6f);
    avg.attr("count_include_pad", 1L);
    assertArrayEquals(new float[] {12 / 9f, 21 / 9f, 16 / 9f, 27 / 9f, 5, 33 / 9f, 24 / 9f, 39 / 9f, 28 / 9f},
        avg.values(), 1e-6f);
    float[] x25 = new float[25];
    for (int i = 0; i < 25; i++) {
      x25[i] = i;
    }
    Tensor y = pool("MaxPool", new int[] {1, 5, 5, 1}, x25).attrInts("kernel", 2, 2).attrInts("strides", 2, 2)
        .attr("ceil_mode", 1L).run();
    assertEquals("[1,3,3,1]", y.shape().toString());
    assertArrayEquals(new float[] {6, 8, 9, 16, 18, 19, 21, 23, 24}, y.toFloatArray(), 0f);
    // Channels stay apart; dilation 2 picks corners.
    float[] x2 = new float[18];
    for (int i = 0; i < 18; i++) {
      x2[i] = i % 2 == 0 ? i : -i;
    }
    assertArrayEquals(new float[] {16, -1}, pool("MaxPool", new int[] {1, 3, 3, 2}, x2).attrInts("kernel", 2, 2)
        .attrInts("dilations", 2, 2).values(), 0f);
    // SAME_UPPER 2x2 stride 2 on 3x3: the extra pad goes at the end, the last window sees 1 row.
    assertArrayEquals(new float[] {3, 4.5f, 7.5f, 9}, pool("AvgPool", new int[] {1, 3, 3, 1}, x9)
        .attrInts("kernel", 2, 2).attrInts("strides", 2, 2).attr("padding", "SAME_UPPER").values(), 1e-6f);
    assertArrayEquals(new float[] {1, 2.5f, 5.5f, 7}, pool("AvgPool", new int[] {1, 3, 3, 1}, x9)
        .attrInts("kernel", 2, 2).attrInts("strides", 2, 2).attr("padding", "SAME_LOWER").values(), 1e-6f);
  }

  /** Every padding mode, with and without ceil_mode, count_include_pad, strides and dilations. */
  @Test
  public void allModesAgainstOracle() throws Exception {
    Random r = new Random(21);
    int checked = 0;
    int errors = 0;
    for (int t = 0; t < 320; t++) {
      boolean max = t % 2 == 0;
      Config c = new Config();
      c.mode = MODES[(t / 2) % 4];
      c.ceil = (t / 8) % 2 == 1;
      c.includePad = (t / 16) % 2 == 1;
      c.k = new int[] {1 + r.nextInt(4), 1 + r.nextInt(4)};
      c.s = new int[] {1 + r.nextInt(3), 1 + r.nextInt(3)};
      c.d = max ? new int[] {1 + r.nextInt(2), 1 + r.nextInt(3)} : new int[] {1, 1};
      c.pads = new int[] {r.nextInt(c.k[0]), r.nextInt(c.k[1]), r.nextInt(c.k[0]), r.nextInt(c.k[1])};
      int[] shape = {1 + r.nextInt(2), 1 + r.nextInt(9), 1 + r.nextInt(9), 1 + r.nextInt(5)};
      float[] x = TestSupport.randomFloats(r, OpCase.count(shape), -5, 5);
      int[] outShape = new int[4];
      float[] expected = oracle(x, shape, c, max, outShape);
      OpCase op = c.apply(pool(max ? "MaxPool" : "AvgPool", shape, x), max);
      String what = (max ? "MaxPool " : "AvgPool ") + Arrays.toString(shape) + " " + c;
      if (expected == null) {
        String e = op.error();
        if (!e.contains("lies entirely in the padding") && !e.contains("is larger than the padded input")) {
          throw new AssertionError(what + ": unexpected error " + e);
        }
        errors++;
        continue;
      }
      Tensor y = op.run();
      assertArrayEquals(what, outShape, y.shape().dims());
      assertClose(what, expected, y.toFloatArray(), 1e-6, 1e-6);
      assertArrayEquals(what, y.toFloatArray(), op.values(true, 1), 0f);
      checked++;
    }
    assertEquals(320, checked + errors);
    assertEquals("most random configurations are valid", true, checked > 250);
  }

  @Test
  public void fastPathMatchesReferenceOnLargeInputsAndThreads() throws Exception {
    Random r = new Random(22);
    int[] shape = {2, 57, 43, 24};
    float[] x = TestSupport.randomFloats(r, OpCase.count(shape), -3, 3);
    for (String mode : MODES) {
      for (boolean max : new boolean[] {true, false}) {
        Config c = new Config();
        c.mode = mode;
        c.k = new int[] {3, 3};
        c.s = new int[] {2, 2};
        c.pads = new int[] {1, 0, 2, 1};
        c.ceil = true;
        c.includePad = true;
        c.apply(pool(max ? "MaxPool" : "AvgPool", shape, x), max).assertKernelsAgree();
      }
    }
  }

  @Test
  public void globalAvgPool() throws Exception {
    Random r = new Random(23);
    for (int[] shape : new int[][] {{2, 7, 7, 64}, {1, 1, 1, 3}, {3, 5, 4, 1}, {1, 56, 56, 24}, {1, 13, 11, 1030}}) {
      float[] x = TestSupport.randomFloats(r, OpCase.count(shape), -1, 3);
      float[] expected = new float[shape[0] * shape[3]];
      for (int n = 0; n < shape[0]; n++) {
        for (int c = 0; c < shape[3]; c++) {
          double sum = 0;
          for (int p = 0; p < shape[1] * shape[2]; p++) {
            sum += x[(n * shape[1] * shape[2] + p) * shape[3] + c];
          }
          expected[n * shape[3] + c] = (float) (sum / (shape[1] * shape[2]));
        }
      }
      OpCase op = OpCase.of("GlobalAvgPool").input(shape, x);
      Tensor y = op.run();
      assertEquals(Arrays.toString(new int[] {shape[0], 1, 1, shape[3]}), Arrays.toString(y.shape().dims()));
      assertClose(Arrays.toString(shape), expected, y.toFloatArray(), 2e-6, 1e-6);
      assertClose(Arrays.toString(shape) + " reference", expected, op.values(true, 1), 1e-7, 0);
      assertArrayEquals(Arrays.toString(shape) + " threads", y.toFloatArray(), op.values(false, 2), 0f);
    }
  }

  @Test
  public void errors() {
    int[] s = {1, 4, 4, 2};
    float[] x = new float[32];
    assertEquals("attribute 'kernel' is required", pool("MaxPool", s, x).error());
    assertEquals("attribute 'kernel' needs 2 values, got 3", pool("MaxPool", s, x).attrInts("kernel", 2, 2, 2).error());
    assertEquals("attribute 'kernel'[1] is 0, expected 1..2147483647",
        pool("AvgPool", s, x).attrInts("kernel", 2, 0).error());
    assertEquals("attribute 'strides'[0] is 0, expected 1..2147483647",
        pool("MaxPool", s, x).attrInts("kernel", 2, 2).attrInts("strides", 0, 1).error());
    assertEquals("window 5 (kernel 5, dilation 1) is larger than the padded input 4 along spatial dimension 0",
        pool("MaxPool", s, x).attrInts("kernel", 5, 1).error());
    assertEquals("window 7 (kernel 4, dilation 2) is larger than the padded input 6 along spatial dimension 1",
        pool("MaxPool", s, x).attrInts("kernel", 1, 4).attrInts("dilations", 1, 2).attrInts("pads", 0, 1, 0, 1)
            .error());
    assertEquals("the window of output row 0 lies entirely in the padding",
        pool("MaxPool", s, x).attrInts("kernel", 2, 2).attrInts("pads", 2, 0, 0, 0).error());
    assertEquals("the window of output column 2 lies entirely in the padding",
        pool("AvgPool", s, x).attrInts("kernel", 2, 2).attrInts("strides", 2, 2).attrInts("pads", 0, 0, 0, 3)
            .error());
    assertEquals("AvgPool supports only dilations [1, 1], got [1, 2]",
        pool("AvgPool", s, x).attrInts("kernel", 2, 2).attrInts("dilations", 1, 2).error());
    assertEquals("unknown padding 'SAME' (expected EXPLICIT, VALID, SAME_UPPER or SAME_LOWER)",
        pool("MaxPool", s, x).attrInts("kernel", 2, 2).attr("padding", "SAME").error());
    assertEquals("pads [1, 1, 1, 1] are only allowed with padding EXPLICIT, got VALID",
        pool("MaxPool", s, x).attrInts("kernel", 2, 2).attrInts("pads", 1, 1, 1, 1).attr("padding", "VALID").error());
    assertEquals("attribute 'ceil_mode' is 2, expected 0..1",
        pool("MaxPool", s, x).attrInts("kernel", 2, 2).attr("ceil_mode", 2L).error());
    assertEquals("attribute 'count_include_pad' is -1, expected 0..1",
        pool("AvgPool", s, x).attrInts("kernel", 2, 2).attr("count_include_pad", -1L).error());
    assertEquals("input 0 'in0' must have rank 4, got [4,4,2]",
        pool("MaxPool", new int[] {4, 4, 2}, x).attrInts("kernel", 2, 2).error());
    assertEquals("input 0 'in0' must have rank 4, got [16,2]",
        OpCase.of("GlobalAvgPool").input(new int[] {16, 2}, x).error());
    assertEquals("input 0 'in0' must be FLOAT32, got UINT8",
        OpCase.of("MaxPool").input(DataType.UINT8, s).attrInts("kernel", 2, 2).error());
    // INT8 is the quantized path, which needs quantization parameters (Int8ElementwiseTest).
    assertEquals("input 0 'in0' is INT8 but has no quantization parameters",
        OpCase.of("MaxPool").input(DataType.INT8, s).attrInts("kernel", 2, 2).error());
  }

  @Test
  public void oracleWindowsSanity() {
    Config c = new Config();
    c.k = new int[] {2, 2};
    c.s = new int[] {2, 2};
    c.pads = new int[] {1, 1, 1, 1};
    c.ceil = true;
    assertArrayEquals(new int[] {1, 1, -1, 1, 3}, windows(c, 0, 5));
    c.k = new int[] {9, 9};
    assertNull(windows(c, 0, 5));
  }
}
