package dev.topiary.internal.cpu;

import java.util.Arrays;

/**
 * Single-precision matrix multiply with a fused epilogue, the engine behind the fast Conv2D,
 * FullyConnected and MatMul kernels when the output is wide: {@code C[i][j] = act(Σ_k A[i][k]·B[k][j]
 * + bias[j])}, computed for a caller-chosen range of rows and one column panel of {@link #NW}
 * at a time, so callers split work over (row range × panel) tiles. For narrow outputs with many
 * rows ({@link TransposedGemm#preferred}) {@link TransposedGemm} vectorises along the rows instead.
 *
 * <p>A is read in place (row {@code i} at {@code a[aOff + i·lda]}, columns contiguous), B is either
 * packed once at load time ({@link Packed}) or copied block by block from a row-major matrix at
 * run time, C is written
 * in place (row {@code i} at {@code c[cOff + i·ldc]}). Nothing is allocated: all working memory is
 * the first {@link #SCRATCH} floats of the caller's scratch array.
 *
 * <p>Every element of C is computed by the same sequence of float operations wherever its tile falls
 * and however many threads run: {@code acc = 0; acc += A[i][k]·B[k][j]} for k ascending (no fused
 * multiply-add), then {@code acc + bias[j]}, then the activation. That is the order the reference
 * kernels use, so results equal theirs up to the sign of zero. How the inner loops are shaped for
 * C2's auto-vectoriser is explained in {@link MicroKernel}.
 */
public final class Gemm {
  /** Panel width: columns of B (and C) one tile covers. */
  public static final int NW = MicroKernel.W;
  /** Rows of B (depth) per block. */
  public static final int KC = MicroKernel.KC;
  /** Floats of scratch the engine uses, from index 0; callers may use the scratch beyond. */
  public static final int SCRATCH = MicroKernel.END;

  /** Activation applied in the epilogue: none, a clamp to {@code [lo, hi]}, or hard-swish. */
  public enum Act { NONE, CLAMP, HARD_SWISH }

  private final int m;
  private final int n;
  private final int k;
  private final Packed packed;
  private final float[] bias;
  private final Act act;
  private final float lo;
  private final float hi;

