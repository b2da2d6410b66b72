package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.Parallel;
import java.util.Arrays;

/**
 * The fast INT8 Conv2D for {@code group = 1} with wide outputs (the shapes the FLOAT32 kernel runs
 * through {@link Gemm}: 96 or more output channels, or fewer output pixels than channels): the
 * FLOAT32 GEMM's structure in int32. Rows are output pixels, depth is {@code (kh, kw, c)}, columns
 * are output channels in panels of {@link #NW}.
 *
 * <p>At load the weights are widened to int and packed per (column panel, block of {@link #KC}
 * depth rows) into arrays of {@code KC × NW} ints, zero beyond the depth and the channels, which
 * the loops read in place; the per-channel requantization constants are laid out per panel for
 * {@link Requantize#lanes}. Per tile of rows, the rows' im2col is widened once into the worker's
 * int scratch as {@code x − zp_x} (0 for a padded tap and beyond the depth); then, block by block,
 * each row broadcasts its {@code KC} values against the block ({@code acc[j] += Σ_q x_q ·
 * w[k0 + q][j]}, four rows per loop at constant offsets of one array: the loop shape C2 vectorises,
 * see {@code internal/cpu/MicroKernel}), keeping the row's int accumulators (which start from the
 * bias) in the scratch between blocks. The epilogue requantizes ({@link Requantize}: int arithmetic in
 * vectorised passes) and narrows to the row's contiguous NHWC output.
 *
 * <p>The sum is the reference's {@code Σ w·(x − zp_x)} over the same taps (padded taps add 0 in
 * both) in another order; int32 addition is associative even when it wraps, so the bytes are
 * {@link Int8Conv#reference}'s for any split of the work and any thread count.
 */
final class Int8ConvGemm implements Kernel, Parallel.Task<Frame> {
  /** Columns per panel: the vector loop's trip count for full panels. */
  static final int NW = 256;
  /** Depth rows per block. */
  static final int KC = 16;
  /** Largest number of rows in one tile. */
  private static final int MAX_ROWS = 64;
  /** Ints of im2col a worker keeps: bounds the rows of a tile for deep kernels. */
  private static final int IM2COL_INTS = 1 << 16;
  // Scratch layout (ints): [0, NW) the accumulator row, which the epilogue requantizes in place
  // with its temporary rows up to Requantize.SCRATCH; [XS, ROWS) the KC broadcast values;
  // [ROWS, IM) the accumulators of the tile's rows between blocks; [IM, ...) the tile's im2col,
  // depthPad ints per row.
  private static final int ACC = 0;
  private static final int XS = Requantize.SCRATCH;
  private static final int ROWS = XS + KC;
  private static final int IM = ROWS + MAX_ROWS * NW;

  private final Int8Conv.Bound b;
  private final ConvParams p;
  private final int x;
  private final int y;
  private final int depth;
  private final int depthPad;
  private final int depthBlocks;
  private final int panels;
  private final int maxRows;
  /** {@code blocks[panel · depthBlocks + k0 / KC][q · NW + j] = w[panel · NW + j][k0 + q]}. */
  private final int[][] blocks;
  /** Per panel: the bias of its columns (zeros without a bias), where the accumulators start. */
  private final int[][] bias;
  /** Per panel: the requantization constants of its columns (the bias is in the accumulators). */
  private final Requantize.Lanes[] lanes;

  Int8ConvGemm(BindContext ctx, Int8Conv.Bound b, int x, int y) {
    this.b = b;
    this.p = b.p;
    this.x = x;
    this.y = y;
    this.depth = p.depth();
    this.depthPad = (depth + KC - 1) / KC * KC;
    this.depthBlocks = depthPad / KC;
    this.panels = (p.o + NW - 1) / NW;
    this.blocks = new int[panels * depthBlocks][KC * NW];
    for (int oc = 0; oc < p.o; oc++) {
      int panel = oc / NW;
      int j = oc % NW;
      for (int d = 0; d < depth; d++) {
        blocks[panel * depthBlocks + d / KC][d % KC * NW + j] = b.w[oc * depth + d];
      }
    }
    this.lanes = new Requantize.Lanes[panels];
    this.bias = new int[panels][NW];
    for (int panel = 0; panel < panels; panel++) {
      if (b.bias != null) {
        System.arraycopy(b.bias, panel * NW, bias[panel], 0, Math.min(NW, p.o - panel * NW));
      }
      int[] channel = new int[NW];
      for (int j = 0; j < NW; j++) {
        channel[j] = panel * NW + j < p.o ? panel * NW + j : -1;
      }
      lanes[panel] = new Requantize.Lanes(channel, null, b.mult, b.shift);
    }
    this.maxRows = Math.max(1, Math.min(MAX_ROWS, IM2COL_INTS / depthPad));
    ctx.requestScratchInts(IM + maxRows * depthPad);
  }

