package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.Parallel;

/**
 * Fast depthwise Conv2D ({@code group == C}, {@code M = O/C} outputs per input channel) in NHWC,
 * vectorised over channels: for a run of output pixels of one row, each kernel tap contributes
 * {@code acc[pixel, o] += x[tap pixel, o / M] · w[o, tap]}, a loop over the flattened
 * {@code (pixel, channel)} index.
 *
 * <p>For C2 to vectorise that loop every array access in it must share one offset (the rules are
 * in {@code internal.cpu.MicroKernel}), so each tap's input pixels are first copied into the
 * worker's scratch next to the accumulator, and the weights are replicated at load time into one
 * array per (tap, channel chunk) laid out like the accumulator. Sums run in tap order, as in the
 * reference kernel. Work is split over (image, output row, channel chunk); results
 * do not depend on the thread count.
 */
final class DepthwiseConvKernel implements Kernel, Parallel.Task<Frame> {
  /**
   * Floats of one chunk. Scratch holds the accumulator at {@code [0, SEG)} and up to three
   * gathered taps at {@code [SEG, 2·SEG)}, {@code [2·SEG, 3·SEG)}, {@code [3·SEG, 4·SEG)}: the first
   * loop sets the accumulator from three taps, later loops add two (fewer accumulator loads and
   * stores than one tap per loop).
   */
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
    ctx.requestScratch(4 * SEG);
  }

  private int width(int cc) {
    return Math.min(cw, p.o - cc * cw);
  }

  @Override
  public void run(Frame f) {
    GemmKernel.dispatch(f, p.n * p.oh * chunks, GemmKernel.depthwiseWork(p), this);
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
        // Taps in kernel order, three then two at a time; a tap whose pixels all fall in the padding
        // adds only ±0 and is skipped when the weights are finite. The sum stays in tap order.
        boolean first = true;
        int gathered = 0;
        float[] w0 = null;
        float[] w1 = null;
        for (int tap = 0; tap < p.kh * p.kw; tap++) {
          int r = tap / p.kw;
          int ih = oh * p.sh - p.padTop + r * p.dh;
          boolean rowInside = ih >= 0 && ih < p.h;
          if (!rowInside && finite) {
            continue;
          }
          boolean any = gather(s, (gathered + 1) * SEG, in, xo, n, ih, rowInside, tap % p.kw, ow0, np, cc, width);
          if (any || !finite) {
            float[] wt = taps[tap * chunks + cc];
            if (gathered == 0) {
              w0 = wt;
              gathered = 1;
            } else if (gathered == 1 && first) {
              w1 = wt;
              gathered = 2;
            } else {
              // The first group takes three taps, later ones two: C2 does not vectorise a loop
              // with more loads than that.
              addTaps(s, len, w0, gathered == 2 ? w1 : wt, gathered == 2 ? wt : null, gathered + 1, first);
              first = false;
              gathered = 0;
            }
          }
        }
        if (gathered > 0) {
          addTaps(s, len, w0, w1, null, gathered, first);
          first = false;
        }
        if (first) {
          fillZero(s, 0, len);
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
   * chunk {@code cc} to {@code s[at...]}, pixel {@code e} at {@code at + e·width}; zeros where the
   * tap falls in the padding. Returns whether any pixel was inside the input.
   */
  private boolean gather(float[] s, int at, float[] in, int xo, int n, int ih, boolean rowInside, int q, int ow0,
      int np, int cc, int width) {
    int iwFirst = ow0 * p.sw - p.padLeft + q * p.dw;
    // Pixels e with 0 <= iwFirst + e·sw < w.
    int eBegin = 0;
    int eEnd = 0;
    if (rowInside) {
      eBegin = iwFirst >= 0 ? 0 : Math.min(np, (-iwFirst + p.sw - 1) / p.sw);
      eEnd = iwFirst >= p.w ? 0 : Math.min(np, (p.w - 1 - iwFirst) / p.sw + 1);
      eEnd = Math.max(eBegin, eEnd);
    }
    fillZero(s, at, at + eBegin * width);
    fillZero(s, at + eEnd * width, at + np * width);
    if (eEnd == eBegin) {
      return false;
    }
    int rowBase = xo + (n * p.h + ih) * p.w * p.c;
    if (mult == 1) {
      if (p.sw == 1 && width == p.c) {
        System.arraycopy(in, rowBase + (iwFirst + eBegin) * p.c, s, at + eBegin * width, (eEnd - eBegin) * width);
      } else {
        for (int e = eBegin; e < eEnd; e++) {
          System.arraycopy(in, rowBase + (iwFirst + e * p.sw) * p.c + cc * cw, s, at + e * width, width);
        }
      }
    } else {
      for (int e = eBegin; e < eEnd; e++) {
        int src = rowBase + (iwFirst + e * p.sw) * p.c;
        int dst = at + e * width;
        int o0 = cc * cw;
        for (int j = 0; j < width; j++) {
          s[dst + j] = in[src + (o0 + j) / mult];
        }
      }
    }
    return true;
  }

  /**
   * Adds {@code count} gathered taps (regions 1..count, weights {@code w0, w1, w2}) to the
   * accumulator, or sets it when {@code first} (three taps only then); left-associated, so in tap
   * order.
   */
  private static void addTaps(float[] s, int len, float[] w0, float[] w1, float[] w2, int count, boolean first) {
    if (count == 3) {
      for (int t = 0; t < len; t++) {
        s[t] = s[SEG + t] * w0[t] + s[2 * SEG + t] * w1[t] + s[3 * SEG + t] * w2[t];
      }
    } else if (count == 2) {
      if (first) {
        for (int t = 0; t < len; t++) {
          s[t] = s[SEG + t] * w0[t] + s[2 * SEG + t] * w1[t];
        }
      } else {
        for (int t = 0; t < len; t++) {
          s[t] = s[t] + s[SEG + t] * w0[t] + s[2 * SEG + t] * w1[t];
        }
      }
    } else if (first) {
      for (int t = 0; t < len; t++) {
        s[t] = s[SEG + t] * w0[t];
      }
    } else {
      for (int t = 0; t < len; t++) {
        s[t] = s[t] + s[SEG + t] * w0[t];
      }
    }
  }

  private static void fillZero(float[] s, int from, int to) {
    for (int t = from; t < to; t++) {
      s[t] = 0f;
    }
  }
}
