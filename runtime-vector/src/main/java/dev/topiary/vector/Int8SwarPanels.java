package dev.topiary.vector;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2L;
import static jdk.incubator.vector.VectorOperators.I2L;
import static jdk.incubator.vector.VectorOperators.L2I;
import static jdk.incubator.vector.VectorOperators.LSHL;

import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8 GEMM {@code C = requant(A·B + bias)} with three multiply-adds per 64-bit lane: where
 * {@code LongVector} has 8 lanes (AVX-512, whose {@code vpmullq} multiplies 64-bit lanes), this
 * replaces {@link Int8Panels}' int32 lanes, which do one. Measured on Zen 4, on the micro-kernels
 * alone: 64 G multiply-adds/s against 49 for int32 lanes and 45–50 for the fp32 kernel.
 *
 * <p><b>Three products in one multiply.</b> With {@code S = 2^21}, three values of a row of A are
 * packed as {@code a0 + a1·S + a2·S²} and the same depths of a column of B in the reverse order,
 * {@code b2 + b1·S + b0·S²}, both signed (two's complement) 64-bit integers. Their
 * product is {@code a0·b2 + (a0·b1 + a1·b2)·S + (a0·b0 + a1·b1 + a2·b2)·S² + (a1·b0 + a2·b1)·S³ +
 * a2·b0·S⁴}, and modulo {@code 2^64} ({@code S³ = 2^63}, {@code S⁴ ≡ 0}) the {@code S²} coefficient,
 * the dot product of the three pairs, sits in bits 42–62 with only bit 63 above it. Summing
 * {@code T} such products lane-wise: every |product| is at most {@code 128·128 = 2^14}, so the part
 * below {@code S²} stays within {@code ±T·(2^36 + 2^14)} and the dot products' sum {@code D} within
 * {@code ±3T·2^14}. Starting the sum from {@code 2^41} makes the low part positive and below
 * {@code 2^42} when {@code T ≤ 21}; then {@code (sum << 1) >> 43} (arithmetic) is exactly {@code D}
 * ({@code |D| < 2^20}, so it survives the shift that drops bit 63). So every {@link #CHUNK}
 * = 21 depth steps (63 depths) the 64-bit sums are reduced to their exact dot products and added to
 * int32 sums, which wrap like the reference's. A depth that is not a multiple of 3 is padded with
 * zeros in both operands.
 *
 * <p><b>Layout.</b> Step {@code q} of {@code k3 = ⌈k/3⌉} packs depths {@code q}, {@code q + k3} and
 * {@code q + 2·k3} (zero at {@code k} and beyond), so a row packs with vectors: three contiguous
 * loads of 8 values widened to longs, two shifts, two adds. B is packed at plan time in column
 * panels of {@link #NR} = 16 (two long vectors), step-major, zero past {@code n} (8 bytes per 3
 * weights, against 4 bytes per weight for the int32 panels). A's rows are packed per call into the
 * caller's long scratch, once for all the panels of the call, from the int8 input itself or from
 * the caller's int rows. The
 * micro-kernel keeps 6 rows × 2 vectors of 64-bit sums in registers; each chunk's dot products are
 * added to the int scratch ({@code MR} rows of {@code NR} ints, the bias first), which
 * {@link Int8Requant#apply} then requantizes to bytes, one channel block per panel.
 *
 * <p><b>Exactness.</b> Every element is the int32 sum of {@code bias[j]} and all
 * {@code A[i][kk]·B[kk][j]} for any int8 values (−128 included on both sides), so C is the
 * reference's for any tiling and thread count ({@code Int8GemmTest} checks this against a scalar
 * loop at the value extremes and across chunk boundaries).
 */
final class Int8SwarPanels implements VectorKernels.Int8Gemm {
  static final VectorSpecies<Long> LS = LongVector.SPECIES_512;
  /** Ints of one long vector's lanes, the shape its dot products are narrowed to. */
  private static final VectorSpecies<Integer> HI = IntVector.SPECIES_256;
  /** Bytes of one long vector's lanes, the shape A's int8 rows are widened from. */
  private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
  /** Long lanes per vector. */
  static final int LL = LS.length();
  /** Columns per panel: two long vectors, one int vector of {@link Int8Requant}. */
  static final int NR = 2 * LL;
  static final int MR = 6;
  /** Depth steps (of three) summed in 64-bit lanes before they are reduced. */
  static final int CHUNK = 21;
  private static final int FIELD = 21;
  private static final long ROUND = 1L << (2 * FIELD - 1);
  private static final int DOT_SHIFT = 2 * FIELD + 1;

  private final int n;
  private final int k;
  /** Depth steps of three: {@code ceil(k / 3)}. */
  private final int steps;
  private final int panels;
  private final long[] packed;
  /** The bias padded to whole panels (zeros without one). */
  private final int[] bias;
  private final Int8Requant rq;

  /**
   * Smallest depth this kernel is chosen for. Below it the fixed costs of a tile (the reduction of
   * twelve 64-bit sums, the bias, a requantization per 16 columns instead of 32) outweigh the
   * cheaper multiply-adds: measured on MobileNetV2's 1×1 layers against {@link Int8Panels}, depth 16
   * 1.53×, 24 1.20×, 32 1.17×, 64 1.04×, 96 0.68–0.91×, 144–960 0.65–0.82× the time.
   */
  static final int MIN_DEPTH = 72;

  /** Whether the platform multiplies 64-bit lanes in 512-bit vectors, and {@code k} is deep enough to gain. */
  static boolean pays(int k) {
    return k >= MIN_DEPTH && supported();
  }

  /** Whether the platform multiplies 64-bit lanes in 512-bit vectors (this class's only use). */
  static boolean supported() {
    return LongVector.SPECIES_PREFERRED.length() >= LL && Int8Requant.L == NR;
  }

  Int8SwarPanels(int n, int k, byte[] w, int off, int[] bias, Int8Requant rq) {
    this.n = n;
    this.k = k;
    this.rq = rq;
    this.steps = (k + 2) / 3;
    this.panels = (n + NR - 1) / NR;
    this.packed = new long[Math.multiplyExact(Math.multiplyExact(panels, steps), NR)];
    for (int p = 0; p < panels; p++) {
      for (int q = 0; q < steps; q++) {
        int at = (p * steps + q) * NR;
        for (int jj = 0; jj < NR && p * NR + jj < n; jj++) {
          int col = off + (p * NR + jj) * k;
          long b0 = w[col + q];
          long b1 = q + steps < k ? w[col + q + steps] : 0;
          long b2 = q + 2 * steps < k ? w[col + q + 2 * steps] : 0;
          packed[at + jj] = b2 + (b1 << FIELD) + (b0 << (2 * FIELD));
        }
      }
    }
    this.bias = new int[panels * NR];
    if (bias != null) {
      System.arraycopy(bias, 0, this.bias, 0, n);
    }
  }

  @Override
  public int panels() {
    return panels;
  }

  @Override
  public int scratchLongs(int rows) {
    return Math.multiplyExact(rows, steps);
  }

  @Override
  public boolean packsRows() {
    return true;
  }

  @Override
  public void compute(int[] s, long[] ls, byte[] a, int aOff, int lda, byte[] c, int cOff, int ldc, int rows, int p0,
      int p1) {
    int k3 = steps;
    // Groups whose three depths all load 8 lanes inside the row, then the rest one at a time.
    int vectors = Math.max(0, (k - 2 * k3) / LL) * LL;
    for (int i = 0; i < rows; i++) {
      int src = aOff + i * lda;
      int dst = i * k3;
      int q = 0;
      for (int d = src; q < vectors; q += LL, d += LL) {
        LongVector x0 = (LongVector) ByteVector.fromArray(B8, a, d).convertShape(B2L, LS, 0);
        LongVector x1 = (LongVector) ByteVector.fromArray(B8, a, d + k3).convertShape(B2L, LS, 0);
        LongVector x2 = (LongVector) ByteVector.fromArray(B8, a, d + 2 * k3).convertShape(B2L, LS, 0);
        x0.add(x1.lanewise(LSHL, FIELD)).add(x2.lanewise(LSHL, 2 * FIELD)).intoArray(ls, dst + q);
      }
      for (; q < k3; q++) {
        long x1 = q + k3 < k ? a[src + q + k3] : 0;
        long x2 = q + 2 * k3 < k ? a[src + q + 2 * k3] : 0;
        ls[dst + q] = a[src + q] + (x1 << FIELD) + (x2 << (2 * FIELD));
      }
    }
    run(s, ls, c, cOff, ldc, rows, p0, p1);
  }

  @Override
  public void compute(int[] s, long[] ls, int[] a, int aOff, int lda, byte[] c, int cOff, int ldc, int rows, int p0,
      int p1) {
    int k3 = steps;
    // Groups whose three depths all load 8 lanes inside the row, then the rest one at a time.
    int vectors = Math.max(0, (k - 2 * k3) / LL) * LL;
    for (int i = 0; i < rows; i++) {
      int src = aOff + i * lda;
      int dst = i * k3;
      int q = 0;
      for (int d = src; q < vectors; q += LL, d += LL) {
        LongVector x0 = (LongVector) IntVector.fromArray(HI, a, d).convertShape(I2L, LS, 0);
        LongVector x1 = (LongVector) IntVector.fromArray(HI, a, d + k3).convertShape(I2L, LS, 0);
        LongVector x2 = (LongVector) IntVector.fromArray(HI, a, d + 2 * k3).convertShape(I2L, LS, 0);
        x0.add(x1.lanewise(LSHL, FIELD)).add(x2.lanewise(LSHL, 2 * FIELD)).intoArray(ls, dst + q);
      }
      for (; q < k3; q++) {
        long x1 = q + k3 < k ? a[src + q + k3] : 0;
        long x2 = q + 2 * k3 < k ? a[src + q + 2 * k3] : 0;
        ls[dst + q] = a[src + q] + (x1 << FIELD) + (x2 << (2 * FIELD));
      }
    }
    run(s, ls, c, cOff, ldc, rows, p0, p1);
  }

  /** Panels {@code [p0, p1)} of the packed rows: blocks of {@link #MR} rows, then single rows. */
  private void run(int[] s, long[] ls, byte[] c, int cOff, int ldc, int rows, int p0, int p1) {
    for (int p = p0; p < p1; p++) {
      int j0 = p * NR;
      int valid = Math.min(NR, n - j0);
      int base = p * steps * NR;
      int i = 0;
      while (i < rows) {
        int block = rows - i >= MR ? MR : 1;
        for (int r = 0; r < block; r++) {
          System.arraycopy(bias, j0, s, r * NR, NR);
        }
        if (block == MR) {
          rows6(ls, i * steps, base, s);
        } else {
          row1(ls, i * steps, base, s);
        }
        rq.apply(s, 0, NR, block, c, cOff + i * ldc + j0, ldc, j0, valid);
        i += block;
      }
    }
  }

  /** Rows {@code [row, row + 6)} of the packed A against one panel: 6 × 16 sums into {@code s}, rows {@code NR} apart. */
  private void rows6(long[] a, int ao, int base, int[] s) {
    long[] bp = packed;
    int k3 = steps;
    int a1 = ao + k3;
    int a2 = a1 + k3;
    int a3 = a2 + k3;
    int a4 = a3 + k3;
    int a5 = a4 + k3;
    for (int q0 = 0; q0 < k3; q0 += CHUNK) {
      int q1 = Math.min(k3, q0 + CHUNK);
      LongVector c00 = LongVector.broadcast(LS, ROUND);
      LongVector c01 = c00;
      LongVector c10 = c00;
      LongVector c11 = c00;
      LongVector c20 = c00;
      LongVector c21 = c00;
      LongVector c30 = c00;
      LongVector c31 = c00;
      LongVector c40 = c00;
      LongVector c41 = c00;
      LongVector c50 = c00;
      LongVector c51 = c00;
      for (int q = q0; q < q1; q++) {
        int bo = base + q * NR;
        LongVector b0 = LongVector.fromArray(LS, bp, bo);
        LongVector b1 = LongVector.fromArray(LS, bp, bo + LL);
        LongVector x = LongVector.broadcast(LS, a[ao + q]);
        c00 = x.mul(b0).add(c00);
        c01 = x.mul(b1).add(c01);
        x = LongVector.broadcast(LS, a[a1 + q]);
        c10 = x.mul(b0).add(c10);
        c11 = x.mul(b1).add(c11);
        x = LongVector.broadcast(LS, a[a2 + q]);
        c20 = x.mul(b0).add(c20);
        c21 = x.mul(b1).add(c21);
        x = LongVector.broadcast(LS, a[a3 + q]);
        c30 = x.mul(b0).add(c30);
        c31 = x.mul(b1).add(c31);
        x = LongVector.broadcast(LS, a[a4 + q]);
        c40 = x.mul(b0).add(c40);
        c41 = x.mul(b1).add(c41);
        x = LongVector.broadcast(LS, a[a5 + q]);
        c50 = x.mul(b0).add(c50);
        c51 = x.mul(b1).add(c51);
      }
      ((IntVector) c00.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, 0)).intoArray(s, 0);
      ((IntVector) c01.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, LL)).intoArray(s, LL);
      ((IntVector) c10.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, NR)).intoArray(s, NR);
      ((IntVector) c11.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, NR + LL)).intoArray(s, NR + LL);
      ((IntVector) c20.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, 2 * NR)).intoArray(s, 2 * NR);
      ((IntVector) c21.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, 2 * NR + LL)).intoArray(s, 2 * NR + LL);
      ((IntVector) c30.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, 3 * NR)).intoArray(s, 3 * NR);
      ((IntVector) c31.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, 3 * NR + LL)).intoArray(s, 3 * NR + LL);
      ((IntVector) c40.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, 4 * NR)).intoArray(s, 4 * NR);
      ((IntVector) c41.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, 4 * NR + LL)).intoArray(s, 4 * NR + LL);
      ((IntVector) c50.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, 5 * NR)).intoArray(s, 5 * NR);
      ((IntVector) c51.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, 5 * NR + LL)).intoArray(s, 5 * NR + LL);
    }
  }

  /** One row of the packed A against one panel, as {@link #rows6}. */
  private void row1(long[] a, int ao, int base, int[] s) {
    long[] bp = packed;
    int k3 = steps;
    for (int q0 = 0; q0 < k3; q0 += CHUNK) {
      int q1 = Math.min(k3, q0 + CHUNK);
      LongVector c0 = LongVector.broadcast(LS, ROUND);
      LongVector c1 = c0;
      for (int q = q0; q < q1; q++) {
        int bo = base + q * NR;
        LongVector x = LongVector.broadcast(LS, a[ao + q]);
        c0 = x.mul(LongVector.fromArray(LS, bp, bo)).add(c0);
        c1 = x.mul(LongVector.fromArray(LS, bp, bo + LL)).add(c1);
      }
      ((IntVector) c0.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, 0)).intoArray(s, 0);
      ((IntVector) c1.lanewise(LSHL, 1).lanewise(ASHR, DOT_SHIFT).convertShape(L2I, HI, 0))
          .add(IntVector.fromArray(HI, s, LL)).intoArray(s, LL);
    }
  }
}
