package dev.topiary.internal.ops;

/**
 * The fast INT8 Conv2D for {@code group = 1}: an implicit GEMM over tiles of {@link #W} output
 * pixels, laid out so that HotSpot C2 vectorizes the int32 multiply-adds (see
 * {@code internal/cpu/MicroKernel} for why: one array, compile-time constant offsets, long fixed
 * trip counts).
 *
 * <p>Per tile, in the worker's int scratch: the tile's im2col, depth-major
 * ({@code col[d][p] = x − zp_x} at tap {@code d} of pixel {@code p}, 0 for a padded tap or a pixel
 * past the end), then for each block of {@link #KC} depth rows, copied to offset 0, every output
 * channel's accumulator row {@code acc[p] += Σ_q w[oc][d0 + q] · col[d0 + q][p]}. The sum is the
 * reference's {@code Σ w·(x − zp_x)} (padded taps contribute 0 in both) in another order; int32
 * addition is associative even when it wraps, so the bits are the reference's.
 *
 * <p>The same tiles serve dynamic-range Conv2D ({@link #dynamic}): the calling thread first
 * quantizes every image into worker 0's scratch (as the ints {@code x_q − zp}, see
 * {@link DynamicRange#quantize}), the tiles read them from there, and the epilogue is
 * {@code act(acc · scale_image · w_scale[oc] + b[oc])} in float.
 */
final class Int8ConvTiled implements Kernel {
  /** Output pixels per tile: the vector loop's trip count. */
  static final int W = 256;
  /** Depth rows per block. */
  static final int KC = 16;
  // Scratch layout (ints): [0, ACC) block of KC rows; [ACC, XS) accumulator row; [XS, COL) the KC
  // weights; [COL, ACCS) im2col; [ACCS, ACCS + o·W) accumulator rows of every output channel.
  private static final int ACC = KC * W;
  private static final int XS = ACC + W;
  private static final int COL = XS + KC;

  private final Int8Conv.Bound b;
  private final ConvParams p;
  /** Dynamic range: per-channel weight scales, float bias, activation (null for INT8). */
  private final float[] wScale;
  private final float[] fBias;
  private final Activation act;
  /** Dynamic range: start of the quantized input (then one scale per image) in worker 0's scratch. */
  private final int qin;
  private final int x;
  private final int y;
  private final int depth;
  private final int depthPad;
  private final int accs;
  /** Weights {@code [o][depthPad]}, zero beyond the depth. */
  private final int[] w;
  private final int tiles;
  private final long work;
  private final Chunks.Body body;

  Int8ConvTiled(BindContext ctx, Int8Conv.Bound b, int x, int y) {
    this(ctx, b, b.p, b.w, null, null, null, x, y);
  }

  /** Dynamic range: FLOAT32 input {@code x}, INT8 weights with {@code wScale}, FLOAT32 output {@code y}. */
  static Int8ConvTiled dynamic(BindContext ctx, ConvParams p, byte[] w, float[] wScale, float[] bias, Activation act,
      int x, int y) {
    return new Int8ConvTiled(ctx, null, p, w, wScale, bias, act, x, y);
  }

  private Int8ConvTiled(BindContext ctx, Int8Conv.Bound b, ConvParams p, byte[] weights, float[] wScale,
      float[] fBias, Activation act, int x, int y) {
    this.b = b;
    this.p = p;
    this.wScale = wScale;
    this.fBias = fBias;
    this.act = act;
    this.x = x;
    this.y = y;
    this.depth = p.depth();
    this.depthPad = (depth + KC - 1) / KC * KC;
    this.accs = COL + depthPad * W;
    this.w = new int[p.o * depthPad];
    for (int oc = 0; oc < p.o; oc++) {
      for (int d = 0; d < depth; d++) {
        w[oc * depthPad + d] = weights[oc * depth + d];
      }
    }
    this.qin = accs + p.o * W;
    int image = p.h * p.w * p.c;
    ctx.requestScratchInts(qin + (b == null ? p.n * image + p.n : 0));
    int rows = p.rows();
    this.tiles = (rows + W - 1) / W;
    this.work = (long) rows * p.o * depth;
    if (b != null) {
      this.body = (f, from, to, wk) -> {
        for (int t = from; t < to; t++) {
          tile(f.i8(this.x), f.off(this.x), null, f.i8(this.y), f.off(this.y), null, f.scratchInts(wk), t);
        }
      };
    } else {
      this.body = (f, from, to, wk) -> {
        for (int t = from; t < to; t++) {
          tile(null, 0, f.scratchInts(0), null, f.off(this.y), f.f32(this.y), f.scratchInts(wk), t);
        }
      };
    }
  }

  @Override
  public void run(Frame f) {
    if (b == null) {
      // Dynamic range: quantize every image into worker 0's scratch before the dispatch; the
      // workers only read it. The quantizer writes floats; they are exact small integers.
      int[] q = f.scratchInts(0);
      float[] xv = f.f32(x);
      int xo = f.off(x);
      int image = p.h * p.w * p.c;
      float[] row = f.scratch(0);
      for (int n = 0; n < p.n; n++) {
        float scale = DynamicRange.quantize(xv, xo + n * image, image, row, 0);
        for (int i = 0; i < image; i++) {
          q[qin + n * image + i] = (int) row[i];
        }
        q[qin + p.n * image + n] = Float.floatToRawIntBits(scale);
      }
    }
    Chunks.run(f, tiles, work, body);
  }

