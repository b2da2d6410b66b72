package dev.topiary.quantization;

/**
 * IEEE 754 binary16 conversions, written out because Android lacks the JDK 20
 * {@code Float.floatToFloat16}. Bit-exact with the IEEE rules: round to nearest, ties to even;
 * overflow to infinity; subnormals kept; NaN stays NaN (quiet).
 */
public final class Float16 {
  private Float16() {}

  /** Widens the half-precision bits {@code h} to a float (exact). */
  public static float toFloat(short h) {
    int bits = h & 0xFFFF;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1F;
    int mant = bits & 0x3FF;
    if (exp == 0x1F) {
      // Infinity or NaN: keep the payload's top bits and make NaNs quiet.
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13) | (mant != 0 ? 0x400000 : 0));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      // Subnormal: value = mant × 2^-24, exact in float.
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    // Normal: rebias exponent from 15 to 127.
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** Narrows {@code f} to half-precision bits, rounding to nearest even. */
  public static short fromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xFF;
    int mant = bits & 0x7FFFFF;
    if (exp == 0xFF) {
      // Infinity stays infinity; NaN keeps its top payload bits and stays NaN (quiet bit set).
      return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
    }
    int e = exp - 127 + 15; // Half-precision biased exponent.
    if (e >= 0x1F) {
      return (short) (sign | 0x7C00); // Overflow: infinity.
    }
    if (e <= 0) {
      // Subnormal or zero in half precision. Shift the full 24-bit significand right so that the
      // result counts units of 2^-24, then round to nearest even on the bits shifted out.
      if (e < -10) {
        return (short) sign; // Below half the smallest subnormal: rounds to zero.
      }
      int sig = mant | 0x800000;
      int shift = 14 - e; // 13 to drop float's extra bits, plus 1 - e for the denormal shift.
      int half = sig >>> shift;
      int rem = sig & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    // Normal: drop 13 mantissa bits with round to nearest even; a carry may bump the exponent,
    // possibly to infinity, which is the correct rounding.
    int h = (e << 10) | (mant >>> 13);
    int rem = mant & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
      h++;
    }
    return (short) (sign | h);
  }
}
