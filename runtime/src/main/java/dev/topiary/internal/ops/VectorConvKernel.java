package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.VectorKernels;
import java.util.Arrays;

/**
 * Conv2D (not depthwise) as a GEMM per group on the {@link VectorKernels} micro-kernels: rows are
 * output pixels {@code (n, oh, ow)}, depth is {@code (kh, kw, c)}, columns the group's output
 * channels, weights packed at load time by the vector module. A 1×1 convolution with stride 1 and
 * no padding multiplies the NHWC input in place (its rows are the pixels, {@code lda = C}); any
 * other convolution gathers each tile's rows (im2col, {@link ConvGemmKernel#im2col}) into the
 * worker's scratch first. Unlike the C2 kernels there is no narrow-output variant: the
 * micro-kernel keeps its accumulators in registers whatever the width.
 *
 * <p>A residual tensor of the output's shape (a fused Add, {@link BindContext.Residual}) is added
 * in the micro-kernels' epilogue, before or after the activation.
 *
 * <p>Work is split into tiles of (group, rows, panel range); every output value is computed the
 * same way whatever the split, so results do not depend on the thread count.
 */
final class VectorConvKernel implements Kernel, Parallel.Task<Frame> {
  /** Floats of im2col rows a worker keeps (256 KiB): bounds the rows of a tile for deep kernels. */
  private static final int IM2COL_FLOATS = 1 << 16;
  /** Largest row tile. */
  private static final int MAX_ROWS = 60;

  private final ConvParams p;
  private final boolean direct;
  private final int depth;
  private final int block;
  private final int maxRows;
  /** Where the im2col rows start in the scratch; the GEMM's own scratch is below. */
  private final int im2colAt;
  private final VectorKernels.PackedGemm[] groups;
  private final int x;
  private final int y;
  /** The residual added to the output ({@link BindContext.Residual}), or -1. */
  private final int r;

  /**
   * @param r a residual tensor of the output's shape added before the activation when
   *     {@code residualFirst}, after it otherwise; -1 for none
   */
  VectorConvKernel(BindContext ctx, VectorKernels vk, ConvParams p, float[] w, float[] b, Activation act, int x,
      int y, int r, boolean residualFirst) {
    this.p = p;
    this.x = x;
    this.y = y;
    this.r = r;
    this.depth = p.depth();
    this.direct = p.pointwise();
    this.block = vk.gemmRows();
    this.groups = new VectorKernels.PackedGemm[p.group];
    for (int g = 0; g < p.group; g++) {
      float[] bias = b == null ? null : Arrays.copyOfRange(b, g * p.og, (g + 1) * p.og);
      // Weights [O, KH, KW, C/group]: B[kk][j] of group g at w[(g·og + j)·depth + kk].
      groups[g] = vk.gemm(p.og, depth, w, g * p.og * depth, depth, 1, bias, Epilogue.kind(act), act.min(), act.max(),
          residualFirst);
    }
    int rows = direct ? MAX_ROWS : Math.max(1, Math.min(MAX_ROWS, IM2COL_FLOATS / Math.max(1, depth)));
    this.maxRows = rows > block ? rows / block * block : rows;
    this.im2colAt = vk.gemmScratchFloats();
    // a last row tile takes up to block − 1 rows more (VectorGemmKernel.rowTiles)
    ctx.requestScratch(im2colAt + (direct ? 0 : (maxRows + block - 1) * depth));
  }

  private int rows(Frame f) {
    return VectorGemmKernel.rowsPerTile(p.rows(), p.group, f.parallel().workers(), maxRows, block);
  }

  private int splits(Frame f, int rowTiles) {
    return VectorGemmKernel.panelSplits((long) p.group * rowTiles, groups[0].panels(), f.parallel().workers());
  }

  @Override
  public void run(Frame f) {
    int m = p.rows();
    if (m == 0 || p.o == 0) {
      return;
    }
    int rows = rows(f);
    int rowTiles = VectorGemmKernel.rowTiles(m, rows, block);
    GemmKernel.dispatch(f, p.group * rowTiles * splits(f, rowTiles), (long) m * p.o * depth, this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    float[] in = f.f32(x);
    int xo = f.off(x);
    float[] out = f.f32(y);
    int yo = f.off(y);
    float[] res = r < 0 ? null : f.f32(r);
    int ro = r < 0 ? 0 : f.off(r) - yo;
    float[] s = f.scratch(worker);
    int m = p.rows();
    int rows = rows(f);
    int rowTiles = VectorGemmKernel.rowTiles(m, rows, block);
    int splits = splits(f, rowTiles);
    int panels = groups[0].panels();
    int gatheredGroup = -1;
    int gatheredTile = -1;
    for (int t = from; t < to; t++) {
      int split = t % splits;
      int g = t / splits / rowTiles;
      int rt = t / splits % rowTiles;
      int i0 = rt * rows;
      int n = VectorGemmKernel.tileRows(m, rows, rowTiles, rt);
      int c0 = yo + i0 * p.o + g * p.og;
      int p0 = Parallel.chunkStart(panels, split, splits);
      int p1 = Parallel.chunkStart(panels, split + 1, splits);
      if (direct) {
        groups[g].compute(s, in, xo + i0 * p.c + g * p.cg, p.c, out, c0, p.o, n, p0, p1, res, c0 + ro);
      } else {
        if (g != gatheredGroup || rt != gatheredTile) {
          ConvGemmKernel.im2col(p, s, im2colAt, in, xo, g, i0, n);
          gatheredGroup = g;
          gatheredTile = rt;
        }
        groups[g].compute(s, s, im2colAt, depth, out, c0, p.o, n, p0, p1, res, c0 + ro);
      }
    }
  }
}
