package dev.topiary.vector;

import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * A register-blocked GEMM {@code C = act(A·B + bias)} with B packed at plan time.
 *
 * <p><b>Packing.</b> B is cut into column panels of {@link #NR} = two vectors; panel {@code p} is
 * stored depth-major, {@code k} rows of {@code NR} floats, so the micro-kernel reads it as one
 * sequential stream. When the columns left for the last panel fit one vector it is one vector wide
 * ({@code k·L} floats), so a 16-channel output does not pay for 32. Columns past {@code n} are zero.
 * A is not packed: the micro-kernel broadcasts {@code A[i][kk]} straight from the caller's rows
 * (NHWC pixels for a 1×1 convolution, the worker's im2col rows otherwise), six rows read side by
 * side, each sequentially.
 *
 * <p><b>Micro-kernel.</b> {@link #MR} = 6 rows × 2 vectors: 12 accumulators, 2 panel vectors and
 * one broadcast make 15 live vector registers, which fits AVX2's 16 (AVX-512 has 32). Per depth
 * step it does 2 vector loads, 6 broadcasts and 12 fused multiply-adds, against the C2 kernels'
 * load, multiply, add and store per product. The accumulators live in registers over the whole
 * depth (no depth blocking: a panel of even 4608 × 32 floats streams from L2), then the epilogue
 * adds the bias, applies the activation and stores, masked in a partial panel. Rows left over below
 * a multiple of six run through a one-row kernel.
 *
 * <p><b>Rounding.</b> Every element is {@code acc = 0; acc = fma(A[i][kk], B[kk][j], acc)} for kk
 * ascending, then {@code acc + bias[j]}, then the activation, whichever kernel (6 rows or 1, one
 * vector or two) computes it: results do not depend on the tiling or the thread count. Compared with
 * the reference (a rounded product, then a rounded sum) each step rounds once instead of twice.
 */
final class PackedPanels implements VectorKernels.PackedGemm {
  private static final VectorSpecies<Float> S = FloatVectorKernels.S;
  private static final int L = S.length();
  /** Panel width: two vectors. */
  static final int NR = 2 * L;
  /** Rows of the micro-kernel. */
  static final int MR = 6;

  private final int n;
  private final int k;
  private final int panels;
  /** Panel {@code p} at {@code p·k·NR}; row {@code kk} of a panel of width {@code pw} at {@code kk·pw}. */
  private final float[] packed;
  /** The bias padded with zeros to {@code panels·NR}, or null. */
  private final float[] bias;
  private final FloatVectorKernels.Epilog epilog;

  /** Packs {@code B[kk][j] = b[off + j·sN + kk·sK]}, {@code k × n}. */
  PackedPanels(int n, int k, float[] b, int off, int sN, int sK, float[] bias, FloatVectorKernels.Epilog epilog) {
    this.n = n;
    this.k = k;
    this.panels = (n + NR - 1) / NR;
    this.epilog = epilog;
    int full = n / NR;
    this.packed = new float[Math.multiplyExact(k, full * NR + (n == full * NR ? 0 : width(full)))];
    for (int p = 0; p < panels; p++) {
      int j0 = p * NR;
      int pw = width(p);
      int valid = Math.min(pw, n - j0);
      int base = p * k * NR;
      for (int kk = 0; kk < k; kk++) {
        for (int jj = 0; jj < valid; jj++) {
          packed[base + kk * pw + jj] = b[off + (j0 + jj) * sN + kk * sK];
        }
      }
    }
    if (bias == null) {
      this.bias = null;
    } else {
      this.bias = new float[panels * NR];
      System.arraycopy(bias, 0, this.bias, 0, n);
    }
  }

  /** Width of panel {@code p}: {@link #NR}, or one vector for a last panel of at most {@code L} columns. */
  private int width(int p) {
    int left = n - p * NR;
    return left < NR && left <= L ? L : NR;
  }

  @Override
  public int panels() {
    return panels;
  }

  @Override
  public void compute(float[] a, int aOff, int lda, float[] c, int cOff, int ldc, int rows, int p0, int p1) {
    for (int p = p0; p < p1; p++) {
      int j0 = p * NR;
      int valid = Math.min(NR, n - j0);
      int base = p * k * NR;
      int i = 0;
      if (width(p) == NR) {
        for (; i + MR <= rows; i += MR) {
          rows6x2(a, aOff + i * lda, lda, base, c, cOff + i * ldc + j0, ldc, j0, valid);
        }
        for (; i < rows; i++) {
          row1x2(a, aOff + i * lda, base, c, cOff + i * ldc + j0, j0, valid);
        }
      } else {
        for (; i + MR <= rows; i += MR) {
          rows6x1(a, aOff + i * lda, lda, base, c, cOff + i * ldc + j0, ldc, j0, valid);
        }
        for (; i < rows; i++) {
          row1x1(a, aOff + i * lda, base, c, cOff + i * ldc + j0, j0, valid);
        }
      }
    }
  }

  /** Six rows of a two-vector panel; {@code co} is C's row 0 at column {@code j0}. */
  private void rows6x2(float[] a, int ao, int lda, int base, float[] c, int co, int ldc, int j0, int valid) {
    float[] bp = packed;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    for (int kk = 0; kk < k; kk++) {
      int bo = base + kk * NR;
      FloatVector b0 = FloatVector.fromArray(S, bp, bo);
      FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
      FloatVector x = FloatVector.broadcast(S, a[ao + kk]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[a1 + kk]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[a2 + kk]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[a3 + kk]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[a4 + kk]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[a5 + kk]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
    }
    store2(c00, c01, c, co, j0, valid);
    store2(c10, c11, c, co + ldc, j0, valid);
    store2(c20, c21, c, co + 2 * ldc, j0, valid);
    store2(c30, c31, c, co + 3 * ldc, j0, valid);
    store2(c40, c41, c, co + 4 * ldc, j0, valid);
    store2(c50, c51, c, co + 5 * ldc, j0, valid);
  }

  /** One row of a two-vector panel. */
  private void row1x2(float[] a, int ao, int base, float[] c, int co, int j0, int valid) {
    float[] bp = packed;
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    for (int kk = 0; kk < k; kk++) {
      int bo = base + kk * NR;
      FloatVector x = FloatVector.broadcast(S, a[ao + kk]);
      c0 = x.fma(FloatVector.fromArray(S, bp, bo), c0);
      c1 = x.fma(FloatVector.fromArray(S, bp, bo + L), c1);
    }
    store2(c0, c1, c, co, j0, valid);
  }

  /** Six rows of a one-vector panel. */
  private void rows6x1(float[] a, int ao, int lda, int base, float[] c, int co, int ldc, int j0, int valid) {
    float[] bp = packed;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    FloatVector c2 = c0;
    FloatVector c3 = c0;
    FloatVector c4 = c0;
    FloatVector c5 = c0;
    for (int kk = 0; kk < k; kk++) {
      FloatVector b0 = FloatVector.fromArray(S, bp, base + kk * L);
      c0 = FloatVector.broadcast(S, a[ao + kk]).fma(b0, c0);
      c1 = FloatVector.broadcast(S, a[a1 + kk]).fma(b0, c1);
      c2 = FloatVector.broadcast(S, a[a2 + kk]).fma(b0, c2);
      c3 = FloatVector.broadcast(S, a[a3 + kk]).fma(b0, c3);
      c4 = FloatVector.broadcast(S, a[a4 + kk]).fma(b0, c4);
      c5 = FloatVector.broadcast(S, a[a5 + kk]).fma(b0, c5);
    }
    store1(c0, c, co, j0, valid);
    store1(c1, c, co + ldc, j0, valid);
    store1(c2, c, co + 2 * ldc, j0, valid);
    store1(c3, c, co + 3 * ldc, j0, valid);
    store1(c4, c, co + 4 * ldc, j0, valid);
    store1(c5, c, co + 5 * ldc, j0, valid);
  }

  /** One row of a one-vector panel. */
  private void row1x1(float[] a, int ao, int base, float[] c, int co, int j0, int valid) {
    float[] bp = packed;
    FloatVector c0 = FloatVector.zero(S);
    for (int kk = 0; kk < k; kk++) {
      c0 = FloatVector.broadcast(S, a[ao + kk]).fma(FloatVector.fromArray(S, bp, base + kk * L), c0);
    }
    store1(c0, c, co, j0, valid);
  }

  /** Epilogue and store of the two vectors of one row ({@code valid} columns of the panel are real). */
  private void store2(FloatVector v0, FloatVector v1, float[] c, int co, int j0, int valid) {
    store(v0, c, co, j0, 0, valid);
    store(v1, c, co + L, j0 + L, L, valid);
  }

  private void store1(FloatVector v0, float[] c, int co, int j0, int valid) {
    store(v0, c, co, j0, 0, valid);
  }

  /**
   * Bias, activation and the store of the vector at column {@code at} of a panel starting at
   * column {@code j0}; a vector reaching past the {@code valid} columns is stored under a mask.
   */
  private void store(FloatVector v, float[] c, int co, int j, int at, int valid) {
    if (at >= valid) {
      return;
    }
    if (bias != null) {
      v = v.add(FloatVector.fromArray(S, bias, j));
    }
    v = epilog.apply(v);
    if (at + L <= valid) {
      v.intoArray(c, co);
    } else {
      VectorMask<Float> m = S.indexInRange(at, valid);
      v.intoArray(c, co, m);
    }
  }
}
