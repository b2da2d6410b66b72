package dev.topiary.vector;

import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 GEMM {@code C = requant(A·B + bias)}: {@link PackedPanels}' register blocking in int32
 * lanes, B widened to int and packed at plan time.
 *
 * <p><b>Why int32 lanes.</b> The Vector API has no 16-bit multiply-add into int32 ({@code vpmaddwd},
 * VNNI's {@code vpdpwssd}/{@code vpdpbusd}): measured on AVX-512 (Zen 4), a 6×2 micro-kernel of
 * {@code IntVector} multiply and add on pre-widened weights runs 48 G multiply-adds/s against 45 for
 * the same kernel with float fused multiply-adds, while 16-bit products ({@code ShortVector.mul})
 * cost more to widen into int32 (shifts or {@code S2I} conversions per product pair) than they
 * save: 38 G/s. So the sums are int32 lanes like the reference's (and wrap alike).
 *
 * <p><b>Packing.</b> Column panels of {@link #NR} = two vectors, depth-major, zero past {@code n};
 * the last panel is one vector wide when the columns left fit one. A is the caller's int rows,
 * broadcast a value at a time; or the int8 input itself (a second copy of the micro-kernels reads
 * bytes, for a pointwise convolution with few output channels, where widening the rows first
 * would cost as much as the product). The accumulators start from the bias and stay in registers over the
 * whole depth; they are stored to the scratch ({@code MR} rows of {@code NR} ints) and the rows
 * requantized from there ({@link Int8Requant#apply}, vectors of whole channel blocks, a masked
 * byte store for the last partial one): one requantization call site, so nothing is boxed.
 *
 * <p><b>Exactness.</b> Every element is the int32 sum of {@code bias[j]} and all
 * {@code A[i][kk]·B[kk][j]}; int32 addition is associative even when it wraps, so C is the
 * reference's for any tiling and thread count.
 */
final class Int8Panels implements VectorKernels.Int8Gemm {
  private static final VectorSpecies<Integer> I = Int8Requant.I;
  private static final int L = I.length();
  static final int NR = 2 * L;
  static final int MR = 6;

  private final int n;
  private final int k;
  private final int panels;
  private final int[] packed;
  /** The bias padded to whole panels (zeros without one). */
  private final int[] bias;
  private final Int8Requant rq;

  Int8Panels(int n, int k, byte[] w, int off, int[] bias, Int8Requant rq) {
    this.n = n;
    this.k = k;
    this.rq = rq;
    this.panels = (n + NR - 1) / NR;
    int full = n / NR;
    this.packed = new int[Math.multiplyExact(k, full * NR + (n == full * NR ? 0 : width(full)))];
    for (int p = 0; p < panels; p++) {
      int j0 = p * NR;
      int pw = width(p);
      int valid = Math.min(pw, n - j0);
      int base = p * k * NR;
      for (int kk = 0; kk < k; kk++) {
        for (int jj = 0; jj < valid; jj++) {
          packed[base + kk * pw + jj] = w[off + (j0 + jj) * k + kk];
        }
      }
    }
    this.bias = new int[panels * NR];
    if (bias != null) {
      System.arraycopy(bias, 0, this.bias, 0, n);
    }
  }

  private int width(int p) {
    int left = n - p * NR;
    return left < NR && left <= L ? L : NR;
  }

  @Override
  public int panels() {
    return panels;
  }

  @Override
  public int scratchLongs(int rows) {
    return 0;
  }

  @Override
  public boolean packsRows() {
    return false;
  }

  @Override
  public void compute(int[] s, long[] ls, byte[] a, int aOff, int lda, byte[] c, int cOff, int ldc, int rows, int p0,
      int p1) {
    for (int p = p0; p < p1; p++) {
      int j0 = p * NR;
      int valid = Math.min(NR, n - j0);
      int base = p * k * NR;
      boolean two = width(p) == NR;
      int i = 0;
      while (i < rows) {
        int block = rows - i >= MR ? MR : 1;
        if (block == MR) {
          if (two) {
            bytes6x2(a, aOff + i * lda, lda, base, s, j0);
          } else {
            bytes6x1(a, aOff + i * lda, lda, base, s, j0);
          }
        } else if (two) {
          bytes1x2(a, aOff + i * lda, base, s, j0);
        } else {
          bytes1x1(a, aOff + i * lda, base, s, j0);
        }
        rq.apply(s, 0, NR, block, c, cOff + i * ldc + j0, ldc, j0, valid);
        i += block;
      }
    }
  }

  @Override
  public void compute(int[] s, long[] ls, int[] a, int aOff, int lda, byte[] c, int cOff, int ldc, int rows, int p0, int p1) {
    for (int p = p0; p < p1; p++) {
      int j0 = p * NR;
      int valid = Math.min(NR, n - j0);
      int base = p * k * NR;
      boolean two = width(p) == NR;
      int i = 0;
      while (i < rows) {
        int block = rows - i >= MR ? MR : 1;
        if (block == MR) {
          if (two) {
            rows6x2(a, aOff + i * lda, lda, base, s, j0);
          } else {
            rows6x1(a, aOff + i * lda, lda, base, s, j0);
          }
        } else if (two) {
          row1x2(a, aOff + i * lda, base, s, j0);
        } else {
          row1x1(a, aOff + i * lda, base, s, j0);
        }
        rq.apply(s, 0, NR, block, c, cOff + i * ldc + j0, ldc, j0, valid);
        i += block;
      }
    }
  }

  private void rows6x2(int[] a, int ao, int lda, int base, int[] s, int j0) {
    int[] bp = packed;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    IntVector c00 = IntVector.fromArray(I, bias, j0);
    IntVector c01 = IntVector.fromArray(I, bias, j0 + L);
    IntVector c10 = c00;
    IntVector c11 = c01;
    IntVector c20 = c00;
    IntVector c21 = c01;
    IntVector c30 = c00;
    IntVector c31 = c01;
    IntVector c40 = c00;
    IntVector c41 = c01;
    IntVector c50 = c00;
    IntVector c51 = c01;
    for (int kk = 0; kk < k; kk++) {
      int bo = base + kk * NR;
      IntVector b0 = IntVector.fromArray(I, bp, bo);
      IntVector b1 = IntVector.fromArray(I, bp, bo + L);
      IntVector x = IntVector.broadcast(I, a[ao + kk]);
      c00 = x.mul(b0).add(c00);
      c01 = x.mul(b1).add(c01);
      x = IntVector.broadcast(I, a[a1 + kk]);
      c10 = x.mul(b0).add(c10);
      c11 = x.mul(b1).add(c11);
      x = IntVector.broadcast(I, a[a2 + kk]);
      c20 = x.mul(b0).add(c20);
      c21 = x.mul(b1).add(c21);
      x = IntVector.broadcast(I, a[a3 + kk]);
      c30 = x.mul(b0).add(c30);
      c31 = x.mul(b1).add(c31);
      x = IntVector.broadcast(I, a[a4 + kk]);
      c40 = x.mul(b0).add(c40);
      c41 = x.mul(b1).add(c41);
      x = IntVector.broadcast(I, a[a5 + kk]);
      c50 = x.mul(b0).add(c50);
      c51 = x.mul(b1).add(c51);
    }
    c00.intoArray(s, 0);
    c01.intoArray(s, L);
    c10.intoArray(s, NR);
    c11.intoArray(s, NR + L);
    c20.intoArray(s, 2 * NR);
    c21.intoArray(s, 2 * NR + L);
    c30.intoArray(s, 3 * NR);
    c31.intoArray(s, 3 * NR + L);
    c40.intoArray(s, 4 * NR);
    c41.intoArray(s, 4 * NR + L);
    c50.intoArray(s, 5 * NR);
    c51.intoArray(s, 5 * NR + L);
  }

  private void row1x2(int[] a, int ao, int base, int[] s, int j0) {
    int[] bp = packed;
    IntVector c0 = IntVector.fromArray(I, bias, j0);
    IntVector c1 = IntVector.fromArray(I, bias, j0 + L);
    for (int kk = 0; kk < k; kk++) {
      int bo = base + kk * NR;
      IntVector x = IntVector.broadcast(I, a[ao + kk]);
      c0 = x.mul(IntVector.fromArray(I, bp, bo)).add(c0);
      c1 = x.mul(IntVector.fromArray(I, bp, bo + L)).add(c1);
    }
    c0.intoArray(s, 0);
    c1.intoArray(s, L);
  }

  private void rows6x1(int[] a, int ao, int lda, int base, int[] s, int j0) {
    int[] bp = packed;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    IntVector c0 = IntVector.fromArray(I, bias, j0);
    IntVector c1 = c0;
    IntVector c2 = c0;
    IntVector c3 = c0;
    IntVector c4 = c0;
    IntVector c5 = c0;
    for (int kk = 0; kk < k; kk++) {
      IntVector b0 = IntVector.fromArray(I, bp, base + kk * L);
      c0 = IntVector.broadcast(I, a[ao + kk]).mul(b0).add(c0);
      c1 = IntVector.broadcast(I, a[a1 + kk]).mul(b0).add(c1);
      c2 = IntVector.broadcast(I, a[a2 + kk]).mul(b0).add(c2);
      c3 = IntVector.broadcast(I, a[a3 + kk]).mul(b0).add(c3);
      c4 = IntVector.broadcast(I, a[a4 + kk]).mul(b0).add(c4);
      c5 = IntVector.broadcast(I, a[a5 + kk]).mul(b0).add(c5);
    }
    c0.intoArray(s, 0);
    c1.intoArray(s, NR);
    c2.intoArray(s, 2 * NR);
    c3.intoArray(s, 3 * NR);
    c4.intoArray(s, 4 * NR);
    c5.intoArray(s, 5 * NR);
  }

  private void row1x1(int[] a, int ao, int base, int[] s, int j0) {
    int[] bp = packed;
    IntVector c0 = IntVector.fromArray(I, bias, j0);
    for (int kk = 0; kk < k; kk++) {
      c0 = IntVector.broadcast(I, a[ao + kk]).mul(IntVector.fromArray(I, bp, base + kk * L)).add(c0);
    }
    c0.intoArray(s, 0);
  }

  // The same kernels reading A as int8 bytes in place (a pointwise convolution's NHWC input).

  private void bytes6x2(byte[] a, int ao, int lda, int base, int[] s, int j0) {
    int[] bp = packed;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    IntVector c00 = IntVector.fromArray(I, bias, j0);
    IntVector c01 = IntVector.fromArray(I, bias, j0 + L);
    IntVector c10 = c00;
    IntVector c11 = c01;
    IntVector c20 = c00;
    IntVector c21 = c01;
    IntVector c30 = c00;
    IntVector c31 = c01;
    IntVector c40 = c00;
    IntVector c41 = c01;
    IntVector c50 = c00;
    IntVector c51 = c01;
    for (int kk = 0; kk < k; kk++) {
      int bo = base + kk * NR;
      IntVector b0 = IntVector.fromArray(I, bp, bo);
      IntVector b1 = IntVector.fromArray(I, bp, bo + L);
      IntVector x = IntVector.broadcast(I, a[ao + kk]);
      c00 = x.mul(b0).add(c00);
      c01 = x.mul(b1).add(c01);
      x = IntVector.broadcast(I, a[a1 + kk]);
      c10 = x.mul(b0).add(c10);
      c11 = x.mul(b1).add(c11);
      x = IntVector.broadcast(I, a[a2 + kk]);
      c20 = x.mul(b0).add(c20);
      c21 = x.mul(b1).add(c21);
      x = IntVector.broadcast(I, a[a3 + kk]);
      c30 = x.mul(b0).add(c30);
      c31 = x.mul(b1).add(c31);
      x = IntVector.broadcast(I, a[a4 + kk]);
      c40 = x.mul(b0).add(c40);
      c41 = x.mul(b1).add(c41);
      x = IntVector.broadcast(I, a[a5 + kk]);
      c50 = x.mul(b0).add(c50);
      c51 = x.mul(b1).add(c51);
    }
    c00.intoArray(s, 0);
    c01.intoArray(s, L);
    c10.intoArray(s, NR);
    c11.intoArray(s, NR + L);
    c20.intoArray(s, 2 * NR);
    c21.intoArray(s, 2 * NR + L);
    c30.intoArray(s, 3 * NR);
    c31.intoArray(s, 3 * NR + L);
    c40.intoArray(s, 4 * NR);
    c41.intoArray(s, 4 * NR + L);
    c50.intoArray(s, 5 * NR);
    c51.intoArray(s, 5 * NR + L);
  }

  private void bytes1x2(byte[] a, int ao, int base, int[] s, int j0) {
    int[] bp = packed;
    IntVector c0 = IntVector.fromArray(I, bias, j0);
    IntVector c1 = IntVector.fromArray(I, bias, j0 + L);
    for (int kk = 0; kk < k; kk++) {
      int bo = base + kk * NR;
      IntVector x = IntVector.broadcast(I, a[ao + kk]);
      c0 = x.mul(IntVector.fromArray(I, bp, bo)).add(c0);
      c1 = x.mul(IntVector.fromArray(I, bp, bo + L)).add(c1);
    }
    c0.intoArray(s, 0);
    c1.intoArray(s, L);
  }

  private void bytes6x1(byte[] a, int ao, int lda, int base, int[] s, int j0) {
    int[] bp = packed;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    IntVector c0 = IntVector.fromArray(I, bias, j0);
    IntVector c1 = c0;
    IntVector c2 = c0;
    IntVector c3 = c0;
    IntVector c4 = c0;
    IntVector c5 = c0;
    for (int kk = 0; kk < k; kk++) {
      IntVector b0 = IntVector.fromArray(I, bp, base + kk * L);
      c0 = IntVector.broadcast(I, a[ao + kk]).mul(b0).add(c0);
      c1 = IntVector.broadcast(I, a[a1 + kk]).mul(b0).add(c1);
      c2 = IntVector.broadcast(I, a[a2 + kk]).mul(b0).add(c2);
      c3 = IntVector.broadcast(I, a[a3 + kk]).mul(b0).add(c3);
      c4 = IntVector.broadcast(I, a[a4 + kk]).mul(b0).add(c4);
      c5 = IntVector.broadcast(I, a[a5 + kk]).mul(b0).add(c5);
    }
    c0.intoArray(s, 0);
    c1.intoArray(s, NR);
    c2.intoArray(s, 2 * NR);
    c3.intoArray(s, 3 * NR);
    c4.intoArray(s, 4 * NR);
    c5.intoArray(s, 5 * NR);
  }

  private void bytes1x1(byte[] a, int ao, int base, int[] s, int j0) {
    int[] bp = packed;
    IntVector c0 = IntVector.fromArray(I, bias, j0);
    for (int kk = 0; kk < k; kk++) {
      c0 = IntVector.broadcast(I, a[ao + kk]).mul(IntVector.fromArray(I, bp, base + kk * L)).add(c0);
    }
    c0.intoArray(s, 0);
  }
}
