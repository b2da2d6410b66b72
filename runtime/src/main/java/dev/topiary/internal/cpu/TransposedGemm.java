package dev.topiary.internal.cpu;

import java.util.Arrays;

/**
 * The GEMM engine for narrow outputs: {@code C[i][j] = act(Σ_k A[i][k]·B[k][j] + bias[j])} computed
 * as {@code Cᵀ = Bᵀ·Aᵀ}, so that the vectorised loops run along the rows of C (output pixels of a
 * convolution, usually thousands) instead of along its few columns. Work is split into tiles of
 * {@link #TILE} rows; a tile computes all columns.
 *
 * <p>Per depth block of {@link Gemm#KC}, a {@link Source} writes {@code Aᵀ} for the tile into the
 * scratch (the caller decides how: a row-major matrix, or an implicit im2col); then each column
 * {@code j} of C is one accumulator row of the tile, updated with the scalars {@code B[k][j]} read
 * from {@code bt[btOff + j·sN + k·sK]} (so weights stored {@code [N][K]} and matrices stored
 * {@code [K][N]} are both read in place, unpacked). Partial sums of all columns stay in scratch
 * between depth blocks; the finished row is scattered into C with stride {@code ldc}.
 *
 * <p>The same summation order as {@link Gemm} and the reference kernels: {@code acc = 0},
 * products in ascending k, then bias, then activation; results do not depend on the tile split or
 * the number of threads.
 */
public final class TransposedGemm {
  /** Rows of C per tile: the length of the vectorised loops. */
  public static final int TILE = MicroKernel.W;

  /** Writes a tile's {@code Aᵀ} for one depth block into scratch. */
  public interface Source {
    /**
     * Writes {@code A[i0 + j][k0 + q]} to {@code s[q·TILE + j]} for {@code q < kb, j < rows}.
     * {@code a}, {@code aOff} and {@code lda} are passed through from {@link #compute}.
     */
    void gather(float[] s, float[] a, int aOff, int lda, int i0, int rows, int k0, int kb);
  }

  /**
   * A stored row-major: row {@code i} at {@code a[aOff + i·lda]}. Walks the rows, reading each
   * row's {@code kb} values contiguously (one cache line) and writing them down the block's rows.
   */
  public static final Source ROW_MAJOR = (s, a, aOff, lda, i0, rows, k0, kb) -> {
    for (int j = 0; j < rows; j++) {
      int src = aOff + (i0 + j) * lda + k0;
      for (int q = 0; q < kb; q++) {
        s[q * TILE + j] = a[src + q];
      }
    }
  };

  // Scratch beyond the micro-kernel's area: partial sums of every column, row j at PARTIAL + j·TILE.
  private static final int PARTIAL = MicroKernel.END;

  private final int m;
  private final int n;
  private final int k;
  private final float[] bias;
  private final Gemm.Act act;
  private final float lo;
  private final float hi;

  /**
   * A multiply of {@code m × k} by {@code k × n}.
   *
   * @param bias {@code n} values, or null
   */
  public TransposedGemm(int m, int n, int k, float[] bias, Gemm.Act act, float lo, float hi) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("negative size " + m + "x" + n + "x" + k);
    }
    if (bias != null && bias.length != n) {
      throw new IllegalArgumentException("bias has " + bias.length + " values, expected " + n);
    }
    this.m = m;
    this.n = n;
    this.k = k;
    this.bias = bias;
    this.act = act;
    this.lo = lo;
    this.hi = hi;
  }

  /**
   * Outputs narrower than this run here rather than in {@link Gemm}. Measured on convolutions
   * (56×56 and 28×28 images, 1×1 and 3×3 kernels): at 16–64 columns this engine is 1.3–3× faster,
   * at 128 and more {@link Gemm}'s loops are long enough for C2 to use wide vectors and it wins
   * (it has no transpose and no partial sums to move).
   */
  static final int MAX_COLUMNS = 96;

  /**
   * Whether an {@code m × n} output runs better here than in {@link Gemm}: narrow, with more rows
   * than columns (the long dimension gets the vectorised loops).
   */
  public static boolean preferred(int m, int n) {
    return n < MAX_COLUMNS && m > n;
  }

  /** Floats of scratch {@link #compute} uses, from index 0. */
  public static int scratchFloats(int n, int k) {
    return PARTIAL + (k > Gemm.KC ? n * TILE : 0);
  }

  public int m() {
    return m;
  }

  public int n() {
    return n;
  }

  public int k() {
    return k;
  }

  /** Number of row tiles, {@code ceil(m / TILE)}. */
  public int tiles() {
    return (m + TILE - 1) / TILE;
  }

  /**
   * Into how many column ranges to split each row tile so that {@code workers} have work: one when
   * there are enough row tiles, else up to one range per 8 columns. Every range gathers the
   * tile's {@code Aᵀ} again, so ranges are only made when workers would otherwise idle.
   */
  public int columnSplits(int otherTiles, int workers) {
    long tiles = (long) tiles() * Math.max(1, otherTiles);
    if (workers <= 1 || tiles >= 2L * workers || tiles == 0) {
      return 1;
    }
    long wanted = (2L * workers + tiles - 1) / tiles;
    return (int) Math.max(1, Math.min(wanted, (n + 7) / 8));
  }

  /**
   * Computes row tile {@code tile} of C, columns {@code [j0, j1)}: {@code C[i][j]} at
   * {@code c[cOff + i·ldc + j]} for the tile's rows. Uses {@code s[0, scratchFloats(n, k))}.
   */
  public void compute(float[] s, Source source, float[] a, int aOff, int lda, float[] bt, int btOff, int sN, int sK,
      float[] c, int cOff, int ldc, int tile, int j0, int j1) {
    int i0 = tile * TILE;
    int rows = Math.min(TILE, m - i0);
    int acc = MicroKernel.ACC;
    if (k == 0) {
      for (int j = j0; j < j1; j++) {
        Arrays.fill(s, acc, acc + rows, 0f);
        finish(s, rows, j, c, cOff + i0 * ldc, ldc);
      }
      return;
    }
    for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
      int kb = Math.min(Gemm.KC, k - k0);
      source.gather(s, a, aOff, lda, i0, rows, k0, kb);
      MicroKernel.padRows(s, kb);
      MicroKernel.padScalars(s, kb);
      boolean first = k0 == 0;
      boolean last = k0 + kb == k;
      for (int j = j0; j < j1; j++) {
        int x = btOff + j * sN + k0 * sK;
        for (int q = 0; q < kb; q++) {
          s[MicroKernel.XS + q] = bt[x + q * sK];
        }
        if (first) {
          Arrays.fill(s, acc, acc + rows, 0f);
        } else {
          System.arraycopy(s, PARTIAL + j * TILE, s, acc, rows);
        }
        MicroKernel.accumulate(s, s, kb, rows);
        if (last) {
          finish(s, rows, j, c, cOff + i0 * ldc, ldc);
        } else {
          System.arraycopy(s, acc, s, PARTIAL + j * TILE, rows);
        }
      }
    }
  }

  /** Bias, activation, and the scatter of column {@code j} into C. */
  private void finish(float[] s, int rows, int j, float[] c, int cOff, int ldc) {
    int acc = MicroKernel.ACC;
    if (bias != null) {
      float b = bias[j];
      for (int i = 0; i < rows; i++) {
        s[acc + i] = s[acc + i] + b;
      }
    }
    MicroKernel.activate(s, acc, rows, act, lo, hi);
    for (int i = 0; i < rows; i++) {
      c[cOff + i * ldc + j] = s[acc + i];
    }
  }
}
