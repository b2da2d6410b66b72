package dev.topiary.vector;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2B;
import static jdk.incubator.vector.VectorOperators.LSHL;

import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.quantization.FixedPoint;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * TFLite's int8 Add of two tensors of the same shape, on whole vectors: per element
 * {@code y = clamp(MBQM(MBQM((a − za)·2^20, ma) + MBQM((b − zb)·2^20, mb), my) + zy, lo, hi)},
 * with the three multiplications by a quantized multiplier (MBQM) taken as {@link Int8Requant}
 * takes them (the rounding doubling high multiply in 64-bit lanes, even and odd int lanes apart, then
 * the rounding right shift), but with one multiplier for all lanes. Every multiplier is below one
 * (a shift ≤ 0, checked when the node is bound), so there is no left shift. Bit-identical to
 * {@code FixedPoint.multiplyByQuantizedMultiplier} per element ({@code Int8VectorAddTest} runs
 * every pair of int8 values); the elements past the last whole vector take that scalar path.
 *
 * <p>Measured on MobileNetV2's residual Adds (56×56×24 and smaller), against the 64 KiB lookup
 * table of the C2 path ({@code Int8Binary}): see docs/BENCHMARKS.md, "Three products per 64-bit
 * lane".
 */
final class Int8VectorAdd implements VectorKernels.Int8Add {
  private static final VectorSpecies<Integer> I = Int8Requant.I;
  private static final VectorSpecies<Byte> B = Int8Requant.B;
  private static final int L = I.length();
  /** The odd int lanes, which are the high halves of the long lanes (little-endian). */
  private static final VectorMask<Integer> ODD = VectorMask.fromLong(I, 0xAAAAAAAAAAAAAAAAL);
  private static final int LEFT = 20;

  private final int za;
  private final int zb;
  private final int zy;
  private final int lo;
  private final int hi;
  private final FixedPoint.Multiplier ma;
  private final FixedPoint.Multiplier mb;
  private final FixedPoint.Multiplier my;

  Int8VectorAdd(int za, FixedPoint.Multiplier ma, int zb, FixedPoint.Multiplier mb, FixedPoint.Multiplier my, int zy,
      int lo, int hi) {
    for (FixedPoint.Multiplier m : new FixedPoint.Multiplier[] {ma, mb, my}) {
      if (m.shift > 0 || m.shift < -31 || m.multiplier < 0) {
        throw new IllegalArgumentException("an int8 Add multiplier must be below one, got " + m);
      }
    }
    this.za = za;
    this.zb = zb;
    this.zy = zy;
    this.lo = lo;
    this.hi = hi;
    this.ma = ma;
    this.mb = mb;
    this.my = my;
  }

  @Override
  public void compute(byte[] a, int ao, byte[] b, int bo, byte[] y, int yo, int count) {
    long mA = ma.multiplier;
    long mB = mb.multiplier;
    long mY = my.multiplier;
    int rA = -ma.shift;
    int rB = -mb.shift;
    int rY = -my.shift;
    int maskA = (int) ((1L << rA) - 1);
    int maskB = (int) ((1L << rB) - 1);
    int maskY = (int) ((1L << rY) - 1);
    int i = 0;
    for (; i + L <= count; i += L) {
      IntVector va = (IntVector) ByteVector.fromArray(B, a, ao + i).convertShape(B2I, I, 0);
      IntVector vb = (IntVector) ByteVector.fromArray(B, b, bo + i).convertShape(B2I, I, 0);
      // MBQM((a − za)·2^20, ma): the high multiply, then the rounding shift.
      LongVector x = va.sub(za).lanewise(LSHL, LEFT).reinterpretAsLongs();
      IntVector h = x.lanewise(LSHL, 32).lanewise(ASHR, 32).mul(mA).add(1L << 30).lanewise(ASHR, 31).reinterpretAsInts()
          .blend(x.lanewise(ASHR, 32).mul(mA).add(1L << 30).lanewise(LSHL, 1).reinterpretAsInts(), ODD);
      IntVector sa = h.lanewise(ASHR, rA)
          .sub(IntVector.broadcast(I, maskA >> 1).sub(h.lanewise(ASHR, 31)).sub(h.and(maskA)).lanewise(ASHR, 31));
      x = vb.sub(zb).lanewise(LSHL, LEFT).reinterpretAsLongs();
      h = x.lanewise(LSHL, 32).lanewise(ASHR, 32).mul(mB).add(1L << 30).lanewise(ASHR, 31).reinterpretAsInts()
          .blend(x.lanewise(ASHR, 32).mul(mB).add(1L << 30).lanewise(LSHL, 1).reinterpretAsInts(), ODD);
      IntVector sb = h.lanewise(ASHR, rB)
          .sub(IntVector.broadcast(I, maskB >> 1).sub(h.lanewise(ASHR, 31)).sub(h.and(maskB)).lanewise(ASHR, 31));
      x = sa.add(sb).reinterpretAsLongs();
      h = x.lanewise(LSHL, 32).lanewise(ASHR, 32).mul(mY).add(1L << 30).lanewise(ASHR, 31).reinterpretAsInts()
          .blend(x.lanewise(ASHR, 32).mul(mY).add(1L << 30).lanewise(LSHL, 1).reinterpretAsInts(), ODD);
      IntVector v = h.lanewise(ASHR, rY)
          .sub(IntVector.broadcast(I, maskY >> 1).sub(h.lanewise(ASHR, 31)).sub(h.and(maskY)).lanewise(ASHR, 31));
      ((ByteVector) v.add(zy).max(lo).min(hi).convertShape(I2B, B, 0)).intoArray(y, yo + i);
    }
    for (; i < count; i++) {
      int sa = ma.apply((a[ao + i] - za) * (1 << LEFT));
      int sb = mb.apply((b[bo + i] - zb) * (1 << LEFT));
      y[yo + i] = (byte) Math.max(lo, Math.min(hi, my.apply(sa + sb) + zy));
    }
  }
}
