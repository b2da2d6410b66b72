package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.internal.cpu.TransposedGemm;
import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.quantization.FixedPoint;
import dev.topiary.quantization.QuantParams;

/**
 * Conv2D with INT8 input, INT8 per-channel weights, optional INT32 bias and INT8 output, as
 * TFLite's {@code reference_integer_ops::ConvPerChannel} (which also covers depthwise: any group):
 * {@code acc = Σ w·(x − zp_x) + b[oc]} over the taps inside the input (a padded tap is the zero
 * point, contributing 0), then {@code y = clamp(MBQM(acc, m[oc], shift[oc]) + zp_y, lo, hi)} with
 * the per-channel multiplier {@code input_scale × weight_scale[oc] / output_scale} and the fused
 * activation as a clamp in the quantized domain. Geometry and checks are {@link ConvParams}'s.
 *
 * <p>The fast kernel computes the same int32 sums rearranged: {@code Σ w·x} over the valid taps with
 * four output channels per pass over the input run, minus {@code zp_x · Σ w} over those taps
 * (precomputed per channel and tap), plus the bias. Integer addition is exact (and wraps alike),
 * so both kernels give identical bits. Ungrouped convolutions use {@link Int8ConvGemm} (wide
 * outputs, where the FLOAT32 kernel uses its GEMM) or {@link Int8ConvTiled} (narrow outputs)
 * instead, depthwise ones {@link Int8DepthwiseConv}; with the Vector API kernels
 * ({@code BindContext.vectorKernels()}) ungrouped ones use {@link VectorInt8DirectConvKernel} when
 * they have few input channels (stems), else {@link VectorInt8ConvKernel}, and depthwise ones with
 * multiplier 1 {@link VectorInt8DepthwiseKernel}.
 */
final class Int8Conv {
  private Int8Conv() {}

  /** The bound constants both kernels read. */
  static final class Bound {
    ConvParams p;
    byte[] w;
    int[] bias;
    int zpIn;
    int zpOut;
    int lo;
    int hi;
    int[] mult;
    int[] shift;
  }

  static Kernel bind(BindContext ctx) throws ModelFormatException {
    ConvParams p = ConvParams.of(ctx, DataType.INT8, true);
    QuantParams in = Int8Checks.input(ctx, 0);
    QuantParams out = Int8Checks.output(ctx, 0);
    QuantParams wq = Int8Checks.weights(ctx, 1, p.o);
    Bound b = new Bound();
    b.p = p;
    b.bias = Int8Checks.bias(ctx, 2, p.o, in.scale(0), wq);
    int[] range = Int8Checks.activationRange(ctx, Activation.fromNode(ctx), out);
    b.lo = range[0];
    b.hi = range[1];
    int[][] ms = Int8Checks.channelMultipliers(ctx, p.o, in.scale(0), wq, out.scale(0));
    b.mult = ms[0];
    b.shift = ms[1];
    b.zpIn = in.zeroPoint(0);
    b.zpOut = out.zeroPoint(0);
    b.w = bytes(ctx.constantLongs(1));
    int x = ctx.inputId(0);
    int y = ctx.outputId(0);
    if (ctx.referenceKernels()) {
      return f -> reference(b, f.i8(x), f.off(x), f.i8(y), f.off(y));
    }
    VectorKernels vk = ctx.int8VectorKernels();
    if (vk != null && VectorInt8DirectConvKernel.accepts(p)) {
      return new VectorInt8DirectConvKernel(ctx, vk, b, x, y);
    }
    if (vk != null && p.group == 1) {
      return new VectorInt8ConvKernel(ctx, vk, b, x, y);
    }
    if (vk != null && VectorDepthwiseKernel.accepts(p)) {
      return new VectorInt8DepthwiseKernel(ctx, vk, b, x, y);
    }
    if (p.group == 1 && !TransposedGemm.preferred(p.rows(), p.o)) {
      return new Int8ConvGemm(ctx, b, x, y);
    }
    if (p.group == 1) {
      return new Int8ConvTiled(ctx, b, x, y);
    }
    if (p.depthwise()) {
      return new Int8DepthwiseConv(ctx, b, x, y);
    }
    Fast fast = new Fast(b, x, y);
    return fast::run;
  }

