package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.Parallel;
import java.util.Arrays;

/**
 * Fast Conv2D as a GEMM per group: rows are output pixels {@code (n, oh, ow)}, depth is
 * {@code (kh, kw, c)}, columns are the group's output channels. Weights are packed at load time.
 * A 1×1 convolution with stride 1 and no padding multiplies the NHWC input in place; any other
 * convolution first gathers each tile's rows (im2col) into the worker's scratch, one
 * {@code arraycopy} per kernel tap (per kernel row when the taps are contiguous).
 *
 * <p>Work is split into tiles of (group, row range, column panel) across the session's workers;
 * every output value is computed the same way whatever the split, so results do not depend on the
 * thread count.
 */
final class ConvGemmKernel implements Kernel, Parallel.Task<Frame> {
  /** Floats of im2col rows a worker keeps (256 KiB): bounds the rows of a tile for deep kernels. */
  private static final int IM2COL_FLOATS = 1 << 16;
  /** Largest number of rows in one tile. */
  private static final int MAX_ROWS = 64;

  private final ConvParams p;
  private final Gemm[] groups;
  private final boolean direct;
  private final int depth;
  private final int maxRows;
  private final int x;
  private final int y;

  ConvGemmKernel(BindContext ctx, ConvParams p, float[] w, float[] b, Activation act, int x, int y) {
    this.p = p;
    this.x = x;
    this.y = y;
    this.depth = p.depth();
    this.direct = p.pointwise();
    this.groups = new Gemm[p.group];
    for (int g = 0; g < p.group; g++) {
      Gemm.Packed packed = Gemm.Packed.ofTransposed(w, g * p.og * depth, depth, depth, p.og);
      float[] bias = b == null ? null : Arrays.copyOfRange(b, g * p.og, (g + 1) * p.og);
      groups[g] = Epilogue.gemm(p.rows(), p.og, depth, packed, bias, act);
    }
    this.maxRows = direct ? MAX_ROWS : Math.max(1, Math.min(MAX_ROWS, IM2COL_FLOATS / depth));
    ctx.requestScratch(Gemm.SCRATCH + (direct ? 0 : maxRows * depth));
  }

  private int rowsPerTile(Frame f) {
    return Gemm.rowsPerTile(p.rows(), p.group * groups[0].panels(), f.parallel().workers(), maxRows);
  }

  @Override
  public void run(Frame f) {
    int rows = rowsPerTile(f);
    int rowTiles = (p.rows() + rows - 1) / rows;
    f.parallel().forRange(p.group * rowTiles * groups[0].panels(), f, this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
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
          im2col(s, Gemm.SCRATCH, in, xo, g, i0, n);
          gatheredGroup = g;
          gatheredTile = rt;
        }
        groups[g].compute(s, s, Gemm.SCRATCH, depth, null, 0, 0, out, c0, p.o, n, panel);
      }
    }
  }

  /**
   * Writes rows {@code [i0, i0 + n)} of the im2col matrix of group {@code g} to {@code s[at...]},
   * {@code depth} floats per row ordered {@code (kh, kw, c)}; taps in the padding are zeros.
   */
  private void im2col(float[] s, int at, float[] in, int xo, int g, int i0, int n) {
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
}
