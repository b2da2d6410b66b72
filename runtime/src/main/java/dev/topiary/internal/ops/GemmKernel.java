package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.Parallel;

/**
 * Fast kernel of FullyConnected and MatMul: a batch of equally sized GEMMs whose A rows are read in
 * place from tensor {@code a}, B either packed at load time or read from tensor {@code b}, C written
 * to tensor {@code c}. Work is split into tiles of (batch, row range, column panel) across the
 * session's workers; each output value is computed the same way for any split, so results do not
 * depend on the thread count.
 */
final class GemmKernel implements Kernel, Parallel.Task<Frame> {
  private static final int MAX_ROWS = 64;

  /**
   * What one depthwise multiply-add costs in GEMM multiply-adds, for {@link #dispatch}'s work: it
   * loads its input once per tap and vectorises across channels only (MobileNetV2, one thread:
   * depthwise layers 7–10 G multiply-adds/s against 40–45 for the pointwise GEMMs). Counted as
   * plain multiply-adds, no depthwise layer of MobileNetV2 reached the parallel threshold and two
   * threads spent as long on them as one.
   */
  static final int DEPTHWISE_COST = 6;
  /**
   * What one multiply-add of a GEMM with a single row of A costs: every weight is read for one
   * multiply-add, from memory (MobileNetV2's classifier, 1 × 1280 × 1000: 4 G multiply-adds/s) or
   * from L2 (the Fashion-MNIST MLP's 784 × 64: 26 G/s). Four keeps that MLP's 2 µs layer on the
   * calling thread, where a dispatch would cost half of it, and still splits the classifiers.
   */
  static final int MATRIX_VECTOR_COST = 4;

  /** The work of {@code batches} GEMMs of {@code m × n × k} for {@link #dispatch}. */
  static long gemmWork(int batches, int m, int n, int k) {
    long macs = (long) batches * m * n * k;
    return m == 1 ? macs * MATRIX_VECTOR_COST : macs;
  }

  /** The work of a depthwise convolution for {@link #dispatch}. */
  static long depthwiseWork(ConvParams p) {
    return (long) p.rows() * p.o * p.kh * p.kw * DEPTHWISE_COST;
  }

  /**
   * Runs {@code tiles} tiles of {@code task} across the frame's workers, or all on the calling
   * thread (as worker 0) when the work ({@code work} multiply-adds) is below
   * {@link Parallel#minParallelWork()}. Either way each tile is computed the same way.
   */
  static void dispatch(Frame f, int tiles, long work, Parallel.Task<Frame> task) {
    if (tiles <= 0) {
      return;
    }
    Parallel p = f.parallel();
    if (p.workers() == 1 || work < p.minParallelWork()) {
      task.run(f, 0, tiles, 0);
    } else {
      p.forRange(tiles, f, task);
    }
  }

  private final Gemm[] gemms;
  private final int[] aOffs;
  private final int[] bOffs;
  private final int[] cOffs;
  private final int lda;
  private final int ldb;
  private final int ldc;
  private final int a;
  private final int b;
  private final int c;

  /**
   * @param gemms the GEMM of each batch (entries may repeat); all of one size
   * @param aOffs element offset of each batch's A from the start of tensor {@code a}
   * @param bOffs element offset of each batch's B from the start of tensor {@code b}
   * @param cOffs element offset of each batch's C from the start of tensor {@code c}
   * @param b tensor id of B, or -1 when every GEMM has packed B
   */
  GemmKernel(BindContext ctx, Gemm[] gemms, int[] aOffs, int[] bOffs, int[] cOffs, int lda, int ldb, int ldc,
      int a, int b, int c) {
    this.gemms = gemms;
    this.aOffs = aOffs;
    this.bOffs = bOffs;
    this.cOffs = cOffs;
    this.lda = lda;
    this.ldb = ldb;
    this.ldc = ldc;
    this.a = a;
    this.b = b;
    this.c = c;
    ctx.requestScratch(Gemm.SCRATCH);
  }

  private int rowsPerTile(Frame f) {
    Gemm g = gemms[0];
    return Gemm.rowsPerTile(g.m(), gemms.length * g.panels(), f.parallel().workers(), MAX_ROWS);
  }

  @Override
  public void run(Frame f) {
    if (gemms.length == 0) {
      return;
    }
    Gemm g = gemms[0];
    int rows = rowsPerTile(f);
    int rowTiles = (g.m() + rows - 1) / rows;
    dispatch(f, gemms.length * rowTiles * g.panels(), gemmWork(gemms.length, g.m(), g.n(), g.k()), this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    float[] av = f.f32(a);
    int ao = f.off(a);
    float[] bv = b < 0 ? null : f.f32(b);
    int bo = b < 0 ? 0 : f.off(b);
    float[] cv = f.f32(c);
    int co = f.off(c);
    float[] s = f.scratch(worker);
    int m = gemms[0].m();
    int panels = gemms[0].panels();
    int rows = rowsPerTile(f);
    int rowTiles = (m + rows - 1) / rows;
    for (int t = from; t < to; t++) {
      int q = t / (rowTiles * panels);
      int i0 = t % (rowTiles * panels) / panels * rows;
      int panel = t % panels;
      gemms[q].compute(s, av, ao + aOffs[q] + i0 * lda, lda, bv, bo + bOffs[q], ldb,
          cv, co + cOffs[q] + i0 * ldc, ldc, Math.min(rows, m - i0), panel);
    }
  }
}
