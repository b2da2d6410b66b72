package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.TransposedGemm;
import java.util.Arrays;

/**
 * Fast Conv2D as a GEMM per group: rows are output pixels {@code (n, oh, ow)}, depth is
 * {@code (kh, kw, c)}, columns are the group's output channels.
 *
 * <ul>
 *   <li>Wide outputs (96 or more output channels per group, or fewer pixels than channels) use
 *       {@link Gemm} with the weights packed at load time. A 1×1 convolution with stride 1 and no
 *       padding multiplies the NHWC input in place; any other convolution first gathers each tile's
 *       rows (im2col) into the worker's scratch, one {@code arraycopy} per kernel tap (per kernel
 *       row when the taps are contiguous).
 *   <li>Narrow outputs use {@link TransposedGemm}, vectorised along the pixels (C2 only widens
 *       long loops; a 32-channel row is too short): the input is
 *       gathered transposed per depth block (a strided copy per kernel tap and output row; the
 *       plain transpose for 1×1), and the weights are read in place.
 * </ul>
 *
 * <p>Work is split into tiles of (group, rows, columns) across the session's workers; every
 * output value is computed the same way whatever the split, so results do not depend on the
 * thread count.
 */
final class ConvGemmKernel implements Kernel, Parallel.Task<Frame>, TransposedGemm.Source {
  /** Floats of im2col rows a worker keeps (256 KiB): bounds the rows of a tile for deep kernels. */
  private static final int IM2COL_FLOATS = 1 << 16;
  /** Largest number of rows in one {@link Gemm} tile. */
  private static final int MAX_ROWS = 64;

  private final ConvParams p;
  private final boolean direct;
  private final int depth;
  private final int x;
  private final int y;
  /** Wide path: one GEMM per group, or null. */
  private final Gemm[] groups;
  private final int maxRows;
  /** Narrow path: one transposed GEMM per group (weights read in place from {@link #weights}), or null. */
  private final TransposedGemm[] narrow;
  private final float[] weights;

  ConvGemmKernel(BindContext ctx, ConvParams p, float[] w, float[] b, Activation act, int x, int y) {
    this.p = p;
    this.x = x;
    this.y = y;
    this.depth = p.depth();
    this.direct = p.pointwise();
    if (TransposedGemm.preferred(p.rows(), p.og)) {
      this.groups = null;
      this.maxRows = 0;
      this.weights = w;
      this.narrow = new TransposedGemm[p.group];
      for (int g = 0; g < p.group; g++) {
        float[] bias = b == null ? null : Arrays.copyOfRange(b, g * p.og, (g + 1) * p.og);
        narrow[g] = new TransposedGemm(p.rows(), p.og, depth, bias, Epilogue.kind(act), act.min(), act.max());
      }
      ctx.requestScratch(TransposedGemm.scratchFloats(p.og, depth));
    } else {
      this.narrow = null;
      this.weights = null;
      this.groups = new Gemm[p.group];
      for (int g = 0; g < p.group; g++) {
        Gemm.Packed packed = Gemm.Packed.ofTransposed(w, g * p.og * depth, depth, depth, p.og);
        float[] bias = b == null ? null : Arrays.copyOfRange(b, g * p.og, (g + 1) * p.og);
        groups[g] = Epilogue.gemm(p.rows(), p.og, depth, packed, bias, act);
      }
      this.maxRows = direct ? MAX_ROWS : Math.max(1, Math.min(MAX_ROWS, IM2COL_FLOATS / depth));
      ctx.requestScratch(Gemm.SCRATCH + (direct ? 0 : maxRows * depth));
    }
  }

  private int rowsPerTile(Frame f) {
    return Gemm.rowsPerTile(p.rows(), p.group * groups[0].panels(), f.parallel().workers(), maxRows);
  }

