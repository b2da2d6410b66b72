package dev.topiary.vector;

import dev.topiary.quantization.QuantParams;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * FLOAT32 → INT8 quantization, {@code clamp(round_half_away(x / scale) + zp, −128, 127)}, with the
 * bits of {@code QuantParams.quantize} (which rounds in double).
 *
 * <p>The quotient is the same IEEE division. Rounding half away from zero is done without adding
 * 0.5 in float (which rounds {@code 0.49999997f + 0.5f} up to 1): first the quotient is clamped
 * to ±1000 (any value beyond saturates anyway, and the later int arithmetic cannot overflow; NaN
 * stays NaN), {@code t = (int) q} truncates toward zero, {@code f = q − t} is exact, and {@code t}
 * moves one step away from zero when {@code |f| ≥ 0.5}. NaN converts to 0 with {@code f} NaN, so
 * it gives {@code zp}, as the reference; ±∞ saturate to 127 / −128.
 */
final class Int8Quantize {
  private static final VectorSpecies<Float> F = FloatVectorKernels.S;
  private static final VectorSpecies<Integer> I = Int8Requant.I;
  private static final VectorSpecies<Byte> B = Int8Requant.B;
  private static final int L = F.length();

  private Int8Quantize() {}

  static void run(float[] in, int inOff, byte[] out, int outOff, int n, float scale, int zp) {
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector raw = FloatVector.fromArray(F, in, inOff + i).div(scale);
      FloatVector q = raw.max(-1000f).min(1000f);
      IntVector t = (IntVector) q.convertShape(VectorOperators.F2I, I, 0);
      FloatVector f = q.sub((FloatVector) t.convertShape(VectorOperators.I2F, F, 0));
      VectorMask<Integer> up = f.compare(VectorOperators.GE, 0.5f).cast(I);
      VectorMask<Integer> down = f.compare(VectorOperators.LE, -0.5f).cast(I);
      t = t.add(1, up).sub(1, down).add(zp).max(-128).min(127);
      ((ByteVector) t.convertShape(VectorOperators.I2B, B, 0)).intoArray(out, outOff + i);
    }
    for (; i < n; i++) {
      long r = QuantParams.roundHalfAwayFromZero(in[inOff + i] / scale);
      r = Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, r));
      out[outOff + i] = (byte) Math.max(-128, Math.min(127, r + zp));
    }
  }
}
