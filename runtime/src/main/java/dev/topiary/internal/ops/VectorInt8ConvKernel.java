package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * INT8 Conv2D with {@code group = 1} (and INT8 FullyConnected / MatMul with a constant B, as a
 * 1×1 convolution) on the {@link VectorKernels#int8Gemm} micro-kernels: rows are output pixels,
 * depth is {@code (kh, kw, c)}, columns the output channels, weights widened and packed at load by
 * the vector module, requantization in its epilogue.
 *
 * <p>A pointwise convolution (1×1, stride 1, no padding) or FullyConnected hands the int8 input
 * over in place (its rows are the pixels) when the GEMM packs A's rows itself
 * ({@link VectorKernels.Int8Gemm#packsRows}, the three-products-per-long-lane kernel of deep layers),
 * or when there is at most one column panel of outputs: there the copy below would cost as much as
 * the product. With more panels the copy pays for itself, because a
 * broadcast from a byte array (a sign extension in a general register, then a move to the vector
 * unit) is slower than one straight from an int array: measured 33 against 46 G multiply-adds/s
 * for depth 960. Otherwise, per tile of rows, the im2col is gathered into the worker's byte
 * scratch as the raw int8 values, a padded tap as {@code zp_x} (a kernel row inside the image is one
 * copy), and handed to a GEMM that packs its rows as it is, or widened into the int scratch for the
 * int32-lane GEMM; the bias handed to the vector module is
 * {@code bias[oc] − zp_x·Σ w[oc]}. So {@code Σ w·x + bias'} over every tap is the reference's
 * {@code Σ w·(x − zp_x) + bias} over the taps inside the input (a padded tap adds
 * {@code w·zp_x − w·zp_x}), the same int32 value even when it wraps: the bytes are
 * {@link Int8Conv#reference}'s for any split and thread count. Unlike the C2 kernels there is no
 * narrow-output variant: the accumulators stay in registers whatever the width.
 */
final class VectorInt8ConvKernel implements Kernel, Parallel.Task<Frame> {
  /** Ints of im2col rows a worker keeps (256 KiB): bounds the rows of a tile for deep kernels. */
  private static final int IM2COL_INTS = 1 << 16;
  private static final int MAX_ROWS = 60;

  private final Int8Conv.Bound b;
  private final ConvParams p;
  private final int depth;
  private final int block;
  private final int maxRows;
  private final int im2colAt;
  private final VectorKernels.Int8Gemm gemm;
  /** Whether A is the int8 input itself: pointwise, and one column panel or a packing GEMM (see the class comment). */
  private final boolean inPlace;
  /** Whether the GEMM packs A's rows itself: then it takes the byte im2col as it is. */
  private final boolean packs;
  private final int x;
  private final int y;

  VectorInt8ConvKernel(BindContext ctx, VectorKernels vk, Int8Conv.Bound b, int x, int y) {
    this.b = b;
    this.p = b.p;
    this.x = x;
    this.y = y;
    this.depth = p.depth();
    int[] bias = new int[p.o];
    for (int oc = 0; oc < p.o; oc++) {
      int sum = 0;
      for (int d = 0; d < depth; d++) {
        sum += b.w[oc * depth + d];
      }
      bias[oc] = (b.bias == null ? 0 : b.bias[oc]) - b.zpIn * sum;
    }
    this.gemm = vk.int8Gemm(p.o, depth, b.w, 0, bias, b.mult, b.shift, b.zpOut, b.lo, b.hi);
    this.block = vk.gemmRows();
    int rows = Math.max(1, Math.min(MAX_ROWS, IM2COL_INTS / Math.max(1, depth)));
    this.maxRows = rows > block ? rows / block * block : rows;
    this.im2colAt = vk.int8GemmScratchInts();
    this.inPlace = p.pointwise() && (gemm.panels() == 1 || gemm.packsRows());
    this.packs = gemm.packsRows();
    ctx.requestScratchInts(im2colAt + (inPlace || packs ? 0 : maxRows * depth));
    ctx.requestScratchLongs(gemm.scratchLongs(maxRows));
    if (!p.pointwise()) {
      ctx.requestScratchBytes(maxRows * depth);
    }
  }

  private int rows(Frame f) {
    return VectorGemmKernel.rowsPerTile(p.rows(), 1, f.parallel().workers(), maxRows, block);
  }

  @Override
  public void run(Frame f) {
    int m = p.rows();
    if (m == 0 || p.o == 0) {
      return;
    }
    int rows = rows(f);
    int rowTiles = (m + rows - 1) / rows;
    int splits = VectorGemmKernel.panelSplits(rowTiles, gemm.panels(), f.parallel().workers());
    GemmKernel.dispatch(f, rowTiles * splits, (long) m * p.o * depth, this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    byte[] in = f.i8(x);
    int xo = f.off(x);
    byte[] out = f.i8(y);
    int yo = f.off(y);
    int[] s = f.scratchInts(worker);
    long[] ls = f.scratchLongs(worker);
    byte[] rowBytes = f.scratchBytes(worker);
    int m = p.rows();
    int rows = rows(f);
    int rowTiles = (m + rows - 1) / rows;
    int panels = gemm.panels();
    int splits = VectorGemmKernel.panelSplits(rowTiles, panels, f.parallel().workers());
    int gathered = -1;
    for (int t = from; t < to; t++) {
      int split = t % splits;
      int rt = t / splits;
      int i0 = rt * rows;
      int n = Math.min(rows, m - i0);
      int p0 = Parallel.chunkStart(panels, split, splits);
      int p1 = Parallel.chunkStart(panels, split + 1, splits);
      if (inPlace) {
        gemm.compute(s, ls, in, xo + i0 * p.c, p.c, out, yo + i0 * p.o, p.o, n, p0, p1);
        continue;
      }
      if (rt != gathered) {
        if (p.pointwise()) {
          widen(in, xo + i0 * p.c, s, im2colAt, n * p.c);
        } else {
          im2col(rowBytes, in, xo, i0, n);
          if (!packs) {
            widen(rowBytes, 0, s, im2colAt, n * depth);
          }
        }
        gathered = rt;
      }
      if (packs) {
        gemm.compute(s, ls, rowBytes, 0, depth, out, yo + i0 * p.o, p.o, n, p0, p1);
      } else {
        gemm.compute(s, ls, s, im2colAt, depth, out, yo + i0 * p.o, p.o, n, p0, p1);
      }
    }
  }

  /** {@code v[from, from + count)} widened into {@code s[at, at + count)}. */
  private static void widen(byte[] v, int from, int[] s, int at, int count) {
    for (int t = 0; t < count; t++) {
      s[at + t] = v[from + t];
    }
  }

  /**
   * Rows {@code [i0, i0 + n)} of the im2col matrix, raw int8 values ({@code zp_x} in the padding),
   * into {@code rows} from index 0, {@code depth} bytes a row.
   */
  private void im2col(byte[] rows, byte[] in, int xo, int i0, int n) {
    byte zp = (byte) b.zpIn;
    for (int i = 0; i < n; i++) {
      int r = i0 + i;
      int ow = r % p.ow;
      int oh = r / p.ow % p.oh;
      int nn = r / (p.ow * p.oh);
      int ih0 = oh * p.sh - p.padTop;
      int iw0 = ow * p.sw - p.padLeft;
      int d = i * depth;
      // A kernel row inside the input with dilation 1 is kw·C contiguous values: one copy.
      boolean rowInside = p.dw == 1 && iw0 >= 0 && iw0 + p.kw <= p.w;
      for (int kr = 0; kr < p.kh; kr++) {
        int ih = ih0 + kr * p.dh;
        int rowBase = xo + (nn * p.h + ih) * p.w * p.c;
        if (rowInside && ih >= 0 && ih < p.h) {
          System.arraycopy(in, rowBase + iw0 * p.c, rows, d, p.kw * p.c);
          d += p.kw * p.c;
          continue;
        }
        for (int q = 0; q < p.kw; q++, d += p.c) {
          int iw = iw0 + q * p.dw;
          if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) {
            java.util.Arrays.fill(rows, d, d + p.c, zp);
          } else {
            System.arraycopy(in, rowBase + iw * p.c, rows, d, p.c);
          }
        }
      }
    }
  }
}
