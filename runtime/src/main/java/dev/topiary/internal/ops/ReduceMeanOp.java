package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * ReduceMean: the mean over {@code axes} (all when absent or empty; negative values count from the
 * end; no repeats), keeping reduced dimensions as size 1 when {@code keepdims} (1). Also binds
 * {@code GlobalAvgPool}. A mean over zero elements is NaN.
 *
 * <p>Reference kernel: for each output element, every reduced element by index arithmetic, summed
 * in double. Fast kernel, when the reduced dimensions are adjacent after dropping size-1
 * dimensions, i.e. the input is {@code [outer, R, inner]} (last axes; H and W of NHWC): for
 * {@code inner = 1} a contiguous double sum per output (the reference's order, so identical
 * results); otherwise contiguous float passes over {@code inner} with two-level summation (blocks of
 * {@link #BLOCK} rows summed in scratch, then added to the output), error about
 * {@code (BLOCK + R/BLOCK)·ε} relative instead of {@code R·ε}; with {@link VectorKernels} in the
 * plan the same sums in vector registers (same bits). Other axis patterns use the reference kernel.
 */
final class ReduceMeanOp implements OpFactory {
  /** Rows summed in scratch before each addition to the output accumulator. */
  static final int BLOCK = 64;
  /** Channels per parallel item (and scratch floats per worker). */
  static final int CHUNK = 512;

  @Override
  public String opType() {
    return "ReduceMean";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(1, 1);
    ctx.requireType(0, DataType.FLOAT32);
    int[] shape = ctx.inputShape(0);
    long[] axes = ctx.attrInts("axes", null);
    boolean keep = ctx.attrInt("keepdims", 1, 0, 1) == 1;
    boolean[] reduced = new boolean[shape.length];
    if (axes == null || axes.length == 0) {
      java.util.Arrays.fill(reduced, true);
    } else {
      for (long a : axes) {
        int ax = ctx.axis("axes", a, shape.length);
        if (shape.length == 0) {
          throw ctx.error("attribute 'axes' must be empty for a scalar input, got " + java.util.Arrays.toString(axes));
        }
        if (reduced[ax]) {
          throw ctx.error("attribute 'axes' lists axis " + ax + " twice: " + java.util.Arrays.toString(axes));
        }
        reduced[ax] = true;
      }
    }
    return bindMean(ctx, shape, reduced, keep);
  }

  /** Declares the output and binds a mean over the dimensions flagged in {@code reduced}. */
  static Kernel bindMean(BindContext ctx, int[] shape, boolean[] reduced, boolean keep)
      throws ModelFormatException {
    int rank = shape.length;
    int nk = 0;
    for (boolean r : reduced) {
      nk += r ? 0 : 1;
    }
    int[] out = new int[keep ? rank : nk];
    int[] keptDims = new int[nk];
    int[] keptStr = new int[nk];
    int[] redDims = new int[rank - nk];
    int[] redStr = new int[rank - nk];
    int stride = 1;
    int ik = nk;
    int ir = rank - nk;
    int io = out.length;
    for (int d = rank - 1; d >= 0; d--) {
      if (reduced[d]) {
        redDims[--ir] = shape[d];
        redStr[ir] = stride;
        if (keep) {
          out[--io] = 1;
        }
      } else {
        keptDims[--ik] = shape[d];
        keptStr[ik] = stride;
        out[--io] = shape[d];
      }
      stride *= shape[d];
    }
    ctx.setOutput(0, DataType.FLOAT32, out);
    final int x = ctx.inputId(0);
    final int y = ctx.outputId(0);
    final int outCount = Shape.of(keptDims).elementCount();
    final int count = Shape.of(redDims).elementCount();
    if (!ctx.referenceKernels()) {
      Kernel k = fast(ctx, shape, reduced, x, y);
      if (k != null) {
        return k;
      }
    }
    return f -> reference(f.f32(x), f.off(x), f.f32(y), f.off(y), outCount, keptDims, keptStr, count, redDims,
        redStr);
  }

  static void reference(float[] x, int xo, float[] y, int yo, int outCount, int[] keptDims, int[] keptStr,
      int count, int[] redDims, int[] redStr) {
    for (int o = 0; o < outCount; o++) {
      int base = xo + offset(o, keptDims, keptStr);
      double sum = 0;
      for (int r = 0; r < count; r++) {
        sum += x[base + offset(r, redDims, redStr)];
      }
      y[yo + o] = (float) (sum / count);
    }
  }

  /** Element offset of row-major index {@code i} over {@code dims} with strides {@code str}. */
  private static int offset(int i, int[] dims, int[] str) {
    int off = 0;
    for (int d = dims.length - 1; d >= 0; d--) {
      off += (i % dims[d]) * str[d];
      i /= dims[d];
    }
    return off;
  }

  /** The {@code [outer, R, inner]} kernel, or null when the reduced dimensions are not adjacent. */
  private static Kernel fast(BindContext ctx, int[] shape, boolean[] reduced, int x, int y) {
    // Groups of the pattern outer-kept, reduced, inner-kept; size-1 dimensions do not matter.
    int outer = 1;
    int count = 1;
    int inner = 1;
    int phase = 0;
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] == 1) {
        continue;
      }
      if (reduced[d]) {
        if (phase == 2) {
          return null;
        }
        phase = 1;
        count *= shape[d];
      } else if (phase == 0) {
        outer *= shape[d];
      } else {
        phase = 2;
        inner *= shape[d];
      }
    }
    final int fo = outer;
    final int fr = count;
    final int fi = inner;
    final long work = (long) outer * count * inner;
    if (inner == 1) {
      Chunks.Body rows = (f, from, to, w) -> {
        float[] xa = f.f32(x);
        float[] ya = f.f32(y);
        int xo = f.off(x);
        int yo = f.off(y);
        for (int o = from; o < to; o++) {
          double sum = 0;
          int base = xo + o * fr;
          for (int r = 0; r < fr; r++) {
            sum += xa[base + r];
          }
          ya[yo + o] = (float) (sum / fr);
        }
      };
      return f -> Chunks.run(f, fo, work, rows);
    }
    final int chunks = (inner + CHUNK - 1) / CHUNK;
    // With the vector kernels, the same sums in registers: C2 leaves the plain loop scalar (input
    // and scratch sit at offsets it cannot tell apart).
    VectorKernels vk = ctx.vectorKernels();
    if (vk == null) {
      ctx.requestScratch(Math.min(inner, CHUNK));
    }
    Chunks.Body cols = (f, from, to, w) -> {
      for (int item = from; item < to; item++) {
        int o = item / chunks;
        int i0 = (item % chunks) * CHUNK;
        int i1 = Math.min(i0 + CHUNK, fi);
        if (vk != null) {
          vk.meanColumns(f.f32(x), f.off(x) + o * fr * fi, f.f32(y), f.off(y) + o * fi, fr, fi, i0, i1, BLOCK);
        } else {
          meanColumns(f.f32(x), f.off(x) + o * fr * fi, f.f32(y), f.off(y) + o * fi, fr, fi, i0, i1, f.scratch(w));
        }
      }
    };
    return f -> Chunks.run(f, fo * chunks, work, cols);
  }

  /**
   * y[i] = mean over r of x[r·inner + i] for i in [i0, i1): two-level float summation, the partial
   * sum of each block of rows kept in {@code s[0, i1 − i0)}.
   */
  static void meanColumns(float[] x, int xo, float[] y, int yo, int rows, int inner, int i0, int i1, float[] s) {
    int n = i1 - i0;
    java.util.Arrays.fill(y, yo + i0, yo + i1, 0f);
    for (int rb = 0; rb < rows; rb += BLOCK) {
      java.util.Arrays.fill(s, 0, n, 0f);
      int re = Math.min(rb + BLOCK, rows);
      for (int r = rb; r < re; r++) {
        int xp = xo + r * inner + i0;
        for (int i = 0; i < n; i++) {
          s[i] += x[xp + i];
        }
      }
      for (int i = 0; i < n; i++) {
        y[yo + i0 + i] += s[i];
      }
    }
    for (int i = 0; i < n; i++) {
      y[yo + i0 + i] = y[yo + i0 + i] / rows;
    }
  }
}