  @Override
  public void run(Frame f) {
    long work = (long) p.rows() * p.o * depth;
    if (narrow != null) {
      int splits = narrow[0].columnSplits(p.group, f.parallel().workers());
      GemmKernel.dispatch(f, p.group * narrow[0].tiles() * splits, work, this);
      return;
    }
    int rows = rowsPerTile(f);
    int rowTiles = (p.rows() + rows - 1) / rows;
    GemmKernel.dispatch(f, p.group * rowTiles * groups[0].panels(), work, this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    if (narrow != null) {
      runNarrow(f, from, to, worker);
      return;
    }
    float[] in = f.f32(x);
    int xo = f.off(x);
    float[] out = f.f32(y);
    int yo = f.off(y);
    float[] s = f.scratch(worker);
    int m = p.rows();
    int rows = rowsPerTile(f);
    int rowTiles = (m + rows - 1) / rows;
    int panels = groups[0].panels();
    int gatheredGroup = -1;
    int gatheredTile = -1;
    for (int t = from; t < to; t++) {
      int g = t / (rowTiles * panels);
      int rt = t % (rowTiles * panels) / panels;
      int panel = t % panels;
      int i0 = rt * rows;
      int n = Math.min(rows, m - i0);
      int c0 = yo + i0 * p.o + g * p.og;
      if (direct) {
        groups[g].compute(s, in, xo + i0 * p.c + g * p.cg, p.c, null, 0, 0, out, c0, p.o, n, panel);
      } else {
        if (g != gatheredGroup || rt != gatheredTile) {
          im2col(p, s, Gemm.SCRATCH, in, xo, g, i0, n);
          gatheredGroup = g;
          gatheredTile = rt;
        }
        groups[g].compute(s, s, Gemm.SCRATCH, depth, null, 0, 0, out, c0, p.o, n, panel);
      }
    }
  }

  private void runNarrow(Frame f, int from, int to, int worker) {
    float[] in = f.f32(x);
    int xo = f.off(x);
    float[] out = f.f32(y);
    int yo = f.off(y);
    float[] s = f.scratch(worker);
    int tiles = narrow[0].tiles();
    int splits = narrow[0].columnSplits(p.group, f.parallel().workers());
    TransposedGemm.Source source = direct ? TransposedGemm.ROW_MAJOR : this;
    for (int t = from; t < to; t++) {
      int split = t % splits;
      int g = t / splits / tiles;
      narrow[g].compute(s, source, in, xo + g * p.cg, p.c, weights, g * p.og * depth, depth, 1,
          out, yo + g * p.og, p.o, t / splits % tiles, Parallel.chunkStart(p.og, split, splits),
          Parallel.chunkStart(p.og, split + 1, splits));
    }
  }

  /**
   * Writes rows {@code [i0, i0 + n)} of the im2col matrix of group {@code g} to {@code s[at...]},
   * {@code depth} floats per row ordered {@code (kh, kw, c)}; taps in the padding are zeros. Also
   * the gather of {@link VectorConvKernel}.
   */
  static void im2col(ConvParams p, float[] s, int at, float[] in, int xo, int g, int i0, int n) {
    int cg = p.cg;
    int tapRow = p.kw * cg;
    // With one group and no horizontal dilation, the valid taps of a kernel row are adjacent
    // pixels: their channels form one contiguous run of the NHWC input.
    boolean runs = p.group == 1 && p.dw == 1;
    int d = at;
    for (int i = i0; i < i0 + n; i++) {
      int ow = i % p.ow;
      int oh = i / p.ow % p.oh;
      int nn = i / (p.ow * p.oh);
      int ih0 = oh * p.sh - p.padTop;
      int iw0 = ow * p.sw - p.padLeft;
      for (int r = 0; r < p.kh; r++, d += tapRow) {
        int ih = ih0 + r * p.dh;
        if (ih < 0 || ih >= p.h) {
          Arrays.fill(s, d, d + tapRow, 0f);
          continue;
        }
        int rowBase = xo + (nn * p.h + ih) * p.w * p.c + g * cg;
        if (runs) {
          int first = Math.max(0, -iw0);
          int end = Math.min(p.kw, p.w - iw0);
          if (end <= first) {
            Arrays.fill(s, d, d + tapRow, 0f);
            continue;
          }
          Arrays.fill(s, d, d + first * cg, 0f);
          System.arraycopy(in, rowBase + (iw0 + first) * p.c, s, d + first * cg, (end - first) * cg);
          Arrays.fill(s, d + end * cg, d + tapRow, 0f);
        } else {
          for (int q = 0; q < p.kw; q++) {
            int iw = iw0 + q * p.dw;
            int dq = d + q * cg;
            if (iw < 0 || iw >= p.w) {
              Arrays.fill(s, dq, dq + cg, 0f);
            } else {
              System.arraycopy(in, rowBase + iw * p.c, s, dq, cg);
            }
          }
        }
      }
    }
  }

  /**
   * The transposed im2col of one depth block: {@code s[q·TILE + j]} is input channel {@code c} at
   * kernel tap {@code (kh, kw)} of output pixel {@code i0 + j}, where depth {@code k0 + q =
   * (kh·KW + kw)·C/group + c}; zero in the padding. The block's depths form runs of consecutive
   * channels of one tap; for each run and pixel the channels are read contiguously (one cache
   * line for 16 channels) and written down the block's rows. Pixels are walked incrementally.
   *
   * @param base offset of channel 0 of the group in the input: {@code xo + g·C/group}
   */
  @Override
  public void gather(float[] s, float[] in, int base, int unused, int i0, int rows, int k0, int kb) {
    int tile = TransposedGemm.TILE;
    int q = 0;
    while (q < kb) {
      int kk = k0 + q;
      int ci = kk % p.cg;
      int tap = kk / p.cg;
      int len = Math.min(kb - q, p.cg - ci);
      int dy = tap / p.kw * p.dh - p.padTop;
      int dx = tap % p.kw * p.dw - p.padLeft;
      int ow = i0 % p.ow;
      int oh = i0 / p.ow % p.oh;
      int nn = i0 / (p.ow * p.oh);
      for (int j = 0; j < rows; j++) {
        int ih = oh * p.sh + dy;
        int iw = ow * p.sw + dx;
        int d = q * tile + j;
        if (ih >= 0 && ih < p.h && iw >= 0 && iw < p.w) {
          int src = base + ((nn * p.h + ih) * p.w + iw) * p.c + ci;
          for (int e = 0; e < len; e++) {
            s[d + e * tile] = in[src + e];
          }
        } else {
          for (int e = 0; e < len; e++) {
            s[d + e * tile] = 0f;
          }
        }
        if (++ow == p.ow) {
          ow = 0;
          if (++oh == p.oh) {
            oh = 0;
            nn++;
          }
        }
      }
      q += len;
    }
  }
}
