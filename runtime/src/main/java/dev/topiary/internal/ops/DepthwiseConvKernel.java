package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.Parallel;

/**
 * Fast depthwise Conv2D ({@code group == C}, {@code M = O/C} outputs per input channel) in NHWC,
 * vectorised over channels: for a run of output pixels of one row, each kernel tap contributes
 * {@code acc[pixel, o] += x[tap pixel, o / M] · w[o, tap]}, a loop over the flattened
 * {@code (pixel, channel)} index.
 *
 * <p>For C2 to vectorise that loop every array access in it must share one offset (see
 * {@link Gemm}), so each tap's input pixels are first copied into the worker's scratch next to the
 * accumulator, and the weights are replicated at load time into one array per (tap, channel chunk)
 * laid out like the accumulator. Work is split over (image, output row, channel chunk); results
 * do not depend on the thread count.
 */
final class DepthwiseConvKernel implements Kernel, Parallel.Task<Frame> {
  /** Floats of one chunk: the accumulator at {@code [0, SEG)}, the gathered taps at {@code [SEG, 2·SEG)}. */
  private static final int SEG = 1024;

  private final ConvParams p;
  private final int mult;
  /** Channels per chunk, number of channel chunks, pixels per chunk. */
  private final int cw;
  private final int chunks;
  private final int pixels;
  /** Replicated weights: {@code taps[tap·chunks + cc][e·width + j] = w[cc·cw + j, tap]}. */
  private final float[][] taps;
  /** Replicated bias per channel chunk, or null. */
  private final float[][] bias;
  /** All weights finite: taps entirely in the padding can be skipped (they add only ±0). */
  private final boolean finite;
  private final Gemm.Act act;
  private final float lo;
  private final float hi;
  private final int x;
  private final int y;

  DepthwiseConvKernel(BindContext ctx, ConvParams p, float[] w, float[] b, Activation a, int x, int y) {
    this.p = p;
    this.x = x;
    this.y = y;
    this.mult = p.og;
    this.cw = Math.min(p.o, SEG);
    this.chunks = (p.o + cw - 1) / cw;
    this.pixels = Math.max(1, Math.min(SEG / cw, p.ow));
    int ntaps = p.kh * p.kw;
    this.taps = new float[ntaps * chunks][];
    boolean allFinite = true;
    for (int tap = 0; tap < ntaps; tap++) {
      for (int cc = 0; cc < chunks; cc++) {
        int width = width(cc);
        float[] t = new float[pixels * width];
        for (int j = 0; j < width; j++) {
          float v = w[(cc * cw + j) * ntaps + tap];
          allFinite &= !Float.isInfinite(v) && !Float.isNaN(v);
          for (int e = 0; e < pixels; e++) {
            t[e * width + j] = v;
          }
        }
        taps[tap * chunks + cc] = t;
      }
    }
    this.finite = allFinite;
    if (b == null) {
      this.bias = null;
    } else {
      this.bias = new float[chunks][];
      for (int cc = 0; cc < chunks; cc++) {
        int width = width(cc);
        float[] t = new float[pixels * width];
        for (int e = 0; e < pixels; e++) {
          System.arraycopy(b, cc * cw, t, e * width, width);
        }
        bias[cc] = t;
      }
    }
    this.act = Epilogue.kind(a);
    this.lo = a.min();
    this.hi = a.max();
    ctx.requestScratch(2 * SEG);
  }

  private int width(int cc) {
    return Math.min(cw, p.o - cc * cw);
  }

  @Override
  public void run(Frame f) {
    f.parallel().forRange(p.n * p.oh * chunks, f, this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    float[] in = f.f32(x);
    int xo = f.off(x);
    float[] out = f.f32(y);
    int yo = f.off(y);
    float[] s = f.scratch(worker);
    for (int u = from; u < to; u++) {
      int cc = u % chunks;
      int oh = u / chunks % p.oh;
      int n = u / (chunks * p.oh);
      int width = width(cc);
      for (int ow0 = 0; ow0 < p.ow; ow0 += pixels) {
        int np = Math.min(pixels, p.ow - ow0);
        int len = np * width;
        for (int t = 0; t < len; t++) {
          s[t] = 0f;
        }
        for (int r = 0; r < p.kh; r++) {
          int ih = oh * p.sh - p.padTop + r * p.dh;
          boolean rowInside = ih >= 0 && ih < p.h;
          if (!rowInside && finite) {
            continue;
          }
          for (int q = 0; q < p.kw; q++) {
            if (!gather(s, in, xo, n, ih, rowInside, q, ow0, np, cc, width) && finite) {
              continue;
            }
            float[] wt = taps[(r * p.kw + q) * chunks + cc];
            for (int t = 0; t < len; t++) {
              s[t] = s[t] + s[SEG + t] * wt[t];
            }
          }
        }
        if (bias != null) {
          float[] bt = bias[cc];
          for (int t = 0; t < len; t++) {
            s[t] = s[t] + bt[t];
          }
        }
        Gemm.applyActivation(s, 0, len, act, lo, hi);
        int o0 = yo + ((n * p.oh + oh) * p.ow + ow0) * p.o + cc * cw;
        if (width == p.o) {
          System.arraycopy(s, 0, out, o0, len);
        } else {
          for (int e = 0; e < np; e++) {
            System.arraycopy(s, e * width, out, o0 + e * p.o, width);
          }
        }
      }
    }
  }

  /**
   * Copies tap {@code (row ih, column q)} of output pixels {@code [ow0, ow0 + np)} for channel
   * chunk {@code cc} to {@code s[SEG...]}, pixel {@code e} at {@code SEG + e·width}; zeros where the
   * tap falls in the padding. Returns whether any pixel was inside the input.
   */
  private boolean gather(float[] s, float[] in, int xo, int n, int ih, boolean rowInside, int q, int ow0, int np,
      int cc, int width) {
    int iwFirst = ow0 * p.sw - p.padLeft + q * p.dw;
    // Pixels e with 0 <= iwFirst + e·sw < w.
    int eBegin = 0;
    int eEnd = 0;
    if (rowInside) {
      eBegin = iwFirst >= 0 ? 0 : Math.min(np, (-iwFirst + p.sw - 1) / p.sw);
      eEnd = iwFirst >= p.w ? 0 : Math.min(np, (p.w - 1 - iwFirst) / p.sw + 1);
      eEnd = Math.max(eBegin, eEnd);
    }
    fillZero(s, SEG, SEG + eBegin * width);
    fillZero(s, SEG + eEnd * width, SEG + np * width);
    if (eEnd == eBegin) {
      return false;
    }
    int rowBase = xo + (n * p.h + ih) * p.w * p.c;
    if (mult == 1) {
      if (p.sw == 1 && width == p.c) {
        System.arraycopy(in, rowBase + (iwFirst + eBegin) * p.c, s, SEG + eBegin * width, (eEnd - eBegin) * width);
      } else {
        for (int e = eBegin; e < eEnd; e++) {
          System.arraycopy(in, rowBase + (iwFirst + e * p.sw) * p.c + cc * cw, s, SEG + e * width, width);
        }
      }
    } else {
      for (int e = eBegin; e < eEnd; e++) {
        int src = rowBase + (iwFirst + e * p.sw) * p.c;
        int dst = SEG + e * width;
        int o0 = cc * cw;
        for (int j = 0; j < width; j++) {
          s[dst + j] = in[src + (o0 + j) / mult];
        }
      }
    }
    return true;
  }

  private static void fillZero(float[] s, int from, int to) {
    for (int t = from; t < to; t++) {
      s[t] = 0f;
    }
  }
}
