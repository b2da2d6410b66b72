package dev.topiary.vector;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * TFLite's int8 epilogue {@code clamp(MBQM(acc, m[j], shift[j]) + zp, lo, hi)} on whole vectors of
 * int32 accumulators, channel {@code j} per lane, bit-identical to
 * {@code FixedPoint.multiplyByQuantizedMultiplier} for every int input, multiplier in
 * {@code [0, 2^31)} and shift in {@code [−31, 30]}.
 *
 * <p>Per lane, with {@code left = max(shift, 0)}, {@code right = max(−shift, 0)}:
 * <ol>
 * <li>{@code v = acc << left}: a per-lane shift ({@code vpsllvd}), wrapping like the reference's
 *     {@code x·2^left}.
 * <li>{@code high = ⌊(v·m + 2^30) / 2^31⌋}: gemmlowp's rounding doubling high multiply (its
 *     truncating division with a sign-dependent nudge is this floor; with {@code m ≥ 0} it never
 *     saturates). The 64-bit products are taken in long lanes without any cross-lane shuffle: the
 *     int vector is reinterpreted as longs, whose low halves are the even lanes (sign-extended by
 *     {@code << 32 >> 32}) and high halves the odd lanes ({@code >> 32}); each half is multiplied
 *     by its lanes' multipliers (stored as longs at plan time); the even lanes' {@code high} is the
 *     low half of {@code X >> 31}, the odd lanes' the high half of {@code X << 1}
 *     ({@code X = v·m + 2^30}), and one blend of the two reinterpreted as ints is {@code high}.
 * <li>{@code high >> right} rounded half away from zero: a per-lane arithmetic shift
 *     ({@code vpsravd}), plus 1 when the bits shifted out, {@code high & mask}, exceed
 *     {@code mask/2 + (high < 0 ? 1 : 0)} (the comparison taken from the sign of the difference,
 *     both sides being in {@code [0, 2^30]}).
 * </ol>
 * The constants are laid out per channel, padded with zeros to whole vector pairs, so any aligned
 * block of {@code L} channels loads without a mask.
 */
final class Int8Requant {
  static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  static final int L = I.length();
  static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED.withShape(I.vectorShape());
  /** Bytes with one lane per int lane: the species the results are narrowed to. */
  static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 8));

  /** The odd int lanes, which are the high halves of the long lanes (little-endian). */
  private static final VectorMask<Integer> ODD = VectorMask.fromLong(I, 0xAAAAAAAAAAAAAAAAL);

  private final int[] left;
  private final long[] mEven;
  private final long[] mOdd;
  private final int[] right;
  private final int[] mask;
  private final int[] half;
  /** Whether any channel shifts left (a multiplier ≥ 1); usually none, and the shift is skipped. */
  private final boolean anyLeft;
  private final int zp;
  private final int lo;
  private final int hi;
  /** Lanes of a last block of {@code n % L} channels, or null. */
  final VectorMask<Byte> tail;

  /** Channels {@code [0, n)}, constants padded to {@code padded} channels (a multiple of {@code 2·L}). */
  Int8Requant(int n, int padded, int[] mult, int[] shift, int zp, int lo, int hi) {
    this.left = new int[padded];
    this.mEven = new long[padded / 2];
    this.mOdd = new long[padded / 2];
    this.right = new int[padded];
    this.mask = new int[padded];
    this.half = new int[padded];
    for (int j = 0; j < n; j++) {
      int s = shift[j];
      left[j] = s > 0 ? s : 0;
      int r = s > 0 ? 0 : -s;
      right[j] = r;
      mask[j] = (int) ((1L << r) - 1);
      half[j] = mask[j] >> 1;
      if (j % 2 == 0) {
        mEven[j / 2] = mult[j];
      } else {
        mOdd[j / 2] = mult[j];
      }
    }
    boolean any = false;
    for (int j = 0; j < n; j++) {
      any |= left[j] != 0;
    }
    this.anyLeft = any;
    this.zp = zp;
    this.lo = lo;
    this.hi = hi;
    this.tail = n % L == 0 ? null : B.indexInRange(0, n % L);
  }

  static int pad(int n) {
    return (n + 2 * L - 1) / (2 * L) * (2 * L);
  }

  /**
   * Requantizes {@code rows} rows of {@code count} channels {@code [j0, j0 + count)} ({@code j0} a
   * multiple of {@code L}): row {@code r}'s accumulators at {@code acc[a + r·aStride]}, its bytes to
   * {@code out[o + r·oStride]}. When {@code count} is not a multiple of {@code L} the last block is
   * the channels' last, stored under {@link #tail}; the accumulators are read a whole vector past
   * it. Channel blocks outside, rows inside: a block's constants are loaded once for all the rows
   * (called per row, the loads and the call cost as much as the arithmetic for a narrow panel).
   * The only place the arithmetic is written: one call site per kernel, so C2 inlines it and no
   * vector escapes.
   */
  void apply(int[] acc, int a, int aStride, int rows, byte[] out, int o, int oStride, int j0, int count) {
    for (int at = 0; at < count; at += L) {
      int j = j0 + at;
      IntVector shl = IntVector.fromArray(I, left, j);
      LongVector me = LongVector.fromArray(LS, mEven, j / 2);
      LongVector mo = LongVector.fromArray(LS, mOdd, j / 2);
      IntVector hv = IntVector.fromArray(I, half, j);
      IntVector mv = IntVector.fromArray(I, mask, j);
      IntVector shr = IntVector.fromArray(I, right, j);
      boolean whole = at + L <= count;
      for (int r = 0; r < rows; r++) {
        IntVector v = IntVector.fromArray(I, acc, a + r * aStride + at);
        if (anyLeft) {
          v = v.lanewise(VectorOperators.LSHL, shl);
        }
        LongVector lv = v.reinterpretAsLongs();
        IntVector even = lv.lanewise(VectorOperators.LSHL, 32).lanewise(VectorOperators.ASHR, 32)
            .mul(me).add(1L << 30).lanewise(VectorOperators.ASHR, 31).reinterpretAsInts();
        IntVector odd = lv.lanewise(VectorOperators.ASHR, 32)
            .mul(mo).add(1L << 30).lanewise(VectorOperators.LSHL, 1).reinterpretAsInts();
        IntVector high = even.blend(odd, ODD);
        IntVector threshold = hv.sub(high.lanewise(VectorOperators.ASHR, 31));
        IntVector remainder = high.and(mv);
        IntVector q = high.lanewise(VectorOperators.ASHR, shr)
            .sub(threshold.sub(remainder).lanewise(VectorOperators.ASHR, 31));
        ByteVector b = (ByteVector) q.add(zp).max(lo).min(hi).convertShape(VectorOperators.I2B, B, 0);
        if (whole) {
          b.intoArray(out, o + r * oStride + at);
        } else {
          b.intoArray(out, o + r * oStride + at, tail);
        }
      }
    }
  }
}
