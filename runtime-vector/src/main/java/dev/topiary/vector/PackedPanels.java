package dev.topiary.vector;

import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
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
 * one broadcast make 15 live vector registers, which fits AVX2's 16. Per depth step it does 2
 * vector loads, 6 broadcasts and 12 fused multiply-adds, against the C2 kernels' load, multiply,
 * add and store per product. With AVX-512's 32 registers two whole panels run together, 6 rows × 4
 * vectors ({@link #rows6x4}: 24 accumulators, six broadcasts per 24 multiply-adds), except where a
 * residual is added in the kernel. The accumulators live in registers over the whole
 * depth (no depth blocking: a panel of even 4608 × 32 floats streams from L2) and are stored
 * whole (a partial panel's rows into the caller's scratch, then copied). Bias and clamp (RELU,
 * RELU6, CLIP) are applied in registers before the store; hard-swish in a second pass over the
 * rows, still in L1. A tile whose rows are not a multiple of six ends in blocks of seven (AVX-512
 * only) and four rather than of one ({@link #block}); a one-row kernel is left for tiles too small
 * for those ends.
 *
 * <p><b>Rounding.</b> Every element is {@code acc = 0; acc = fma(A[i][kk], B[kk][j], acc)} for kk
 * ascending, then {@code acc + bias[j]}, then the activation, whichever kernel (7, 6, 4 or 1 rows;
 * one, two or four vectors) computes it: results do not depend on the tiling or the thread count.
 * Compared with the reference (a rounded product, then a rounded sum) each step rounds once instead
 * of twice.
 */
final class PackedPanels implements VectorKernels.PackedGemm {
  private static final VectorSpecies<Float> S = FloatVectorKernels.S;
  private static final int L = S.length();
  /** Panel width: two vectors. */
  static final int NR = 2 * L;
  /** Rows of the micro-kernel. */
  static final int MR = 6;
  /**
   * Whether the seven-row kernels run ({@link #rows7x2}): with 32 vector registers (AVX-512), not
   * with AVX2's 16, where 17 live vectors would spill.
   */
  static final boolean SEVEN = L >= 16;
  /** The most rows one kernel call computes: seven or {@link #MR}. */
  static final int MAX_BLOCK = SEVEN ? 7 : MR;
  /**
   * Whether six-row blocks of two adjacent whole panels run as one {@link #rows6x4} call: with 32
   * vector registers (AVX-512), not with AVX2's 16.
   */
  static final boolean QUAD = L >= 16;

  private final int n;
  private final int k;
  private final int panels;
  /**
   * Panel {@code p} at {@code po + p·k·NR}; row {@code kk} of a panel of width {@code pw} at
   * {@code kk·pw} from there.
   */
  private final float[] packed;
  /** Where panel 0 starts in {@link #packed}: a cache line ({@link AlignedFloats}). */
  private final int po;
  /** The bias padded with zeros to {@code panels·NR}, or null. */
  private final float[] bias;
  /** Where {@link #bias} starts (a cache line, {@link AlignedFloats}). */
  private final int bo;
  /**
   * Lanes of the last, partial vector of the last panel (only that panel can be partial), or null.
   * Made once: a mask made per row would be boxed wherever C2 does not inline.
   */
  private final VectorMask<Float> tail;
  /**
   * Bias, residual and clamp are applied in registers by the kernels (every activation but
   * hard-swish); otherwise {@link #finish} does the epilogue in a second pass. {@code lo, hi} are
   * the clamp bounds (±∞ without one).
   */
  private final boolean fused;
  private final float lo;
  private final float hi;
  /** The compare bounds for {@code lo} and {@code hi} ({@link FloatVectorKernels#lowerCmp}). */
  private final float loCmp;
  private final float hiCmp;
  /**
   * Which steps of the fused epilogue do anything: a bias, a lower and an upper clamp bound (RELU
   * has no upper one). Each is skipped as a group, not done with a bound of ±∞ (fewer operations;
   * on the CNN's pointwise layers the difference measured below the noise, docs/BENCHMARKS.md).
   */
  private final boolean hasBias;
  private final boolean hasLo;
  private final boolean hasHi;
  /** Whether a residual is added before the activation ({@code act(A·B + bias + R)}) or after it. */
  private final boolean residualFirst;

  /**
   * Packs {@code B[kk][j] = b[off + j·sN + kk·sK]}, {@code k × n}. A residual handed to
   * {@link #compute} is added before the activation when {@code residualFirst}, after it otherwise.
   */
  PackedPanels(int n, int k, float[] b, int off, int sN, int sK, float[] bias, FloatVectorKernels.Epilog epilog,
      boolean residualFirst) {
    this.n = n;
    this.residualFirst = residualFirst;
    this.k = k;
    this.panels = (n + NR - 1) / NR;
    int full = n / NR;
    this.tail = n % L == 0 ? null : S.indexInRange(0, n % L);
    AlignedFloats.Slice slice = AlignedFloats.allocate(
        Math.multiplyExact(k, full * NR + (n == full * NR ? 0 : width(full))));
    this.packed = slice.array;
    this.po = slice.offset;
    for (int p = 0; p < panels; p++) {
      int j0 = p * NR;
      int pw = width(p);
      int valid = Math.min(pw, n - j0);
      int base = po + p * k * NR;
      for (int kk = 0; kk < k; kk++) {
        for (int jj = 0; jj < valid; jj++) {
          packed[base + kk * pw + jj] = b[off + (j0 + jj) * sN + kk * sK];
        }
      }
    }
    if (bias == null) {
      this.bias = null;
      this.bo = 0;
    } else {
      AlignedFloats.Slice biasSlice = AlignedFloats.allocate(panels * NR);
      this.bias = biasSlice.array;
      this.bo = biasSlice.offset;
      System.arraycopy(bias, 0, this.bias, bo, n);
    }
    this.fused = epilog.act != Gemm.Act.HARD_SWISH;
    this.lo = epilog.clampLo;
    this.hi = epilog.clampHi;
    this.loCmp = epilog.clampLoCmp;
    this.hiCmp = epilog.clampHiCmp;
    this.hasBias = bias != null;
    this.hasLo = lo != Float.NEGATIVE_INFINITY;
    this.hasHi = hi != Float.POSITIVE_INFINITY;
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
  public void compute(float[] s, float[] a, int aOff, int lda, float[] c, int cOff, int ldc, int rows, int p0,
      int p1, float[] r, int rOff) {
    for (int p = p0; p < p1; p++) {
      // Two whole two-vector panels run together where a block has six rows (rows6x4), unless a
      // residual is added in the kernel: with its 48 residual loads the kernel was too large for C1
      // (out of virtual registers) and never reached C2.
      boolean pair = QUAD && p + 1 < p1 && (p + 2) * NR <= n && (r == null || !fused);
      int i = 0;
      while (i < rows) {
        int block = block(rows - i);
        if (pair && block == MR) {
          int j0 = p * NR;
          int co = cOff + i * ldc + j0;
          int ro = rOff + i * ldc + j0;
          rows6x4(a, aOff + i * lda, lda, po + p * k * NR, c, co, ldc, j0);
          if (!fused) {
            for (int row = 0; row < block; row++) {
              finish(c, co + row * ldc, j0, 2 * NR, r, ro + row * ldc);
            }
          }
        } else {
          tile(s, a, aOff, lda, c, cOff, ldc, p, i, block, r, rOff);
          if (pair) {
            tile(s, a, aOff, lda, c, cOff, ldc, p + 1, i, block, r, rOff);
          }
        }
        i += block;
      }
      if (pair) {
        p++;
      }
    }
  }

  /** Rows {@code [i, i + block)} of panel {@code p}, by the kernel for {@code block} rows and the panel's width. */
  private void tile(float[] s, float[] a, int aOff, int lda, float[] c, int cOff, int ldc, int p, int i, int block,
      float[] r, int rOff) {
    int j0 = p * NR;
    int valid = Math.min(NR, n - j0);
    int base = po + p * k * NR;
    boolean two = width(p) == NR;
    boolean partial = valid < (two ? NR : L);
    int co = cOff + i * ldc + j0;
    int ro = rOff + i * ldc + j0;
    // A partial panel's rows go through the scratch (row stride NR), so that the kernels only
    // ever store whole vectors; then its valid columns are copied out. Its residual rows are
    // copied in, behind them, for the same reason: a whole vector read past the last valid
    // column could run off the end of the residual's array.
    float[] dst = partial ? s : c;
    int dOff = partial ? 0 : co;
    int dStride = partial ? NR : ldc;
    float[] res = fused ? r : null;
    int resOff = ro;
    int resStride = ldc;
    if (res != null && partial) {
      for (int row = 0; row < block; row++) {
        System.arraycopy(r, ro + row * ldc, s, (MAX_BLOCK + row) * NR, valid);
      }
      res = s;
      resOff = MAX_BLOCK * NR;
      resStride = NR;
    }
    if (block == 7) {
      if (two) {
        rows7x2(a, aOff + i * lda, lda, base, dst, dOff, dStride, j0, res, resOff, resStride);
      } else {
        rows7x1(a, aOff + i * lda, lda, base, dst, dOff, dStride, j0, res, resOff, resStride);
      }
    } else if (block == MR) {
      if (two) {
        rows6x2(a, aOff + i * lda, lda, base, dst, dOff, dStride, j0, res, resOff, resStride);
      } else {
        rows6x1(a, aOff + i * lda, lda, base, dst, dOff, dStride, j0, res, resOff, resStride);
      }
    } else if (block == 4) {
      if (two) {
        rows4x2(a, aOff + i * lda, lda, base, dst, dOff, dStride, j0, res, resOff, resStride);
      } else {
        rows4x1(a, aOff + i * lda, lda, base, dst, dOff, dStride, j0, res, resOff, resStride);
      }
    } else if (two) {
      row1x2(a, aOff + i * lda, base, dst, dOff, j0, res, resOff);
    } else {
      row1x1(a, aOff + i * lda, base, dst, dOff, j0, res, resOff);
    }
    for (int row = 0; row < block; row++) {
      if (partial) {
        System.arraycopy(s, row * NR, c, co + row * ldc, valid);
      }
      if (!fused) {
        finish(c, co + row * ldc, j0, valid, r, ro + row * ldc);
      }
    }
  }

  /**
   * Rows of the next kernel call, {@code left} rows of the tile being left: six, except at the end
   * of a tile whose row count is not a multiple of six, which ends in blocks of seven and four
   * rather than one-row blocks (two dependent chains per depth step, a quarter of the speed):
   * {@code 6q + 1} rows end in 7, {@code + 2} in 4, 4, {@code + 3} in 7, 4, 4, {@code + 4} in 4 and
   * {@code + 5} in 7, 4. Without {@link #SEVEN}, or too few rows for these ends, sixes, then a four,
   * then ones.
   */
  static int block(int left) {
    int end = SEVEN ? END[left % MR] : 0;
    if (end != 0 && left > end) {
      return MR;
    }
    if (end != 0 && left == end) {
      return end == 4 || end == 8 ? 4 : 7;
    }
    return left >= MR ? MR : left >= 4 ? 4 : 1;
  }

  /** The rows the end blocks of {@link #block} cover, by the tile's rows mod six (0: none). */
  private static final int[] END = {0, 7, 8, 15, 4, 11};

  /**
   * Six rows of two adjacent two-vector panels, {@code p} at {@code base} and {@code p + 1} at
   * {@code base + k·NR}: 24 accumulators, four panel vectors and one broadcast make 29 live vector
   * registers (AVX-512 only, {@link #QUAD}). Per depth step four vector loads and six broadcasts
   * feed 24 fused multiply-adds, against two and six for 12 in {@link #rows6x2}: shallow 1×1
   * layers (a depth of 32 or 64), where a call's fixed cost and the broadcasts weigh most, gain
   * most. Same rounding as the other kernels. {@code co} is C's row 0 at column {@code j0}.
   */
  private void rows6x4(float[] a, int ao, int lda, int base, float[] c, int co, int ldc, int j0) {
    float[] bp = packed;
    int base2 = base + k * NR;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c02 = c00;
    FloatVector c03 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c12 = c00;
    FloatVector c13 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c22 = c00;
    FloatVector c23 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c32 = c00;
    FloatVector c33 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c42 = c00;
    FloatVector c43 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c52 = c00;
    FloatVector c53 = c00;
    for (int kk = 0; kk < k; kk++) {
      int bo = base + kk * NR;
      int bo2 = base2 + kk * NR;
      FloatVector b0 = FloatVector.fromArray(S, bp, bo);
      FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
      FloatVector b2 = FloatVector.fromArray(S, bp, bo2);
      FloatVector b3 = FloatVector.fromArray(S, bp, bo2 + L);
      FloatVector x = FloatVector.broadcast(S, a[ao + kk]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      c02 = x.fma(b2, c02);
      c03 = x.fma(b3, c03);
      x = FloatVector.broadcast(S, a[a1 + kk]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      c12 = x.fma(b2, c12);
      c13 = x.fma(b3, c13);
      x = FloatVector.broadcast(S, a[a2 + kk]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      c22 = x.fma(b2, c22);
      c23 = x.fma(b3, c23);
      x = FloatVector.broadcast(S, a[a3 + kk]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      c32 = x.fma(b2, c32);
      c33 = x.fma(b3, c33);
      x = FloatVector.broadcast(S, a[a4 + kk]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      c42 = x.fma(b2, c42);
      c43 = x.fma(b3, c43);
      x = FloatVector.broadcast(S, a[a5 + kk]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      c52 = x.fma(b2, c52);
      c53 = x.fma(b3, c53);
    }
    if (fused) {
      // Written out here, not in a helper: a vector handed to a method C2 does not inline is boxed.
      if (hasBias) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, bo + j0);
        FloatVector bias1 = FloatVector.fromArray(S, bias, bo + j0 + L);
        FloatVector bias2 = FloatVector.fromArray(S, bias, bo + j0 + 2 * L);
        FloatVector bias3 = FloatVector.fromArray(S, bias, bo + j0 + 3 * L);
        c00 = c00.add(bias0);
        c01 = c01.add(bias1);
        c02 = c02.add(bias2);
        c03 = c03.add(bias3);
        c10 = c10.add(bias0);
        c11 = c11.add(bias1);
        c12 = c12.add(bias2);
        c13 = c13.add(bias3);
        c20 = c20.add(bias0);
        c21 = c21.add(bias1);
        c22 = c22.add(bias2);
        c23 = c23.add(bias3);
        c30 = c30.add(bias0);
        c31 = c31.add(bias1);
        c32 = c32.add(bias2);
        c33 = c33.add(bias3);
        c40 = c40.add(bias0);
        c41 = c41.add(bias1);
        c42 = c42.add(bias2);
        c43 = c43.add(bias3);
        c50 = c50.add(bias0);
        c51 = c51.add(bias1);
        c52 = c52.add(bias2);
        c53 = c53.add(bias3);
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        c00 = c00.blend(lov, c00.lt(loCmp));
        c01 = c01.blend(lov, c01.lt(loCmp));
        c02 = c02.blend(lov, c02.lt(loCmp));
        c03 = c03.blend(lov, c03.lt(loCmp));
        c10 = c10.blend(lov, c10.lt(loCmp));
        c11 = c11.blend(lov, c11.lt(loCmp));
        c12 = c12.blend(lov, c12.lt(loCmp));
        c13 = c13.blend(lov, c13.lt(loCmp));
        c20 = c20.blend(lov, c20.lt(loCmp));
        c21 = c21.blend(lov, c21.lt(loCmp));
        c22 = c22.blend(lov, c22.lt(loCmp));
        c23 = c23.blend(lov, c23.lt(loCmp));
        c30 = c30.blend(lov, c30.lt(loCmp));
        c31 = c31.blend(lov, c31.lt(loCmp));
        c32 = c32.blend(lov, c32.lt(loCmp));
        c33 = c33.blend(lov, c33.lt(loCmp));
        c40 = c40.blend(lov, c40.lt(loCmp));
        c41 = c41.blend(lov, c41.lt(loCmp));
        c42 = c42.blend(lov, c42.lt(loCmp));
        c43 = c43.blend(lov, c43.lt(loCmp));
        c50 = c50.blend(lov, c50.lt(loCmp));
        c51 = c51.blend(lov, c51.lt(loCmp));
        c52 = c52.blend(lov, c52.lt(loCmp));
        c53 = c53.blend(lov, c53.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        c00 = c00.blend(hiv, c00.compare(VectorOperators.GT, hiCmp));
        c01 = c01.blend(hiv, c01.compare(VectorOperators.GT, hiCmp));
        c02 = c02.blend(hiv, c02.compare(VectorOperators.GT, hiCmp));
        c03 = c03.blend(hiv, c03.compare(VectorOperators.GT, hiCmp));
        c10 = c10.blend(hiv, c10.compare(VectorOperators.GT, hiCmp));
        c11 = c11.blend(hiv, c11.compare(VectorOperators.GT, hiCmp));
        c12 = c12.blend(hiv, c12.compare(VectorOperators.GT, hiCmp));
        c13 = c13.blend(hiv, c13.compare(VectorOperators.GT, hiCmp));
        c20 = c20.blend(hiv, c20.compare(VectorOperators.GT, hiCmp));
        c21 = c21.blend(hiv, c21.compare(VectorOperators.GT, hiCmp));
        c22 = c22.blend(hiv, c22.compare(VectorOperators.GT, hiCmp));
        c23 = c23.blend(hiv, c23.compare(VectorOperators.GT, hiCmp));
        c30 = c30.blend(hiv, c30.compare(VectorOperators.GT, hiCmp));
        c31 = c31.blend(hiv, c31.compare(VectorOperators.GT, hiCmp));
        c32 = c32.blend(hiv, c32.compare(VectorOperators.GT, hiCmp));
        c33 = c33.blend(hiv, c33.compare(VectorOperators.GT, hiCmp));
        c40 = c40.blend(hiv, c40.compare(VectorOperators.GT, hiCmp));
        c41 = c41.blend(hiv, c41.compare(VectorOperators.GT, hiCmp));
        c42 = c42.blend(hiv, c42.compare(VectorOperators.GT, hiCmp));
        c43 = c43.blend(hiv, c43.compare(VectorOperators.GT, hiCmp));
        c50 = c50.blend(hiv, c50.compare(VectorOperators.GT, hiCmp));
        c51 = c51.blend(hiv, c51.compare(VectorOperators.GT, hiCmp));
        c52 = c52.blend(hiv, c52.compare(VectorOperators.GT, hiCmp));
        c53 = c53.blend(hiv, c53.compare(VectorOperators.GT, hiCmp));
      }
    }
    c00.intoArray(c, co);
    c01.intoArray(c, co + L);
    c02.intoArray(c, co + 2 * L);
    c03.intoArray(c, co + 3 * L);
    c10.intoArray(c, co + ldc);
    c11.intoArray(c, co + ldc + L);
    c12.intoArray(c, co + ldc + 2 * L);
    c13.intoArray(c, co + ldc + 3 * L);
    c20.intoArray(c, co + 2 * ldc);
    c21.intoArray(c, co + 2 * ldc + L);
    c22.intoArray(c, co + 2 * ldc + 2 * L);
    c23.intoArray(c, co + 2 * ldc + 3 * L);
    c30.intoArray(c, co + 3 * ldc);
    c31.intoArray(c, co + 3 * ldc + L);
    c32.intoArray(c, co + 3 * ldc + 2 * L);
    c33.intoArray(c, co + 3 * ldc + 3 * L);
    c40.intoArray(c, co + 4 * ldc);
    c41.intoArray(c, co + 4 * ldc + L);
    c42.intoArray(c, co + 4 * ldc + 2 * L);
    c43.intoArray(c, co + 4 * ldc + 3 * L);
    c50.intoArray(c, co + 5 * ldc);
    c51.intoArray(c, co + 5 * ldc + L);
    c52.intoArray(c, co + 5 * ldc + 2 * L);
    c53.intoArray(c, co + 5 * ldc + 3 * L);
  }

  /** Six rows of a two-vector panel; {@code co} is C's row 0 at column {@code j0}. */
  private void rows6x2(float[] a, int ao, int lda, int base, float[] c, int co, int ldc, int j0,
      float[] r, int ro, int ldr) {
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
    if (fused) {
      // Written out here, not in a helper: a vector handed to a method C2 does not inline is boxed.
      if (hasBias) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, bo + j0);
        FloatVector bias1 = FloatVector.fromArray(S, bias, bo + j0 + L);
        c00 = c00.add(bias0);
        c10 = c10.add(bias0);
        c20 = c20.add(bias0);
        c30 = c30.add(bias0);
        c40 = c40.add(bias0);
        c50 = c50.add(bias0);
        c01 = c01.add(bias1);
        c11 = c11.add(bias1);
        c21 = c21.add(bias1);
        c31 = c31.add(bias1);
        c41 = c41.add(bias1);
        c51 = c51.add(bias1);
      }
      if (r != null && residualFirst) {
        c00 = c00.add(FloatVector.fromArray(S, r, ro));
        c01 = c01.add(FloatVector.fromArray(S, r, ro + L));
        c10 = c10.add(FloatVector.fromArray(S, r, ro + ldr));
        c11 = c11.add(FloatVector.fromArray(S, r, ro + ldr + L));
        c20 = c20.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c21 = c21.add(FloatVector.fromArray(S, r, ro + 2 * ldr + L));
        c30 = c30.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
        c31 = c31.add(FloatVector.fromArray(S, r, ro + 3 * ldr + L));
        c40 = c40.add(FloatVector.fromArray(S, r, ro + 4 * ldr));
        c41 = c41.add(FloatVector.fromArray(S, r, ro + 4 * ldr + L));
        c50 = c50.add(FloatVector.fromArray(S, r, ro + 5 * ldr));
        c51 = c51.add(FloatVector.fromArray(S, r, ro + 5 * ldr + L));
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        c00 = c00.blend(lov, c00.lt(loCmp));
        c10 = c10.blend(lov, c10.lt(loCmp));
        c20 = c20.blend(lov, c20.lt(loCmp));
        c30 = c30.blend(lov, c30.lt(loCmp));
        c40 = c40.blend(lov, c40.lt(loCmp));
        c50 = c50.blend(lov, c50.lt(loCmp));
        c01 = c01.blend(lov, c01.lt(loCmp));
        c11 = c11.blend(lov, c11.lt(loCmp));
        c21 = c21.blend(lov, c21.lt(loCmp));
        c31 = c31.blend(lov, c31.lt(loCmp));
        c41 = c41.blend(lov, c41.lt(loCmp));
        c51 = c51.blend(lov, c51.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        c00 = c00.blend(hiv, c00.compare(VectorOperators.GT, hiCmp));
        c10 = c10.blend(hiv, c10.compare(VectorOperators.GT, hiCmp));
        c20 = c20.blend(hiv, c20.compare(VectorOperators.GT, hiCmp));
        c30 = c30.blend(hiv, c30.compare(VectorOperators.GT, hiCmp));
        c40 = c40.blend(hiv, c40.compare(VectorOperators.GT, hiCmp));
        c50 = c50.blend(hiv, c50.compare(VectorOperators.GT, hiCmp));
        c01 = c01.blend(hiv, c01.compare(VectorOperators.GT, hiCmp));
        c11 = c11.blend(hiv, c11.compare(VectorOperators.GT, hiCmp));
        c21 = c21.blend(hiv, c21.compare(VectorOperators.GT, hiCmp));
        c31 = c31.blend(hiv, c31.compare(VectorOperators.GT, hiCmp));
        c41 = c41.blend(hiv, c41.compare(VectorOperators.GT, hiCmp));
        c51 = c51.blend(hiv, c51.compare(VectorOperators.GT, hiCmp));
      }
      if (r != null && !residualFirst) {
        c00 = c00.add(FloatVector.fromArray(S, r, ro));
        c01 = c01.add(FloatVector.fromArray(S, r, ro + L));
        c10 = c10.add(FloatVector.fromArray(S, r, ro + ldr));
        c11 = c11.add(FloatVector.fromArray(S, r, ro + ldr + L));
        c20 = c20.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c21 = c21.add(FloatVector.fromArray(S, r, ro + 2 * ldr + L));
        c30 = c30.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
        c31 = c31.add(FloatVector.fromArray(S, r, ro + 3 * ldr + L));
        c40 = c40.add(FloatVector.fromArray(S, r, ro + 4 * ldr));
        c41 = c41.add(FloatVector.fromArray(S, r, ro + 4 * ldr + L));
        c50 = c50.add(FloatVector.fromArray(S, r, ro + 5 * ldr));
        c51 = c51.add(FloatVector.fromArray(S, r, ro + 5 * ldr + L));
      }
    }
    c00.intoArray(c, co);
    c01.intoArray(c, co + L);
    c10.intoArray(c, co + ldc);
    c11.intoArray(c, co + ldc + L);
    c20.intoArray(c, co + 2 * ldc);
    c21.intoArray(c, co + 2 * ldc + L);
    c30.intoArray(c, co + 3 * ldc);
    c31.intoArray(c, co + 3 * ldc + L);
    c40.intoArray(c, co + 4 * ldc);
    c41.intoArray(c, co + 4 * ldc + L);
    c50.intoArray(c, co + 5 * ldc);
    c51.intoArray(c, co + 5 * ldc + L);
  }

  /**
   * Four rows of a two-vector panel: the remainder of tiles whose row count is 4 more than a
   * multiple of six (every spatial size of MobileNetV2 but the last: 112², 56², 28², 14²), which
   * the one-row kernel, two dependent chains per depth step, ran at a quarter of the speed.
   */
  private void rows4x2(float[] a, int ao, int lda, int base, float[] c, int co, int ldc, int j0,
      float[] r, int ro, int ldr) {
    float[] bp = packed;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
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
    }
    if (fused) {
      // Written out here, not in a helper: a vector handed to a method C2 does not inline is boxed.
      if (hasBias) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, bo + j0);
        FloatVector bias1 = FloatVector.fromArray(S, bias, bo + j0 + L);
        c00 = c00.add(bias0);
        c10 = c10.add(bias0);
        c20 = c20.add(bias0);
        c30 = c30.add(bias0);
        c01 = c01.add(bias1);
        c11 = c11.add(bias1);
        c21 = c21.add(bias1);
        c31 = c31.add(bias1);
      }
      if (r != null && residualFirst) {
        c00 = c00.add(FloatVector.fromArray(S, r, ro));
        c01 = c01.add(FloatVector.fromArray(S, r, ro + L));
        c10 = c10.add(FloatVector.fromArray(S, r, ro + ldr));
        c11 = c11.add(FloatVector.fromArray(S, r, ro + ldr + L));
        c20 = c20.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c21 = c21.add(FloatVector.fromArray(S, r, ro + 2 * ldr + L));
        c30 = c30.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
        c31 = c31.add(FloatVector.fromArray(S, r, ro + 3 * ldr + L));
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        c00 = c00.blend(lov, c00.lt(loCmp));
        c10 = c10.blend(lov, c10.lt(loCmp));
        c20 = c20.blend(lov, c20.lt(loCmp));
        c30 = c30.blend(lov, c30.lt(loCmp));
        c01 = c01.blend(lov, c01.lt(loCmp));
        c11 = c11.blend(lov, c11.lt(loCmp));
        c21 = c21.blend(lov, c21.lt(loCmp));
        c31 = c31.blend(lov, c31.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        c00 = c00.blend(hiv, c00.compare(VectorOperators.GT, hiCmp));
        c10 = c10.blend(hiv, c10.compare(VectorOperators.GT, hiCmp));
        c20 = c20.blend(hiv, c20.compare(VectorOperators.GT, hiCmp));
        c30 = c30.blend(hiv, c30.compare(VectorOperators.GT, hiCmp));
        c01 = c01.blend(hiv, c01.compare(VectorOperators.GT, hiCmp));
        c11 = c11.blend(hiv, c11.compare(VectorOperators.GT, hiCmp));
        c21 = c21.blend(hiv, c21.compare(VectorOperators.GT, hiCmp));
        c31 = c31.blend(hiv, c31.compare(VectorOperators.GT, hiCmp));
      }
      if (r != null && !residualFirst) {
        c00 = c00.add(FloatVector.fromArray(S, r, ro));
        c01 = c01.add(FloatVector.fromArray(S, r, ro + L));
        c10 = c10.add(FloatVector.fromArray(S, r, ro + ldr));
        c11 = c11.add(FloatVector.fromArray(S, r, ro + ldr + L));
        c20 = c20.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c21 = c21.add(FloatVector.fromArray(S, r, ro + 2 * ldr + L));
        c30 = c30.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
        c31 = c31.add(FloatVector.fromArray(S, r, ro + 3 * ldr + L));
      }
    }
    c00.intoArray(c, co);
    c01.intoArray(c, co + L);
    c10.intoArray(c, co + ldc);
    c11.intoArray(c, co + ldc + L);
    c20.intoArray(c, co + 2 * ldc);
    c21.intoArray(c, co + 2 * ldc + L);
    c30.intoArray(c, co + 3 * ldc);
    c31.intoArray(c, co + 3 * ldc + L);
  }

  /** Four rows of a one-vector panel (see {@link #rows4x2}). */
  private void rows4x1(float[] a, int ao, int lda, int base, float[] c, int co, int ldc, int j0,
      float[] r, int ro, int ldr) {
    float[] bp = packed;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    FloatVector c2 = c0;
    FloatVector c3 = c0;
    for (int kk = 0; kk < k; kk++) {
      FloatVector b0 = FloatVector.fromArray(S, bp, base + kk * L);
      c0 = FloatVector.broadcast(S, a[ao + kk]).fma(b0, c0);
      c1 = FloatVector.broadcast(S, a[a1 + kk]).fma(b0, c1);
      c2 = FloatVector.broadcast(S, a[a2 + kk]).fma(b0, c2);
      c3 = FloatVector.broadcast(S, a[a3 + kk]).fma(b0, c3);
    }
    if (fused) {
      // Written out here, not in a helper: a vector handed to a method C2 does not inline is boxed.
      if (hasBias) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, bo + j0);
        c0 = c0.add(bias0);
        c1 = c1.add(bias0);
        c2 = c2.add(bias0);
        c3 = c3.add(bias0);
      }
      if (r != null && residualFirst) {
        c0 = c0.add(FloatVector.fromArray(S, r, ro));
        c1 = c1.add(FloatVector.fromArray(S, r, ro + ldr));
        c2 = c2.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c3 = c3.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        c0 = c0.blend(lov, c0.lt(loCmp));
        c1 = c1.blend(lov, c1.lt(loCmp));
        c2 = c2.blend(lov, c2.lt(loCmp));
        c3 = c3.blend(lov, c3.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        c0 = c0.blend(hiv, c0.compare(VectorOperators.GT, hiCmp));
        c1 = c1.blend(hiv, c1.compare(VectorOperators.GT, hiCmp));
        c2 = c2.blend(hiv, c2.compare(VectorOperators.GT, hiCmp));
        c3 = c3.blend(hiv, c3.compare(VectorOperators.GT, hiCmp));
      }
      if (r != null && !residualFirst) {
        c0 = c0.add(FloatVector.fromArray(S, r, ro));
        c1 = c1.add(FloatVector.fromArray(S, r, ro + ldr));
        c2 = c2.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c3 = c3.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
      }
    }
    c0.intoArray(c, co);
    c1.intoArray(c, co + ldc);
    c2.intoArray(c, co + 2 * ldc);
    c3.intoArray(c, co + 3 * ldc);
  }

  /** One row of a two-vector panel. */
  private void row1x2(float[] a, int ao, int base, float[] c, int co, int j0, float[] r, int ro) {
    float[] bp = packed;
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    for (int kk = 0; kk < k; kk++) {
      int bo = base + kk * NR;
      FloatVector x = FloatVector.broadcast(S, a[ao + kk]);
      c0 = x.fma(FloatVector.fromArray(S, bp, bo), c0);
      c1 = x.fma(FloatVector.fromArray(S, bp, bo + L), c1);
    }
    if (fused) {
      // Written out here, not in a helper: a vector handed to a method C2 does not inline is boxed.
      if (hasBias) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, bo + j0);
        FloatVector bias1 = FloatVector.fromArray(S, bias, bo + j0 + L);
        c0 = c0.add(bias0);
        c1 = c1.add(bias1);
      }
      if (r != null && residualFirst) {
        c0 = c0.add(FloatVector.fromArray(S, r, ro));
        c1 = c1.add(FloatVector.fromArray(S, r, ro + L));
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        c0 = c0.blend(lov, c0.lt(loCmp));
        c1 = c1.blend(lov, c1.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        c0 = c0.blend(hiv, c0.compare(VectorOperators.GT, hiCmp));
        c1 = c1.blend(hiv, c1.compare(VectorOperators.GT, hiCmp));
      }
      if (r != null && !residualFirst) {
        c0 = c0.add(FloatVector.fromArray(S, r, ro));
        c1 = c1.add(FloatVector.fromArray(S, r, ro + L));
      }
    }
    c0.intoArray(c, co);
    c1.intoArray(c, co + L);
  }

  /** Six rows of a one-vector panel. */
  private void rows6x1(float[] a, int ao, int lda, int base, float[] c, int co, int ldc, int j0,
      float[] r, int ro, int ldr) {
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
    if (fused) {
      // Written out here, not in a helper: a vector handed to a method C2 does not inline is boxed.
      if (hasBias) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, bo + j0);
        c0 = c0.add(bias0);
        c1 = c1.add(bias0);
        c2 = c2.add(bias0);
        c3 = c3.add(bias0);
        c4 = c4.add(bias0);
        c5 = c5.add(bias0);
      }
      if (r != null && residualFirst) {
        c0 = c0.add(FloatVector.fromArray(S, r, ro));
        c1 = c1.add(FloatVector.fromArray(S, r, ro + ldr));
        c2 = c2.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c3 = c3.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
        c4 = c4.add(FloatVector.fromArray(S, r, ro + 4 * ldr));
        c5 = c5.add(FloatVector.fromArray(S, r, ro + 5 * ldr));
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        c0 = c0.blend(lov, c0.lt(loCmp));
        c1 = c1.blend(lov, c1.lt(loCmp));
        c2 = c2.blend(lov, c2.lt(loCmp));
        c3 = c3.blend(lov, c3.lt(loCmp));
        c4 = c4.blend(lov, c4.lt(loCmp));
        c5 = c5.blend(lov, c5.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        c0 = c0.blend(hiv, c0.compare(VectorOperators.GT, hiCmp));
        c1 = c1.blend(hiv, c1.compare(VectorOperators.GT, hiCmp));
        c2 = c2.blend(hiv, c2.compare(VectorOperators.GT, hiCmp));
        c3 = c3.blend(hiv, c3.compare(VectorOperators.GT, hiCmp));
        c4 = c4.blend(hiv, c4.compare(VectorOperators.GT, hiCmp));
        c5 = c5.blend(hiv, c5.compare(VectorOperators.GT, hiCmp));
      }
      if (r != null && !residualFirst) {
        c0 = c0.add(FloatVector.fromArray(S, r, ro));
        c1 = c1.add(FloatVector.fromArray(S, r, ro + ldr));
        c2 = c2.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c3 = c3.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
        c4 = c4.add(FloatVector.fromArray(S, r, ro + 4 * ldr));
        c5 = c5.add(FloatVector.fromArray(S, r, ro + 5 * ldr));
      }
    }
    c0.intoArray(c, co);
    c1.intoArray(c, co + ldc);
    c2.intoArray(c, co + 2 * ldc);
    c3.intoArray(c, co + 3 * ldc);
    c4.intoArray(c, co + 4 * ldc);
    c5.intoArray(c, co + 5 * ldc);
  }
  /**
   * Seven rows of a two-vector panel (AVX-512 only: its 14 accumulators, 2 panel vectors and a
   * broadcast need 17 registers): the last block of a tile whose row count is one more than a
   * multiple of six, such as the 49 pixels of a 7×7 image, which otherwise ended in a one-row
   * block of two dependent chains per depth step ({@link #block}).
   */
  private void rows7x2(float[] a, int ao, int lda, int base, float[] c, int co, int ldc, int j0,
      float[] r, int ro, int ldr) {
    float[] bp = packed;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    int a6 = a5 + lda;
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
    FloatVector c60 = c00;
    FloatVector c61 = c00;
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
      x = FloatVector.broadcast(S, a[a6 + kk]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
    }
    if (fused) {
      // Written out here, not in a helper: a vector handed to a method C2 does not inline is boxed.
      if (hasBias) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, bo + j0);
        FloatVector bias1 = FloatVector.fromArray(S, bias, bo + j0 + L);
        c00 = c00.add(bias0);
        c10 = c10.add(bias0);
        c20 = c20.add(bias0);
        c30 = c30.add(bias0);
        c40 = c40.add(bias0);
        c50 = c50.add(bias0);
        c60 = c60.add(bias0);
        c01 = c01.add(bias1);
        c11 = c11.add(bias1);
        c21 = c21.add(bias1);
        c31 = c31.add(bias1);
        c41 = c41.add(bias1);
        c51 = c51.add(bias1);
        c61 = c61.add(bias1);
      }
      if (r != null && residualFirst) {
        c00 = c00.add(FloatVector.fromArray(S, r, ro));
        c01 = c01.add(FloatVector.fromArray(S, r, ro + L));
        c10 = c10.add(FloatVector.fromArray(S, r, ro + ldr));
        c11 = c11.add(FloatVector.fromArray(S, r, ro + ldr + L));
        c20 = c20.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c21 = c21.add(FloatVector.fromArray(S, r, ro + 2 * ldr + L));
        c30 = c30.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
        c31 = c31.add(FloatVector.fromArray(S, r, ro + 3 * ldr + L));
        c40 = c40.add(FloatVector.fromArray(S, r, ro + 4 * ldr));
        c41 = c41.add(FloatVector.fromArray(S, r, ro + 4 * ldr + L));
        c50 = c50.add(FloatVector.fromArray(S, r, ro + 5 * ldr));
        c51 = c51.add(FloatVector.fromArray(S, r, ro + 5 * ldr + L));
        c60 = c60.add(FloatVector.fromArray(S, r, ro + 6 * ldr));
        c61 = c61.add(FloatVector.fromArray(S, r, ro + 6 * ldr + L));
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        c00 = c00.blend(lov, c00.lt(loCmp));
        c10 = c10.blend(lov, c10.lt(loCmp));
        c20 = c20.blend(lov, c20.lt(loCmp));
        c30 = c30.blend(lov, c30.lt(loCmp));
        c40 = c40.blend(lov, c40.lt(loCmp));
        c50 = c50.blend(lov, c50.lt(loCmp));
        c60 = c60.blend(lov, c60.lt(loCmp));
        c01 = c01.blend(lov, c01.lt(loCmp));
        c11 = c11.blend(lov, c11.lt(loCmp));
        c21 = c21.blend(lov, c21.lt(loCmp));
        c31 = c31.blend(lov, c31.lt(loCmp));
        c41 = c41.blend(lov, c41.lt(loCmp));
        c51 = c51.blend(lov, c51.lt(loCmp));
        c61 = c61.blend(lov, c61.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        c00 = c00.blend(hiv, c00.compare(VectorOperators.GT, hiCmp));
        c10 = c10.blend(hiv, c10.compare(VectorOperators.GT, hiCmp));
        c20 = c20.blend(hiv, c20.compare(VectorOperators.GT, hiCmp));
        c30 = c30.blend(hiv, c30.compare(VectorOperators.GT, hiCmp));
        c40 = c40.blend(hiv, c40.compare(VectorOperators.GT, hiCmp));
        c50 = c50.blend(hiv, c50.compare(VectorOperators.GT, hiCmp));
        c60 = c60.blend(hiv, c60.compare(VectorOperators.GT, hiCmp));
        c01 = c01.blend(hiv, c01.compare(VectorOperators.GT, hiCmp));
        c11 = c11.blend(hiv, c11.compare(VectorOperators.GT, hiCmp));
        c21 = c21.blend(hiv, c21.compare(VectorOperators.GT, hiCmp));
        c31 = c31.blend(hiv, c31.compare(VectorOperators.GT, hiCmp));
        c41 = c41.blend(hiv, c41.compare(VectorOperators.GT, hiCmp));
        c51 = c51.blend(hiv, c51.compare(VectorOperators.GT, hiCmp));
        c61 = c61.blend(hiv, c61.compare(VectorOperators.GT, hiCmp));
      }
      if (r != null && !residualFirst) {
        c00 = c00.add(FloatVector.fromArray(S, r, ro));
        c01 = c01.add(FloatVector.fromArray(S, r, ro + L));
        c10 = c10.add(FloatVector.fromArray(S, r, ro + ldr));
        c11 = c11.add(FloatVector.fromArray(S, r, ro + ldr + L));
        c20 = c20.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c21 = c21.add(FloatVector.fromArray(S, r, ro + 2 * ldr + L));
        c30 = c30.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
        c31 = c31.add(FloatVector.fromArray(S, r, ro + 3 * ldr + L));
        c40 = c40.add(FloatVector.fromArray(S, r, ro + 4 * ldr));
        c41 = c41.add(FloatVector.fromArray(S, r, ro + 4 * ldr + L));
        c50 = c50.add(FloatVector.fromArray(S, r, ro + 5 * ldr));
        c51 = c51.add(FloatVector.fromArray(S, r, ro + 5 * ldr + L));
        c60 = c60.add(FloatVector.fromArray(S, r, ro + 6 * ldr));
        c61 = c61.add(FloatVector.fromArray(S, r, ro + 6 * ldr + L));
      }
    }
    c00.intoArray(c, co);
    c01.intoArray(c, co + L);
    c10.intoArray(c, co + ldc);
    c11.intoArray(c, co + ldc + L);
    c20.intoArray(c, co + 2 * ldc);
    c21.intoArray(c, co + 2 * ldc + L);
    c30.intoArray(c, co + 3 * ldc);
    c31.intoArray(c, co + 3 * ldc + L);
    c40.intoArray(c, co + 4 * ldc);
    c41.intoArray(c, co + 4 * ldc + L);
    c50.intoArray(c, co + 5 * ldc);
    c51.intoArray(c, co + 5 * ldc + L);
    c60.intoArray(c, co + 6 * ldc);
    c61.intoArray(c, co + 6 * ldc + L);
  }

  /** Seven rows of a one-vector panel (see {@link #rows7x2}). */
  private void rows7x1(float[] a, int ao, int lda, int base, float[] c, int co, int ldc, int j0,
      float[] r, int ro, int ldr) {
    float[] bp = packed;
    int a1 = ao + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    int a6 = a5 + lda;
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    FloatVector c2 = c0;
    FloatVector c3 = c0;
    FloatVector c4 = c0;
    FloatVector c5 = c0;
    FloatVector c6 = c0;
    for (int kk = 0; kk < k; kk++) {
      FloatVector b0 = FloatVector.fromArray(S, bp, base + kk * L);
      c0 = FloatVector.broadcast(S, a[ao + kk]).fma(b0, c0);
      c1 = FloatVector.broadcast(S, a[a1 + kk]).fma(b0, c1);
      c2 = FloatVector.broadcast(S, a[a2 + kk]).fma(b0, c2);
      c3 = FloatVector.broadcast(S, a[a3 + kk]).fma(b0, c3);
      c4 = FloatVector.broadcast(S, a[a4 + kk]).fma(b0, c4);
      c5 = FloatVector.broadcast(S, a[a5 + kk]).fma(b0, c5);
      c6 = FloatVector.broadcast(S, a[a6 + kk]).fma(b0, c6);
    }
    if (fused) {
      // Written out here, not in a helper: a vector handed to a method C2 does not inline is boxed.
      if (hasBias) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, bo + j0);
        c0 = c0.add(bias0);
        c1 = c1.add(bias0);
        c2 = c2.add(bias0);
        c3 = c3.add(bias0);
        c4 = c4.add(bias0);
        c5 = c5.add(bias0);
        c6 = c6.add(bias0);
      }
      if (r != null && residualFirst) {
        c0 = c0.add(FloatVector.fromArray(S, r, ro));
        c1 = c1.add(FloatVector.fromArray(S, r, ro + ldr));
        c2 = c2.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c3 = c3.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
        c4 = c4.add(FloatVector.fromArray(S, r, ro + 4 * ldr));
        c5 = c5.add(FloatVector.fromArray(S, r, ro + 5 * ldr));
        c6 = c6.add(FloatVector.fromArray(S, r, ro + 6 * ldr));
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        c0 = c0.blend(lov, c0.lt(loCmp));
        c1 = c1.blend(lov, c1.lt(loCmp));
        c2 = c2.blend(lov, c2.lt(loCmp));
        c3 = c3.blend(lov, c3.lt(loCmp));
        c4 = c4.blend(lov, c4.lt(loCmp));
        c5 = c5.blend(lov, c5.lt(loCmp));
        c6 = c6.blend(lov, c6.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        c0 = c0.blend(hiv, c0.compare(VectorOperators.GT, hiCmp));
        c1 = c1.blend(hiv, c1.compare(VectorOperators.GT, hiCmp));
        c2 = c2.blend(hiv, c2.compare(VectorOperators.GT, hiCmp));
        c3 = c3.blend(hiv, c3.compare(VectorOperators.GT, hiCmp));
        c4 = c4.blend(hiv, c4.compare(VectorOperators.GT, hiCmp));
        c5 = c5.blend(hiv, c5.compare(VectorOperators.GT, hiCmp));
        c6 = c6.blend(hiv, c6.compare(VectorOperators.GT, hiCmp));
      }
      if (r != null && !residualFirst) {
        c0 = c0.add(FloatVector.fromArray(S, r, ro));
        c1 = c1.add(FloatVector.fromArray(S, r, ro + ldr));
        c2 = c2.add(FloatVector.fromArray(S, r, ro + 2 * ldr));
        c3 = c3.add(FloatVector.fromArray(S, r, ro + 3 * ldr));
        c4 = c4.add(FloatVector.fromArray(S, r, ro + 4 * ldr));
        c5 = c5.add(FloatVector.fromArray(S, r, ro + 5 * ldr));
        c6 = c6.add(FloatVector.fromArray(S, r, ro + 6 * ldr));
      }
    }
    c0.intoArray(c, co);
    c1.intoArray(c, co + ldc);
    c2.intoArray(c, co + 2 * ldc);
    c3.intoArray(c, co + 3 * ldc);
    c4.intoArray(c, co + 4 * ldc);
    c5.intoArray(c, co + 5 * ldc);
    c6.intoArray(c, co + 6 * ldc);
  }

  /** One row of a one-vector panel. */
  private void row1x1(float[] a, int ao, int base, float[] c, int co, int j0, float[] r, int ro) {
    float[] bp = packed;
    FloatVector c0 = FloatVector.zero(S);
    for (int kk = 0; kk < k; kk++) {
      c0 = FloatVector.broadcast(S, a[ao + kk]).fma(FloatVector.fromArray(S, bp, base + kk * L), c0);
    }
    if (fused) {
      // Written out here, not in a helper: a vector handed to a method C2 does not inline is boxed.
      if (hasBias) {
        FloatVector bias0 = FloatVector.fromArray(S, bias, bo + j0);
        c0 = c0.add(bias0);
      }
      if (r != null && residualFirst) {
        c0 = c0.add(FloatVector.fromArray(S, r, ro));
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        c0 = c0.blend(lov, c0.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        c0 = c0.blend(hiv, c0.compare(VectorOperators.GT, hiCmp));
      }
      if (r != null && !residualFirst) {
        c0 = c0.add(FloatVector.fromArray(S, r, ro));
      }
    }
    c0.intoArray(c, co);
  }

  /**
   * The epilogue of a hard-swish GEMM (the one activation the kernels leave to this pass) over one
   * row of C in place: {@code valid} columns from column {@code j0} at {@code c[co]}, bias and the
   * residual row at {@code r[ro]} (if any) in this GEMM's order, then hard-swish, while the row is in
   * L1. A separate pass rather than part of the kernels, and no vector handed to a method
   * ({@link FloatVectorKernels.Epilog#hardSwish} works on the array): C2 inlines only so much, and a
   * vector handed to a method it did not inline is boxed on the heap.
   */
  private void finish(float[] c, int co, int j0, int valid, float[] r, int ro) {
    int whole = valid / L * L;
    if (bias != null || (r != null && residualFirst)) {
      for (int at = 0; at < whole; at += L) {
        FloatVector v = FloatVector.fromArray(S, c, co + at);
        if (bias != null) {
          v = v.add(FloatVector.fromArray(S, bias, bo + j0 + at));
        }
        if (r != null && residualFirst) {
          v = v.add(FloatVector.fromArray(S, r, ro + at));
        }
        v.intoArray(c, co + at);
      }
      if (whole < valid) {
        FloatVector v = FloatVector.fromArray(S, c, co + whole, tail);
        if (bias != null) {
          v = v.add(FloatVector.fromArray(S, bias, bo + j0 + whole));
        }
        if (r != null && residualFirst) {
          v = v.add(FloatVector.fromArray(S, r, ro + whole, tail));
        }
        v.intoArray(c, co + whole, tail);
      }
    }
    FloatVectorKernels.Epilog.hardSwish(c, co, valid);
    if (r != null && !residualFirst) {
      for (int at = 0; at < whole; at += L) {
        FloatVector.fromArray(S, c, co + at).add(FloatVector.fromArray(S, r, ro + at)).intoArray(c, co + at);
      }
      if (whole < valid) {
        FloatVector.fromArray(S, c, co + whole, tail).add(FloatVector.fromArray(S, r, ro + whole, tail))
            .intoArray(c, co + whole, tail);
      }
    }
  }
}
