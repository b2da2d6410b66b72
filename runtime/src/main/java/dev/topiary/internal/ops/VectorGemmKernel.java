package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * FullyConnected and MatMul with a constant B on the {@link VectorKernels} GEMM: a batch of equally
 * sized GEMMs, A rows read in place from tensor {@code a}, B packed at load time by the vector
 * module, C written to tensor {@code c}. Work is split into tiles of (batch, row range, panel
 * range); each output value is computed the same way for any split, so results do not depend on
 * the thread count.
 */
final class VectorGemmKernel implements Kernel, Parallel.Task<Frame> {
  /** Largest row tile: its A rows (up to 60·K floats) stay in L2 while every panel passes over them. */
  private static final int MAX_ROWS = 60;

  private final VectorKernels.PackedGemm[] gemms;
  private final int[] aOffs;
  private final int[] cOffs;
  private final int m;
  private final int n;
  private final int k;
  private final int block;
  private final int lda;
  private final int ldc;
  private final int a;
  private final int c;

  /**
   * @param gemms the GEMM of each batch (entries may repeat), all {@code m × n × k}
   * @param aOffs element offset of each batch's A from the start of tensor {@code a}
   * @param cOffs element offset of each batch's C from the start of tensor {@code c}
   */
  VectorGemmKernel(BindContext ctx, VectorKernels vk, VectorKernels.PackedGemm[] gemms, int[] aOffs, int[] cOffs,
      int m, int n, int k, int lda, int ldc, int a, int c) {
    ctx.requestScratch(vk.gemmScratchFloats());
    this.gemms = gemms;
    this.aOffs = aOffs;
    this.cOffs = cOffs;
    this.m = m;
    this.n = n;
    this.k = k;
    this.block = vk.gemmRows();
    this.lda = lda;
    this.ldc = ldc;
    this.a = a;
    this.c = c;
  }

  /** One GEMM (no batches) with B given as {@code B[kk][j] = b[j·sN + kk·sK]}. */
  static VectorGemmKernel single(BindContext ctx, VectorKernels vk, int m, int n, int k, float[] b, int sN, int sK, float[] bias,
      Activation act, int lda, int ldc, int a, int c) {
    VectorKernels.PackedGemm g = vk.gemm(n, k, b, 0, sN, sK, bias, Epilogue.kind(act), act.min(), act.max());
    return new VectorGemmKernel(ctx, vk, new VectorKernels.PackedGemm[] {g}, new int[1], new int[1], m, n, k, lda, ldc,
        a, c);
  }

  /**
   * Rows per tile: {@link Gemm#rowsPerTile}'s balance, rounded down to whole micro-kernel blocks
   * of {@code block} rows when it spans more than one.
   */
  static int rowsPerTile(int m, int otherTiles, int workers, int maxRows, int block) {
    int rows = Gemm.rowsPerTile(m, otherTiles, workers, maxRows);
    return rows > block ? rows / block * block : rows;
  }

  /**
   * How many row tiles of {@code rows} an {@code m}-row multiply makes: the last tile takes a
   * remainder smaller than a micro-kernel block ({@code block} rows) rather than becoming a tile of
   * its own, so it is at most {@code rows + block − 1} rows ({@link #tileRows}). A tile of one row
   * ran its whole depth on a one-row kernel (two dependent chains per step); 49 rows in tiles of 12
   * made tiles of 12, 12, 12 and 1, now 12, 12, 12 and 13, which the micro-kernels cut into a six
   * and a seven.
   */
  static int rowTiles(int m, int rows, int block) {
    int tiles = m / rows;
    return tiles == 0 || m % rows >= block ? tiles + 1 : tiles;
  }

  /** Rows of tile {@code rt} of {@link #rowTiles}. */
  static int tileRows(int m, int rows, int rowTiles, int rt) {
    return rt == rowTiles - 1 ? m - rt * rows : rows;
  }

  /**
   * Into how many panel ranges each row tile is split: one when there are enough row tiles for the
   * workers, else up to one per panel (a matrix × vector product splits only over columns).
   */
  static int panelSplits(long rowTiles, int panels, int workers) {
    if (workers <= 1 || rowTiles >= 2L * workers || rowTiles == 0) {
      return 1;
    }
    long wanted = (2L * workers + rowTiles - 1) / rowTiles;
    return (int) Math.max(1, Math.min(wanted, panels));
  }

  private int rows(Frame f) {
    return rowsPerTile(m, gemms.length, f.parallel().workers(), MAX_ROWS, block);
  }

  @Override
  public void run(Frame f) {
    if (gemms.length == 0 || m == 0) {
      return;
    }
    int rows = rows(f);
    int rowTiles = rowTiles(m, rows, block);
    int splits = panelSplits((long) gemms.length * rowTiles, gemms[0].panels(), f.parallel().workers());
    GemmKernel.dispatch(f, gemms.length * rowTiles * splits, GemmKernel.gemmWork(gemms.length, m, n, k), this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    float[] av = f.f32(a);
    int ao = f.off(a);
    float[] cv = f.f32(c);
    int co = f.off(c);
    float[] s = f.scratch(worker);
    int rows = rows(f);
    int rowTiles = rowTiles(m, rows, block);
    int panels = gemms[0].panels();
    int splits = panelSplits((long) gemms.length * rowTiles, panels, f.parallel().workers());
    for (int t = from; t < to; t++) {
      int split = t % splits;
      int q = t / splits / rowTiles;
      int rt = t / splits % rowTiles;
      int i0 = rt * rows;
      gemms[q].compute(s, av, ao + aOffs[q] + i0 * lda, lda, cv, co + cOffs[q] + i0 * ldc, ldc,
          tileRows(m, rows, rowTiles, rt),
          Parallel.chunkStart(panels, split, splits), Parallel.chunkStart(panels, split + 1, splits));
    }
  }
}
