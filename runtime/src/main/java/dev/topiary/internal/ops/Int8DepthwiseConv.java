package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;

/**
 * The fast INT8 depthwise Conv2D ({@code group == C}, {@code M = O/C} outputs per input channel,
 * any kernel size, strides, dilations and padding) in NHWC, vectorised over channels like
 * {@link DepthwiseConvKernel}: for a run of output pixels of one output row and one chunk of
 * channels, each kernel tap's input values are widened to int in the worker's int scratch as
 * {@code x − zp_x} (0 for a padded tap), and {@code acc[pixel, o] += (x − zp_x) · w[o, tap]} is one
 * loop over the flattened {@code (pixel, channel)} index with every access at the same offset (the
 * rules C2 needs are in {@code internal.cpu.MicroKernel}); the weights are widened and replicated
 * at load time into one int array per (tap, channel chunk) laid out like the accumulator. The
 * accumulator starts from the bias; {@link Requantize#lanes} then requantizes it per channel.
 *
 * <p>The sum is the reference's {@code Σ w·(x − zp_x) + b} over the same taps in another order
 * (a tap in the padding contributes 0 in both); int32 addition is associative even when it wraps,
 * so the bits are {@link Int8Conv#reference}'s. Work is split statically over (image, output row,
 * channel chunk); results do not depend on the thread count.
 */
final class Int8DepthwiseConv implements Kernel, Parallel.Task<Frame> {
  /** Ints of one segment: the accumulator at {@code [0, SEG)}, up to three taps after it. */
  private static final int SEG = 1024;

  private final Int8Conv.Bound b;
  private final ConvParams p;
  private final int mult;
  private final int cw;
  private final int chunks;
  private final int pixels;
  /** {@code taps[tap·chunks + cc][e·width + j] = w[cc·cw + j, tap]}. */
  private final int[][] taps;
  /** Replicated bias per channel chunk (zeros without a bias). */
  private final int[][] bias;
  /** Per channel chunk, the requantization constants laid out like the accumulator (which holds the bias). */
  private final Requantize.Lanes[] lanes;
  /**
   * Row mode (one channel chunk, rows not too long): per output row, the {@code kh} input rows it
   * reads are widened once to {@code x − zp_x} in output-channel layout, columns
   * {@code [colLo, colLo + cols)} (0 outside the input), at {@code ROW + i·rowLen}; each tap is
   * then a copy out of them.
   */
  private final boolean rowMode;
  private final int colLo;
  private final int cols;
  private final int rowLen;
  private static final int ROW = 4 * SEG;
  /** Largest widened-row block (ints) row mode uses. */
  private static final int MAX_ROWS = 1 << 18;
  private final int x;
  private final int y;