  private int rowsPerTile(Frame f) {
    return Gemm.rowsPerTile(p.rows(), panels, f.parallel().workers(), maxRows);
  }

  @Override
  public void run(Frame f) {
    int rows = rowsPerTile(f);
    int rowTiles = (p.rows() + rows - 1) / rows;
    GemmKernel.dispatch(f, rowTiles * panels, (long) p.rows() * p.o * depth, this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    byte[] in = f.i8(x);
    int xo = f.off(x);
    byte[] out = f.i8(y);
    int yo = f.off(y);
    int[] s = f.scratchInts(worker);
    int m = p.rows();
    int rows = rowsPerTile(f);
    int gathered = -1;
    for (int t = from; t < to; t++) {
      int rt = t / panels;
      int panel = t % panels;
      int i0 = rt * rows;
      int n = Math.min(rows, m - i0);
      if (rt != gathered) {
        im2col(s, in, xo, i0, n);
        gathered = rt;
      }
      panel(s, out, yo + i0 * p.o, n, panel);
    }
  }

  /** Rows {@code [0, n)} of the gathered tile, columns of {@code panel}, into the output from {@code yRow}. */
  private void panel(int[] s, byte[] out, int yRow, int n, int panel) {
    int j0 = panel * NW;
    int w = Math.min(NW, p.o - j0);
    for (int kb0 = 0; kb0 < depthBlocks; kb0++) {
      int[] blk = blocks[panel * depthBlocks + kb0];
      boolean last = kb0 == depthBlocks - 1;
      for (int i = 0; i < n; i++) {
        if (kb0 == 0) {
          System.arraycopy(bias[panel], 0, s, ACC, w);
        } else {
          System.arraycopy(s, ROWS + i * NW, s, ACC, w);
        }
        System.arraycopy(s, IM + i * depthPad + kb0 * KC, s, XS, KC);
        int kb = Math.min(KC, depth - kb0 * KC);
        if (w == NW) {
          full(s, blk, kb);
        } else {
          tail(s, blk, kb, w);
        }
        if (last) {
          epilogue(s, w, panel, out, yRow + i * p.o + j0);
        } else {
          System.arraycopy(s, ACC, s, ROWS + i * NW, w);
        }
      }
    }
  }

  /** Requantizes the accumulator row and narrows it into {@code out[at, at + w)}. */
  private void epilogue(int[] s, int w, int panel, byte[] out, int at) {
    Requantize.lanes(s, w, lanes[panel], b.zpOut, b.lo, b.hi);
    for (int t = 0; t < w; t++) {
      out[at + t] = (byte) s[t];
    }
  }

  /**
   * Rows {@code [i0, i0 + n)} of the im2col matrix as {@code x − zp_x} at {@code IM}, {@code depthPad}
   * ints per row ordered {@code (kh, kw, c)}; padded taps and depths past the end are 0.
   */
  private void im2col(int[] s, byte[] in, int xo, int i0, int n) {
    int zp = b.zpIn;
    int tapRow = p.kw * p.c;
    for (int i = 0; i < n; i++) {
      int r = i0 + i;
      int ow = r % p.ow;
      int oh = r / p.ow % p.oh;
      int nn = r / (p.ow * p.oh);
      int ih0 = oh * p.sh - p.padTop;
      int iw0 = ow * p.sw - p.padLeft;
      int d = IM + i * depthPad;
      for (int kr = 0; kr < p.kh; kr++, d += tapRow) {
        int ih = ih0 + kr * p.dh;
        if (ih < 0 || ih >= p.h) {
          Arrays.fill(s, d, d + tapRow, 0);
          continue;
        }
        int rowBase = xo + (nn * p.h + ih) * p.w * p.c;
        for (int q = 0; q < p.kw; q++) {
          int iw = iw0 + q * p.dw;
          int dq = d + q * p.c;
          if (iw < 0 || iw >= p.w) {
            Arrays.fill(s, dq, dq + p.c, 0);
          } else {
            int src = rowBase + iw * p.c;
            for (int c = 0; c < p.c; c++) {
              s[dq + c] = in[src + c] - zp;
            }
          }
        }
      }
      Arrays.fill(s, IM + i * depthPad + depth, IM + (i + 1) * depthPad, 0);
    }
  }

  /**
   * {@code acc[j] += Σ_{q < kb} x_q · blk[q][j]} for {@code j < NW}: four rows per loop (rows and
   * values past {@code kb}, up to the next multiple of 4, are zero).
   */
  private static void full(int[] s, int[] blk, int kb) {
    int x0 = s[XS];
    int x1 = s[XS + 1];
    int x2 = s[XS + 2];
    int x3 = s[XS + 3];
    for (int j = 0; j < NW; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[j] + x1 * blk[NW + j] + x2 * blk[2 * NW + j] + x3 * blk[3 * NW + j];
    }
    if (kb <= 4) {
      return;
    }
    x0 = s[XS + 4];
    x1 = s[XS + 5];
    x2 = s[XS + 6];
    x3 = s[XS + 7];
    for (int j = 0; j < NW; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[4 * NW + j] + x1 * blk[5 * NW + j] + x2 * blk[6 * NW + j]
          + x3 * blk[7 * NW + j];
    }
    if (kb <= 8) {
      return;
    }
    x0 = s[XS + 8];
    x1 = s[XS + 9];
    x2 = s[XS + 10];
    x3 = s[XS + 11];
    for (int j = 0; j < NW; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[8 * NW + j] + x1 * blk[9 * NW + j] + x2 * blk[10 * NW + j]
          + x3 * blk[11 * NW + j];
    }
    if (kb <= 12) {
      return;
    }
    x0 = s[XS + 12];
    x1 = s[XS + 13];
    x2 = s[XS + 14];
    x3 = s[XS + 15];
    for (int j = 0; j < NW; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[12 * NW + j] + x1 * blk[13 * NW + j] + x2 * blk[14 * NW + j]
          + x3 * blk[15 * NW + j];
    }
  }

  /** As {@link #full} for the first {@code w < NW} columns (a separate loop with its own profile). */
  private static void tail(int[] s, int[] blk, int kb, int w) {
    int x0 = s[XS];
    int x1 = s[XS + 1];
    int x2 = s[XS + 2];
    int x3 = s[XS + 3];
    for (int j = 0; j < w; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[j] + x1 * blk[NW + j] + x2 * blk[2 * NW + j] + x3 * blk[3 * NW + j];
    }
    if (kb <= 4) {
      return;
    }
    x0 = s[XS + 4];
    x1 = s[XS + 5];
    x2 = s[XS + 6];
    x3 = s[XS + 7];
    for (int j = 0; j < w; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[4 * NW + j] + x1 * blk[5 * NW + j] + x2 * blk[6 * NW + j]
          + x3 * blk[7 * NW + j];
    }
    if (kb <= 8) {
      return;
    }
    x0 = s[XS + 8];
    x1 = s[XS + 9];
    x2 = s[XS + 10];
    x3 = s[XS + 11];
    for (int j = 0; j < w; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[8 * NW + j] + x1 * blk[9 * NW + j] + x2 * blk[10 * NW + j]
          + x3 * blk[11 * NW + j];
    }
    if (kb <= 12) {
      return;
    }
    x0 = s[XS + 12];
    x1 = s[XS + 13];
    x2 = s[XS + 14];
    x3 = s[XS + 15];
    for (int j = 0; j < w; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[12 * NW + j] + x1 * blk[13 * NW + j] + x2 * blk[14 * NW + j]
          + x3 * blk[15 * NW + j];
    }
  }
}