  /**
   * A multiply of {@code m × k} by {@code k × n}.
   *
   * @param packed B packed at load time, or null when B is passed to {@link #compute} at run time
   * @param bias {@code n} values, or null
   * @param act the activation; for {@link Act#CLAMP} the bounds {@code lo ≤ hi} (±∞ allowed)
   */
  public Gemm(int m, int n, int k, Packed packed, float[] bias, Act act, float lo, float hi) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("negative size " + m + "x" + n + "x" + k);
    }
    if (packed != null && (packed.k != k || packed.n != n)) {
      throw new IllegalArgumentException("packed B is " + packed.k + "x" + packed.n + ", expected " + k + "x" + n);
    }
    if (bias != null && bias.length != n) {
      throw new IllegalArgumentException("bias has " + bias.length + " values, expected " + n);
    }
    this.m = m;
    this.n = n;
    this.k = k;
    this.packed = packed;
    this.bias = bias;
    this.act = act;
    this.lo = lo;
    this.hi = hi;
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

  /** Number of column panels, {@code ceil(n / NW)}. */
  public int panels() {
    return (n + NW - 1) / NW;
  }

  /**
   * Computes {@code rows} rows of column panel {@code p}: the first row of A at {@code a[aOff]},
   * the next at {@code aOff + lda}, ...; likewise C from {@code c[cOff]} (column 0) with stride
   * {@code ldc}. Uses {@code s[0, SCRATCH)}.
   *
   * @param b B when not packed: row {@code k} at {@code b[bOff + k·ldb]}; ignored when packed
   */
  public void compute(float[] s, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, int rows, int p) {
    int j0 = p * NW;
    int w = Math.min(NW, n - j0);
    if (bias != null) {
      System.arraycopy(bias, j0, s, MicroKernel.BIAS, w);
    }
    if (k == 0) {
      for (int i = 0; i < rows; i++) {
        Arrays.fill(s, MicroKernel.ACC, MicroKernel.ACC + w, 0f);
        epilogue(s, w);
        System.arraycopy(s, MicroKernel.ACC, c, cOff + i * ldc + j0, w);
      }
      return;
    }
    for (int k0 = 0; k0 < k; k0 += KC) {
      int kb = Math.min(KC, k - k0);
      float[] blk = block(s, b, bOff, ldb, p, j0, w, k0, kb, rows);
      if (kb < KC) {
        MicroKernel.padScalars(s, kb);
      }
      boolean first = k0 == 0;
      boolean last = k0 + kb == k;
      for (int i = 0; i < rows; i++) {
        int ci = cOff + i * ldc + j0;
        if (first) {
          Arrays.fill(s, MicroKernel.ACC, MicroKernel.ACC + w, 0f);
        } else {
          System.arraycopy(c, ci, s, MicroKernel.ACC, w);
        }
        System.arraycopy(a, aOff + i * lda + k0, s, MicroKernel.XS, kb);
        MicroKernel.accumulate(s, blk, kb, w);
        if (last) {
          epilogue(s, w);
        }
        System.arraycopy(s, MicroKernel.ACC, c, ci, w);
      }
    }
  }

  /**
   * The block of rows {@code [k0, k0 + kb)} × columns {@code [j0, j0 + w)} of B, row stride
   * {@code NW}, for a tile of {@code rows} rows: a full-width packed panel's own block array, read
   * in place when the tile has few rows, else copied into the scratch (measured: a tile of 8 or
   * more rows runs faster from the scratch copy, one row twice as fast in place); other blocks are
   * copied into the scratch with their rows zeroed up to the next multiple of 4.
   */
  private float[] block(float[] s, float[] b, int bOff, int ldb, int p, int j0, int w, int k0, int kb, int rows) {
    if (packed != null && w == NW) {
      float[] own = packed.blocks[p * packed.depthBlocks + k0 / KC];
      if (rows < 8) {
        return own;
      }
      System.arraycopy(own, 0, s, 0, KC * NW);
      return s;
    }
    if (packed != null) {
      float[] src = packed.tail;
      int at = k0 * w;
      for (int r = 0; r < kb; r++) {
        System.arraycopy(src, at + r * w, s, r * NW, w);
      }
    } else {
      for (int r = 0; r < kb; r++) {
        System.arraycopy(b, bOff + (k0 + r) * ldb + j0, s, r * NW, w);
      }
    }
    MicroKernel.padRows(s, kb);
    return s;
  }

  private void epilogue(float[] s, int w) {
    if (bias != null) {
      for (int j = 0; j < w; j++) {
        s[MicroKernel.ACC + j] = s[MicroKernel.ACC + j] + s[MicroKernel.BIAS + j];
      }
    }
    MicroKernel.activate(s, MicroKernel.ACC, w, act, lo, hi);
  }

  /** Applies an activation to {@code s[off, off + w)} in place. */
  public static void applyActivation(float[] s, int off, int w, Act act, float lo, float hi) {
    MicroKernel.activate(s, off, w, act, lo, hi);
  }

  /**
   * B packed at load time, in column panels of {@link #NW}. Each full-width panel is cut into
   * depth blocks of {@link #KC} rows, each block an array of its own ({@code KC × NW} floats, row
   * {@code r} at {@code r·NW}, rows beyond the depth zero) that the micro-kernel reads in place:
   * no copy per tile, which matters most for single-row products (a classifier head). A last,
   * narrower panel of width {@code w} is stored depth-major with stride {@code w} and copied into
   * scratch block by block (padding it to full width would waste memory on narrow layers).
   */
  public static final class Packed {
    final int k;
    final int n;
    final int depthBlocks;
    final float[][] blocks;
    final float[] tail;

    private Packed(int k, int n) {
      this.k = k;
      this.n = n;
      this.depthBlocks = (k + KC - 1) / KC;
      this.blocks = new float[Math.multiplyExact(n / NW, depthBlocks)][];
      for (int i = 0; i < blocks.length; i++) {
        blocks[i] = new float[KC * NW];
      }
      this.tail = n % NW == 0 ? null : new float[Math.multiplyExact(k, n % NW)];
    }

    /** Packs B given row-major: {@code B[kk][j] = b[off + kk·ldb + j]}. */
    public static Packed ofRowMajor(float[] b, int off, int ldb, int k, int n) {
      Packed p = new Packed(k, n);
      int full = n / NW;
      for (int kk = 0; kk < k; kk++) {
        int row = off + kk * ldb;
        for (int q = 0; q < full; q++) {
          System.arraycopy(b, row + q * NW, p.blocks[q * p.depthBlocks + kk / KC], kk % KC * NW, NW);
        }
        if (p.tail != null) {
          int w = n - full * NW;
          System.arraycopy(b, row + full * NW, p.tail, kk * w, w);
        }
      }
      return p;
    }

    /**
     * Packs B given transposed, as FullyConnected and Conv2D store weights: {@code B[kk][j] =
     * bt[off + j·ldbt + kk]}.
     */
    public static Packed ofTransposed(float[] bt, int off, int ldbt, int k, int n) {
      Packed p = new Packed(k, n);
      int full = n / NW;
      // Block by block: each column j reads KC consecutive floats (one or two cache lines) and
      // writes them down one column of the KC × NW block, which stays in L1 (16 KiB). Column-wise
      // over the whole depth the writes strided by NW missed the cache at every element.
      for (int q = 0; q < full; q++) {
        for (int kb = 0; kb < p.depthBlocks; kb++) {
          float[] dst = p.blocks[q * p.depthBlocks + kb];
          int k0 = kb * KC;
          int rows = Math.min(KC, k - k0);
          for (int jj = 0; jj < NW; jj++) {
            int src = off + (q * NW + jj) * ldbt + k0;
            for (int r = 0; r < rows; r++) {
              dst[r * NW + jj] = bt[src + r];
            }
          }
        }
      }
      if (p.tail != null) {
        int w = n - full * NW;
        for (int kb = 0; kb < k; kb += KC) {
          int rows = Math.min(KC, k - kb);
          for (int jj = 0; jj < w; jj++) {
            int src = off + (full * NW + jj) * ldbt + kb;
            for (int r = 0; r < rows; r++) {
              p.tail[(kb + r) * w + jj] = bt[src + r];
            }
          }
        }
      }
      return p;
    }

    public int k() {
      return k;
    }

    public int n() {
      return n;
    }
  }

  /**
   * Rows per tile for an {@code m}-row multiply split into {@code otherTiles} tiles along other
   * dimensions (panels, batches, groups): aims at about four tiles per worker so static chunks
   * balance, never more than {@code maxRows}, and at least 8 rows while there is work to share
   * (each tile copies its B blocks once, amortised over its rows).
   */
  public static int rowsPerTile(int m, int otherTiles, int workers, int maxRows) {
    if (m <= 0) {
      return 1;
    }
    long wanted = 4L * workers;
    long rowBlocks = Math.max(1, (wanted + otherTiles - 1) / Math.max(1, otherTiles));
    int rows = (int) Math.max(1, (m + rowBlocks - 1) / rowBlocks);
    rows = Math.max(rows, Math.min(m, 8));
    return Math.max(1, Math.min(rows, maxRows));
  }
}