  Int8DepthwiseConv(BindContext ctx, Int8Conv.Bound b, int x, int y) {
    this.b = b;
    this.p = b.p;
    this.x = x;
    this.y = y;
    this.mult = p.og;
    this.cw = Math.min(p.o, SEG);
    this.chunks = (p.o + cw - 1) / cw;
    this.pixels = Math.max(1, Math.min(SEG / cw, p.ow));
    int ntaps = p.kh * p.kw;
    this.taps = new int[ntaps * chunks][];
    for (int tap = 0; tap < ntaps; tap++) {
      for (int cc = 0; cc < chunks; cc++) {
        int width = width(cc);
        int[] t = new int[pixels * width];
        for (int j = 0; j < width; j++) {
          int v = b.w[(cc * cw + j) * ntaps + tap];
          for (int e = 0; e < pixels; e++) {
            t[e * width + j] = v;
          }
        }
        taps[tap * chunks + cc] = t;
      }
    }
    this.bias = new int[chunks][];
    for (int cc = 0; cc < chunks; cc++) {
      int width = width(cc);
      int[] t = new int[pixels * width];
      if (b.bias != null) {
        for (int e = 0; e < pixels; e++) {
          System.arraycopy(b.bias, cc * cw, t, e * width, width);
        }
      }
      bias[cc] = t;
    }
    this.lanes = new Requantize.Lanes[chunks];
    for (int cc = 0; cc < chunks; cc++) {
      int width = width(cc);
      int[] channel = new int[pixels * width];
      for (int t = 0; t < channel.length; t++) {
        channel[t] = cc * cw + t % width;
      }
      lanes[cc] = new Requantize.Lanes(channel, null, b.mult, b.shift);
    }
    this.colLo = -p.padLeft;
    this.cols = (p.ow - 1) * p.sw + (p.kw - 1) * p.dw + 1;
    this.rowLen = cols * p.o;
    this.rowMode = chunks == 1 && (long) rowLen * p.kh <= MAX_ROWS;
    ctx.requestScratchInts(rowMode ? ROW + p.kh * rowLen : ROW);
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
    byte[] in = f.i8(x);
    int xo = f.off(x);
    byte[] out = f.i8(y);
    int yo = f.off(y);
    int[] s = f.scratchInts(worker);
    for (int u = from; u < to; u++) {
      int cc = u % chunks;
      int oh = u / chunks % p.oh;
      int n = u / (chunks * p.oh);
      int width = width(cc);
      for (int ow0 = 0; ow0 < p.ow; ow0 += pixels) {
        int np = Math.min(pixels, p.ow - ow0);
        int len = np * width;
        System.arraycopy(bias[cc], 0, s, 0, len);
        if (rowMode && ow0 == 0) {
          widenRows(s, in, xo, n, oh);
        }
        int gathered = 0;
        int[] w0 = null;
        int[] w1 = null;
        for (int tap = 0; tap < p.kh * p.kw; tap++) {
          int ih = oh * p.sh - p.padTop + tap / p.kw * p.dh;
          if (ih < 0 || ih >= p.h) {
            continue;
          }
          if (rowMode) {
            copyTap(s, (gathered + 1) * SEG, tap / p.kw, tap % p.kw, ow0, np);
          } else if (!gather(s, (gathered + 1) * SEG, in, xo, n, ih, tap % p.kw, ow0, np, cc, width)) {
            continue;
          }
          int[] wt = taps[tap * chunks + cc];
          if (gathered == 0) {
            w0 = wt;
            gathered = 1;
          } else if (gathered == 1) {
            w1 = wt;
            gathered = 2;
          } else {
            add3(s, len, w0, w1, wt);
            gathered = 0;
          }
        }
        if (gathered == 2) {
          add2(s, len, w0, w1);
        } else if (gathered == 1) {
          add1(s, len, w0);
        }
        int o0 = yo + ((n * p.oh + oh) * p.ow + ow0) * p.o + cc * cw;
        // The taps at [SEG, 4·SEG) are consumed: the passes' temporary rows may overwrite them.
        Requantize.lanes(s, len, lanes[cc], b.zpOut, b.lo, b.hi);
        for (int e = 0; e < np; e++) {
          int a = e * width;
          int d = o0 + e * p.o;
          for (int j = 0; j < width; j++) {
            out[d + j] = (byte) s[a + j];
          }
        }
      }
    }
  }

  /** Row mode: widens the input rows output row {@code oh} reads (those inside the input). */
  private void widenRows(int[] s, byte[] in, int xo, int n, int oh) {
    int first = Math.max(0, colLo);
    int last = Math.min(p.w, colLo + cols);
    int zp = b.zpIn;
    for (int i = 0; i < p.kh; i++) {
      int ih = oh * p.sh - p.padTop + i * p.dh;
      if (ih < 0 || ih >= p.h) {
        continue;
      }
      int at = ROW + i * rowLen;
      int rowBase = xo + (n * p.h + ih) * p.w * p.c;
      if (last <= first) {
        fillZero(s, at, at + rowLen);
        continue;
      }
      fillZero(s, at, at + (first - colLo) * p.o);
      fillZero(s, at + (last - colLo) * p.o, at + rowLen);
      if (mult == 1) {
        widen(in, rowBase + first * p.c, s, at + (first - colLo) * p.o, (last - first) * p.c, zp);
      } else {
        for (int col = first; col < last; col++) {
          int src = rowBase + col * p.c;
          int dst = at + (col - colLo) * p.o;
          for (int j = 0; j < p.o; j++) {
            s[dst + j] = in[src + j / mult] - zp;
          }
        }
      }
    }
  }