  /**
   * One tile: INT8 input {@code in} (or, for dynamic range, the quantized images in {@code q}),
   * into INT8 {@code out} (or FLOAT32 {@code fout}).
   */
  private void tile(byte[] in, int xo, int[] q, byte[] out, int yo, float[] fout, int[] s, int t) {
    int p0 = t * W;
    int count = Math.min(W, p.rows() - p0);
    im2col(in, xo, q, s, p0, count);
    java.util.Arrays.fill(s, accs, accs + p.o * W, 0);
    for (int d0 = 0; d0 < depthPad; d0 += KC) {
      System.arraycopy(s, COL + d0 * W, s, 0, KC * W);
      for (int oc = 0; oc < p.o; oc++) {
        int row = accs + oc * W;
        System.arraycopy(s, row, s, ACC, W);
        System.arraycopy(w, oc * depthPad + d0, s, XS, KC);
        block(s);
        System.arraycopy(s, ACC, s, row, W);
      }
    }
    if (b == null) {
      int scales = qin + p.n * p.h * p.w * p.c;
      for (int pp = 0; pp < count; pp++) {
        int yp = yo + (p0 + pp) * p.o;
        float scale = Float.intBitsToFloat(q[scales + (p0 + pp) / (p.oh * p.ow)]);
        for (int oc = 0; oc < p.o; oc++) {
          fout[yp + oc] = act.apply(s[accs + oc * W + pp] * (scale * wScale[oc]) + (fBias == null ? 0f : fBias[oc]));
        }
      }
      return;
    }
    // The block rows at [0, ACC) are free now: each channel's row is requantized there.
    for (int oc = 0; oc < p.o; oc++) {
      System.arraycopy(s, accs + oc * W, s, 0, count);
      Requantize.uniform(s, count, b.bias == null ? 0 : b.bias[oc], b.mult[oc], b.shift[oc], b.zpOut, b.lo, b.hi);
      int yp = yo + p0 * p.o + oc;
      for (int pp = 0; pp < count; pp++) {
        out[yp + pp * p.o] = (byte) s[pp];
      }
    }
  }

  /**
   * {@code col[d][pp] = x − zp} for the tile's pixels (or the quantized {@code q} values, already
   * minus their zero point); 0 for padded taps, pixels past the end and {@code d ≥ depth}.
   */
  private void im2col(byte[] in, int xo, int[] q, int[] s, int p0, int count) {
    if (count < W || depthPad > depth) {
      java.util.Arrays.fill(s, COL, COL + depthPad * W, 0);
    }
    int zp = b == null ? 0 : b.zpIn;
    for (int pp = 0; pp < count; pp++) {
      int r = p0 + pp;
      int ow = r % p.ow;
      int rest = r / p.ow;
      int oh = rest % p.oh;
      int n = rest / p.oh;
      for (int i = 0; i < p.kh; i++) {
        int ih = oh * p.sh - p.padTop + i * p.dh;
        for (int j = 0; j < p.kw; j++) {
          int iw = ow * p.sw - p.padLeft + j * p.dw;
          int d = COL + ((i * p.kw + j) * p.c) * W + pp;
          if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) {
            for (int ci = 0; ci < p.c; ci++) {
              s[d + ci * W] = 0;
            }
          } else if (q != null) {
            int xp = qin + ((n * p.h + ih) * p.w + iw) * p.c;
            for (int ci = 0; ci < p.c; ci++) {
              s[d + ci * W] = q[xp + ci];
            }
          } else {
            int xp = xo + ((n * p.h + ih) * p.w + iw) * p.c;
            for (int ci = 0; ci < p.c; ci++) {
              s[d + ci * W] = in[xp + ci] - zp;
            }
          }
        }
      }
    }
  }

  /**
   * {@code acc[j] += Σ_{q < KC} xs[q] · block[q][j]} for {@code j < W}: four rows per loop, every
   * access at a constant offset of {@code s}.
   */
  private static void block(int[] s) {
    int x0 = s[XS];
    int x1 = s[XS + 1];
    int x2 = s[XS + 2];
    int x3 = s[XS + 3];
    for (int j = 0; j < W; j++) {
      s[ACC + j] = s[ACC + j] + x0 * s[j] + x1 * s[W + j] + x2 * s[2 * W + j] + x3 * s[3 * W + j];
    }
    x0 = s[XS + 4];
    x1 = s[XS + 5];
    x2 = s[XS + 6];
    x3 = s[XS + 7];
    for (int j = 0; j < W; j++) {
      s[ACC + j] = s[ACC + j] + x0 * s[4 * W + j] + x1 * s[5 * W + j] + x2 * s[6 * W + j] + x3 * s[7 * W + j];
    }
    x0 = s[XS + 8];
    x1 = s[XS + 9];
    x2 = s[XS + 10];
    x3 = s[XS + 11];
    for (int j = 0; j < W; j++) {
      s[ACC + j] = s[ACC + j] + x0 * s[8 * W + j] + x1 * s[9 * W + j] + x2 * s[10 * W + j] + x3 * s[11 * W + j];
    }
    x0 = s[XS + 12];
    x1 = s[XS + 13];
    x2 = s[XS + 14];
    x3 = s[XS + 15];
    for (int j = 0; j < W; j++) {
      s[ACC + j] = s[ACC + j] + x0 * s[12 * W + j] + x1 * s[13 * W + j] + x2 * s[14 * W + j] + x3 * s[15 * W + j];
    }
  }
}