  static byte[] bytes(long[] v) {
    byte[] a = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      a[i] = (byte) v[i];
    }
    return a;
  }

  /** {@code clamp(MBQM(acc) + zp, lo, hi)}: the int8 epilogue of every int8 linear op. */
  static byte requantize(int acc, int mult, int shift, int zp, int lo, int hi) {
    int v = FixedPoint.multiplyByQuantizedMultiplier(acc, mult, shift) + zp;
    return (byte) (v < lo ? lo : (v > hi ? hi : v));
  }

  /** The formula as plain loops: the oracle. */
  static void reference(Bound b, byte[] in, int xo, byte[] out, int yo) {
    ConvParams p = b.p;
    for (int n = 0; n < p.n; n++) {
      for (int oh = 0; oh < p.oh; oh++) {
        for (int ow = 0; ow < p.ow; ow++) {
          for (int oc = 0; oc < p.o; oc++) {
            int g = oc / p.og;
            int acc = 0;
            for (int i = 0; i < p.kh; i++) {
              int ih = oh * p.sh - p.padTop + i * p.dh;
              for (int j = 0; j < p.kw; j++) {
                int iw = ow * p.sw - p.padLeft + j * p.dw;
                if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) {
                  continue;
                }
                for (int ci = 0; ci < p.cg; ci++) {
                  int xv = in[xo + ((n * p.h + ih) * p.w + iw) * p.c + g * p.cg + ci];
                  acc += b.w[((oc * p.kh + i) * p.kw + j) * p.cg + ci] * (xv - b.zpIn);
                }
              }
            }
            if (b.bias != null) {
              acc += b.bias[oc];
            }
            out[yo + ((n * p.oh + oh) * p.ow + ow) * p.o + oc] =
                requantize(acc, b.mult[oc], b.shift[oc], b.zpOut, b.lo, b.hi);
          }
        }
      }
    }
  }

  /** Valid-tap tables, per-tap weight sums, blocked dot products; output rows split across workers. */
  static final class Fast {
    private final Bound b;
    private final ConvParams p;
    private final int x;
    private final int y;
    /** Per output row / column: first and one-past-last tap inside the input. */
    private final int[][] rows;
    private final int[][] cols;
    /** {@code Σ_ci w[oc, i, j, ci]} per {@code (oc, i, j)}. */
    private final int[] tapSum;
    /** {@code bias[oc] − zp_x · Σ w[oc]}: the constant part for a window with every tap inside. */
    private final int[] fullAdj;
    private final Chunks.Body body;
    private final long work;

    Fast(Bound b, int x, int y) {
      this.b = b;
      this.p = b.p;
      this.x = x;
      this.y = y;
      this.rows = taps(p.oh, p.sh, p.padTop, p.dh, p.kh, p.h);
      this.cols = taps(p.ow, p.sw, p.padLeft, p.dw, p.kw, p.w);
      int taps = p.kh * p.kw;
      this.tapSum = new int[p.o * taps];
      this.fullAdj = new int[p.o];
      for (int oc = 0; oc < p.o; oc++) {
        int total = 0;
        for (int t = 0; t < taps; t++) {
          int s = 0;
          for (int ci = 0; ci < p.cg; ci++) {
            s += b.w[(oc * taps + t) * p.cg + ci];
          }
          tapSum[oc * taps + t] = s;
          total += s;
        }
        fullAdj[oc] = (b.bias == null ? 0 : b.bias[oc]) - b.zpIn * total;
      }
      this.work = (long) p.rows() * p.o * p.depth();
      this.body = (f, from, to, wk) -> rows(f.i8(x), f.off(x), f.i8(y), f.off(y), from, to);
    }

    void run(Frame f) {
      Chunks.run(f, p.n * p.oh, work, body);
    }

    private static int[][] taps(int out, int stride, int pad, int dil, int k, int in) {
      int[][] t = new int[2][out];
      for (int o = 0; o < out; o++) {
        int start = o * stride - pad;
        int lo = 0;
        while (lo < k && start + lo * dil < 0) {
          lo++;
        }
        int hi = k;
        while (hi > lo && start + (hi - 1) * dil >= in) {
          hi--;
        }
        t[0][o] = lo;
        t[1][o] = hi;
      }
      return t;
    }

    private void rows(byte[] in, int xo, byte[] out, int yo, int from, int to) {
      int taps = p.kh * p.kw;
      for (int r = from; r < to; r++) {
        int n = r / p.oh;
        int oh = r % p.oh;
        int i0 = rows[0][oh];
        int i1 = rows[1][oh];
        int hs = oh * p.sh - p.padTop;
        for (int ow = 0; ow < p.ow; ow++) {
          int j0 = cols[0][ow];
          int j1 = cols[1][ow];
          int ws = ow * p.sw - p.padLeft;
          boolean full = i0 == 0 && i1 == p.kh && j0 == 0 && j1 == p.kw;
          int yp = yo + (r * p.ow + ow) * p.o;
          int oc = 0;
          while (oc < p.o) {
            int g = oc / p.og;
            int xBase = xo + n * p.h * p.w * p.c + g * p.cg;
            if (oc % p.og + 4 <= p.og) {
              int a0 = 0;
              int a1 = 0;
              int a2 = 0;
              int a3 = 0;
              for (int i = i0; i < i1; i++) {
                int ih = hs + i * p.dh;
                for (int j = j0; j < j1; j++) {
                  int xp = xBase + (ih * p.w + ws + j * p.dw) * p.c;
                  int w0 = ((oc * p.kh + i) * p.kw + j) * p.cg;
                  int step = taps * p.cg;
                  int w1 = w0 + step;
                  int w2 = w1 + step;
                  int w3 = w2 + step;
                  byte[] wt = b.w;
                  for (int ci = 0; ci < p.cg; ci++) {
                    int xv = in[xp + ci];
                    a0 += wt[w0 + ci] * xv;
                    a1 += wt[w1 + ci] * xv;
                    a2 += wt[w2 + ci] * xv;
                    a3 += wt[w3 + ci] * xv;
                  }
                }
              }
              out[yp + oc] = finish(a0, oc, full, i0, i1, j0, j1);
              out[yp + oc + 1] = finish(a1, oc + 1, full, i0, i1, j0, j1);
              out[yp + oc + 2] = finish(a2, oc + 2, full, i0, i1, j0, j1);
              out[yp + oc + 3] = finish(a3, oc + 3, full, i0, i1, j0, j1);
              oc += 4;
            } else {
              int a = 0;
              for (int i = i0; i < i1; i++) {
                int ih = hs + i * p.dh;
                for (int j = j0; j < j1; j++) {
                  int xp = xBase + (ih * p.w + ws + j * p.dw) * p.c;
                  int w0 = ((oc * p.kh + i) * p.kw + j) * p.cg;
                  for (int ci = 0; ci < p.cg; ci++) {
                    a += b.w[w0 + ci] * in[xp + ci];
                  }
                }
              }
              out[yp + oc] = finish(a, oc, full, i0, i1, j0, j1);
              oc++;
            }
          }
        }
      }
    }

    /** Adds {@code bias − zp_x · Σ w} over the window's valid taps and requantizes. */
    private byte finish(int dot, int oc, boolean full, int i0, int i1, int j0, int j1) {
      int acc;
      if (full) {
        acc = dot + fullAdj[oc];
      } else {
        int s = 0;
        int base = oc * p.kh * p.kw;
        for (int i = i0; i < i1; i++) {
          for (int j = j0; j < j1; j++) {
            s += tapSum[base + i * p.kw + j];
          }
        }
        acc = dot - b.zpIn * s + (b.bias == null ? 0 : b.bias[oc]);
      }
      return requantize(acc, b.mult[oc], b.shift[oc], b.zpOut, b.lo, b.hi);
    }
  }
}