  /** Row mode: copies tap {@code (i, q)} of output pixels {@code [ow0, ow0 + np)} to {@code s[at...]}. */
  private void copyTap(int[] s, int at, int i, int q, int ow0, int np) {
    int src = ROW + i * rowLen + (ow0 * p.sw + q * p.dw) * p.o;
    if (p.sw == 1) {
      System.arraycopy(s, src, s, at, np * p.o);
    } else {
      for (int e = 0; e < np; e++) {
        System.arraycopy(s, src + e * p.sw * p.o, s, at + e * p.o, p.o);
      }
    }
  }

  /**
   * Writes {@code x − zp_x} of tap {@code (row ih, column q)} for output pixels
   * {@code [ow0, ow0 + np)} and channel chunk {@code cc} to {@code s[at...]}, pixel {@code e} at
   * {@code at + e·width}; zeros where the tap falls in the padding. Returns whether any pixel was
   * inside the input.
   */
  private boolean gather(int[] s, int at, byte[] in, int xo, int n, int ih, int q, int ow0, int np, int cc,
      int width) {
    int iwFirst = ow0 * p.sw - p.padLeft + q * p.dw;
    // Pixels e with 0 <= iwFirst + e·sw < w.
    int eBegin = iwFirst >= 0 ? 0 : Math.min(np, (-iwFirst + p.sw - 1) / p.sw);
    int eEnd = iwFirst >= p.w ? 0 : Math.min(np, (p.w - 1 - iwFirst) / p.sw + 1);
    eEnd = Math.max(eBegin, eEnd);
    if (eEnd == eBegin) {
      return false;
    }
    fillZero(s, at, at + eBegin * width);
    fillZero(s, at + eEnd * width, at + np * width);
    int zp = b.zpIn;
    int rowBase = xo + (n * p.h + ih) * p.w * p.c;
    if (mult == 1) {
      if (p.sw == 1 && width == p.c) {
        widen(in, rowBase + (iwFirst + eBegin) * p.c, s, at + eBegin * width, (eEnd - eBegin) * width, zp);
      } else {
        for (int e = eBegin; e < eEnd; e++) {
          widen(in, rowBase + (iwFirst + e * p.sw) * p.c + cc * cw, s, at + e * width, width, zp);
        }
      }
    } else {
      for (int e = eBegin; e < eEnd; e++) {
        int src = rowBase + (iwFirst + e * p.sw) * p.c;
        int dst = at + e * width;
        int o0 = cc * cw;
        for (int j = 0; j < width; j++) {
          s[dst + j] = in[src + (o0 + j) / mult] - zp;
        }
      }
    }
    return true;
  }

  private static void widen(byte[] in, int src, int[] s, int dst, int len, int zp) {
    for (int t = 0; t < len; t++) {
      s[dst + t] = in[src + t] - zp;
    }
  }

  private static void add3(int[] s, int len, int[] w0, int[] w1, int[] w2) {
    for (int t = 0; t < len; t++) {
      s[t] = s[t] + s[SEG + t] * w0[t] + s[2 * SEG + t] * w1[t] + s[3 * SEG + t] * w2[t];
    }
  }

  private static void add2(int[] s, int len, int[] w0, int[] w1) {
    for (int t = 0; t < len; t++) {
      s[t] = s[t] + s[SEG + t] * w0[t] + s[2 * SEG + t] * w1[t];
    }
  }

  private static void add1(int[] s, int len, int[] w0) {
    for (int t = 0; t < len; t++) {
      s[t] = s[t] + s[SEG + t] * w0[t];
    }
  }

  private static void fillZero(int[] s, int from, int to) {
    for (int t = from; t < to; t++) {
      s[t] = 0;
    }
  }
}
