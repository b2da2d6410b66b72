package dev.topiary.internal.ops;

import java.util.Arrays;

/**
 * A copy between two strided views of the same shape, planned once at bind time and run without
 * allocation: {@code dst[d + Σ i_k·dStride_k] = src[s + Σ i_k·sStride_k]} for every index
 * {@code (i_0, …, i_{r-1})} of {@code dims}. Strides are in elements and may be negative (Slice with
 * negative steps) or arbitrary (Transpose, a Pad interior, a Concat input placed into
 * its slot of the output). Source and destination must not overlap.
 *
 * <p>Planning simplifies the views first: size-1 dimensions are dropped and adjacent dimensions that
 * are contiguous with each other in <em>both</em> views are merged, so a Concat input becomes a few
 * long runs and NCHW→NHWC becomes a batch of 2-D transposes. The innermost loop is then one of:
 * <ul>
 *   <li>{@code RUNS}: both views step by 1, one {@link System#arraycopy} per run;
 *   <li>{@code TRANSPOSE}: the destination steps by 1 and the source by 1 along some outer dimension:
 *       a tiled 2-D transpose ({@link Mover#transpose}) over those two dimensions;
 *   <li>{@code STRIDED}: anything else, an element loop ({@link Mover#strided}).
 * </ul>
 * The {@code TRANSPOSE} loop is a fast path; {@link #plan} with {@code tiled = false} never picks it,
 * which gives the reference behaviour.
 */
final class StridedCopy {
  private enum Mode { EMPTY, RUNS, TRANSPOSE, STRIDED }

  private final Mover mover;
  private final Mode mode;
  /** Outer dimensions iterated by {@link #loop}, outermost first, with their strides. */
  private final int[] outer;
  private final int[] outerS;
  private final int[] outerD;
  /** Innermost loop: length and strides. */
  private final int n;
  private final int innerS;
  private final int innerD;
  /** TRANSPOSE: the outer dimension along which the source is contiguous, and its dst stride. */
  private final int rows;
  private final int rowD;

  private StridedCopy(Mover mover, Mode mode, int[] outer, int[] outerS, int[] outerD, int n, int innerS,
      int innerD, int rows, int rowD) {
    this.mover = mover;
    this.mode = mode;
    this.outer = outer;
    this.outerS = outerS;
    this.outerD = outerD;
    this.n = n;
    this.innerS = innerS;
    this.innerD = innerD;
    this.rows = rows;
    this.rowD = rowD;
  }

  /** Strides of a dense row-major tensor of shape {@code dims}. */
  static int[] contiguousStrides(int[] dims) {
    int[] s = new int[dims.length];
    int acc = 1;
    for (int k = dims.length - 1; k >= 0; k--) {
      s[k] = acc;
      acc *= dims[k];
    }
    return s;
  }

  /** A copy from a dense source to a dense destination of {@code count} elements. */
  static StridedCopy dense(Mover mover, int count) {
    return plan(mover, new int[] {count}, new int[] {1}, new int[] {1}, false);
  }

  /**
   * Plans a copy of a {@code dims}-shaped view; {@code tiled} allows the blocked 2-D transpose loop.
   */
  static StridedCopy plan(Mover mover, int[] dims, int[] srcStrides, int[] dstStrides, boolean tiled) {
    int r = dims.length;
    for (int k = 0; k < r; k++) {
      if (dims[k] == 0) {
        return new StridedCopy(mover, Mode.EMPTY, new int[0], new int[0], new int[0], 0, 1, 1, 0, 0);
      }
    }
    // Simplify from the innermost dimension outwards: drop size 1, merge into the inner neighbour
    // when both views are contiguous across the pair.
    int[] d = new int[r];
    int[] ss = new int[r];
    int[] ds = new int[r];
    int m = 0;
    for (int k = r - 1; k >= 0; k--) {
      if (dims[k] == 1) {
        continue;
      }
      if (m > 0 && srcStrides[k] == ss[m - 1] * d[m - 1] && dstStrides[k] == ds[m - 1] * d[m - 1]) {
        d[m - 1] *= dims[k];
        continue;
      }
      d[m] = dims[k];
      ss[m] = srcStrides[k];
      ds[m] = dstStrides[k];
      m++;
    }
    // Now index 0 is the innermost; reverse into outermost-first order.
    reverse(d, m);
    reverse(ss, m);
    reverse(ds, m);
    if (m == 0) {
      return new StridedCopy(mover, Mode.RUNS, new int[0], new int[0], new int[0], 1, 1, 1, 0, 0);
    }
    int last = m - 1;
    if (ss[last] == 1 && ds[last] == 1) {
      return new StridedCopy(mover, Mode.RUNS, Arrays.copyOf(d, last), Arrays.copyOf(ss, last),
          Arrays.copyOf(ds, last), d[last], 1, 1, 0, 0);
    }
    if (tiled && ds[last] == 1) {
      for (int j = last - 1; j >= 0; j--) {
        if (ss[j] == 1) {
          return new StridedCopy(mover, Mode.TRANSPOSE, without(d, last, j), without(ss, last, j),
              without(ds, last, j), d[last], ss[last], 1, d[j], ds[j]);
        }
      }
    }
    return new StridedCopy(mover, Mode.STRIDED, Arrays.copyOf(d, last), Arrays.copyOf(ss, last),
        Arrays.copyOf(ds, last), d[last], ss[last], ds[last], 0, 0);
  }

  /** True when the copy runs as a batch of tiled 2-D transposes (for tests of the planning). */
  boolean isTiledTranspose() {
    return mode == Mode.TRANSPOSE;
  }

  /** True when the copy runs as contiguous runs of {@link System#arraycopy}. */
  boolean isRuns() {
    return mode == Mode.RUNS;
  }

  /** Copies the view starting at {@code src[s]} into the view starting at {@code dst[d]}. */
  void run(Object src, int s, Object dst, int d) {
    if (mode != Mode.EMPTY) {
      loop(0, src, s, dst, d);
    }
  }

  private void loop(int level, Object src, int s, Object dst, int d) {
    if (level == outer.length) {
      inner(src, s, dst, d);
      return;
    }
    int len = outer[level];
    int sk = outerS[level];
    int dk = outerD[level];
    if (level == outer.length - 1) {
      for (int i = 0; i < len; i++, s += sk, d += dk) {
        inner(src, s, dst, d);
      }
    } else {
      for (int i = 0; i < len; i++, s += sk, d += dk) {
        loop(level + 1, src, s, dst, d);
      }
    }
  }

  private void inner(Object src, int s, Object dst, int d) {
    switch (mode) {
      case RUNS:
        System.arraycopy(src, s, dst, d, n);
        return;
      case TRANSPOSE:
        mover.transpose(src, s, innerS, dst, d, rowD, rows, n);
        return;
      default:
        mover.strided(src, s, innerS, dst, d, innerD, n);
    }
  }

  private static void reverse(int[] a, int m) {
    for (int i = 0, j = m - 1; i < j; i++, j--) {
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** {@code a[0..last)} without index {@code j}. */
  private static int[] without(int[] a, int last, int j) {
    int[] out = new int[last - 1];
    for (int i = 0, o = 0; i < last; i++) {
      if (i != j) {
        out[o++] = a[i];
      }
    }
    return out;
  }
}
