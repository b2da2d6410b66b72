package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.TransposedGemm;

/**
 * Fast kernel of FullyConnected and MatMul for narrow outputs: a batch of equally sized
 * {@link TransposedGemm}s, A rows read from tensor {@code a}, {@code B[k][j]} read in place at
 * {@code bt[btOff + j·sN + k·sK]} from a constant array or from tensor {@code b}. Work is split
 * into tiles of (batch, row tile, column range); results do not depend on the thread count.
 */
final class TransposedGemmKernel implements Kernel, Parallel.Task<Frame> {
  private final TransposedGemm gemm;
  private final int[] aOffs;
  private final int[] bOffs;
  private final int[] cOffs;
  private final int lda;
  private final float[] constantB;
  private final int sN;
  private final int sK;
  private final int ldc;
  private final int a;
  private final int b;
  private final int c;

  /**
   * @param constantB B's values when constant (then {@code b} is ignored), else null
   * @param aOffs element offset of each batch's A from the start of tensor {@code a}
   * @param bOffs element offset of each batch's B from the start of B
   * @param cOffs element offset of each batch's C from the start of tensor {@code c}
   */
  TransposedGemmKernel(BindContext ctx, TransposedGemm gemm, int[] aOffs, int[] bOffs, int[] cOffs, int lda,
      float[] constantB, int sN, int sK, int ldc, int a, int b, int c) {
    this.gemm = gemm;
    this.aOffs = aOffs;
    this.bOffs = bOffs;
    this.cOffs = cOffs;
    this.lda = lda;
    this.constantB = constantB;
    this.sN = sN;
    this.sK = sK;
    this.ldc = ldc;
    this.a = a;
    this.b = b;
    this.c = c;
    ctx.requestScratch(TransposedGemm.scratchFloats(gemm.n(), gemm.k()));
  }

  @Override
  public void run(Frame f) {
    int splits = gemm.columnSplits(cOffs.length, f.parallel().workers());
    GemmKernel.dispatch(f, cOffs.length * gemm.tiles() * splits,
        (long) cOffs.length * gemm.m() * gemm.n() * gemm.k(), this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    float[] av = f.f32(a);
    int ao = f.off(a);
    float[] bv = constantB != null ? constantB : f.f32(b);
    int bo = constantB != null ? 0 : f.off(b);
    float[] cv = f.f32(c);
    int co = f.off(c);
    float[] s = f.scratch(worker);
    int tiles = gemm.tiles();
    int splits = gemm.columnSplits(cOffs.length, f.parallel().workers());
    int n = gemm.n();
    for (int t = from; t < to; t++) {
      int split = t % splits;
      int q = t / splits / tiles;
      gemm.compute(s, TransposedGemm.ROW_MAJOR, av, ao + aOffs[q], lda, bv, bo + bOffs[q], sN, sK,
          cv, co + cOffs[q], ldc, t / splits % tiles, Parallel.chunkStart(n, split, splits),
          Parallel.chunkStart(n, split + 1, splits));
    }
  }
}
