package dev.topiary.quantization;

/**
 * Fixed-point requantization exactly as TensorFlow Lite's reference kernels (and gemmlowp) do it,
 * so that int8 kernels built on it give TFLite's bits.
 *
 * <p>A real multiplier {@code M > 0} (typically {@code input_scale × weight_scale / output_scale}) is
 * stored as a Q0.31 significand {@code m ∈ [2^30, 2^31)} and a power-of-two exponent {@code shift}
 * with {@code M ≈ m × 2^(shift − 31)} ({@link #quantizeMultiplier}). An int32 accumulator {@code x}
 * is then scaled by {@code M} with {@link #multiplyByQuantizedMultiplier}: a left shift for
 * {@code shift > 0}, a rounding doubling high multiply by {@code m}, then a rounding right shift for
 * {@code shift < 0}. The high multiply rounds ties toward +∞, the right shift rounds ties away
 * from zero; the result is rounded twice ({@code 13 × 0.25} gives 4, not 3), which is TFLite's
 * arithmetic and not the exactly rounded {@code x·M}: callers that need TFLite's bits must not
 * "improve" it.
 *
 * <p>Java's {@code int} arithmetic wraps on overflow and its integer division truncates toward
 * zero, exactly as the two's-complement C++ these functions transcribe.
 */
public final class FixedPoint {
  private FixedPoint() {}

  /**
   * A quantized multiplier: {@code real ≈ multiplier × 2^(shift − 31)}, {@code multiplier} in
   * {@code [2^30, 2^31)} (or 0 for a zero real multiplier). Immutable.
   */
  public static final class Multiplier {
    /** The Q0.31 significand. */
    public final int multiplier;
    /** The power-of-two exponent: positive shifts left, negative shifts right. */
    public final int shift;

    public Multiplier(int multiplier, int shift) {
      this.multiplier = multiplier;
      this.shift = shift;
    }

    /** {@link FixedPoint#multiplyByQuantizedMultiplier} with this multiplier. */
    public int apply(int x) {
      return multiplyByQuantizedMultiplier(x, multiplier, shift);
    }

    /** The real value this multiplier stands for, {@code multiplier × 2^(shift − 31)}. */
    public double real() {
      return multiplier * Math.pow(2, shift - 31);
    }

    @Override
    public String toString() {
      return "Multiplier{" + multiplier + " × 2^(" + shift + " − 31)}";
    }
  }

  /**
   * TFLite's {@code QuantizeMultiplier}: splits {@code real} into a Q0.31 significand and an
   * exponent.
   *
   * @throws IllegalArgumentException if {@code real} is negative, NaN or infinite
   */
  public static Multiplier quantizeMultiplier(double real) {
    if (!(real >= 0) || Double.isInfinite(real)) {
      throw new IllegalArgumentException("multiplier must be finite and >= 0, got " + real);
    }
    if (real == 0) {
      return new Multiplier(0, 0);
    }
    // frexp: real = q × 2^shift with q in [0.5, 1). Math.getExponent gives e with real in
    // [2^e, 2^(e+1)), so shift = e + 1. Subnormal doubles (e = −1023) are far below the 2^−31
    // flush threshold handled at the end, so their imprecise exponent does not matter.
    int shift = Math.getExponent(real) + 1;
    double q = real / Math.pow(2, shift);
    if (q < 0.5 || q >= 1) {
      // Only reachable for subnormals: flushed to zero below anyway.
      return new Multiplier(0, 0);
    }
    // q × 2^31 is in [2^30, 2^31); TfLiteRound (std::round) rounds half away from zero, and since
    // q > 0 that is floor(v + 0.5). The product is exact in double (a power-of-two scaling), so this
    // is the only rounding of the significand.
    long qFixed = (long) Math.floor(q * (1L << 31) + 0.5);
    if (qFixed == (1L << 31)) {
      // q rounded up to 1.0: renormalize to 0.5 × 2^(shift + 1).
      qFixed /= 2;
      shift++;
    }
    if (shift < -31) {
      // Every bit would be shifted out: TFLite flushes such tiny multipliers to zero.
      return new Multiplier(0, 0);
    }
    return new Multiplier((int) qFixed, shift);
  }

  /**
   * gemmlowp's {@code SaturatingRoundingDoublingHighMul}: the high 32 bits of {@code 2·a·b}
   * rounded to nearest with ties toward +∞, i.e. {@code floor(a·b / 2^31 + ½)} (the scalar twin
   * of ARM's {@code VQRDMULH}). The only overflow, {@code a = b = −2^31} (whose true result is
   * {@code +2^31}), saturates to {@code 2^31 − 1}.
   */
  public static int saturatingRoundingDoublingHighMul(int a, int b) {
    boolean overflow = a == b && a == Integer.MIN_VALUE;
    long ab = (long) a * (long) b; // exact: |a·b| ≤ 2^62
    // Add half the divisor 2^31, then divide truncating toward zero. For ab ≥ 0 that is
    // floor((ab + 2^30) / 2^31). For ab < 0 the nudge is 1 − 2^30: truncation toward zero of a
    // negative quotient is a ceiling, and ceil((ab + 1 − 2^30) / 2^31) = floor((ab + 2^30) / 2^31)
    // for integers, so both signs round half up: −1.5 → −1, +1.5 → +2.
    long nudge = ab >= 0 ? (1L << 30) : (1L - (1L << 30));
    int high = (int) ((ab + nudge) / (1L << 31));
    return overflow ? Integer.MAX_VALUE : high;
  }

  /**
   * gemmlowp's {@code RoundingDivideByPOT}: {@code x / 2^exponent} rounded half away from zero,
   * for {@code exponent} in [0, 31].
   */
  public static int roundingDivideByPOT(int x, int exponent) {
    if (exponent < 0 || exponent > 31) {
      throw new IllegalArgumentException("exponent must be in [0, 31], got " + exponent);
    }
    int mask = (int) ((1L << exponent) - 1);
    // The bits shifted out. With an arithmetic shift, x >> e is floor(x / 2^e) and remainder is
    // x − floor(x / 2^e)·2^e ∈ [0, 2^e).
    int remainder = x & mask;
    // Round up when the remainder exceeds half (mask >> 1 = 2^(e−1) − 1, so "remainder > threshold"
    // is "remainder ≥ 2^(e−1)", ties up) — except that for negative x a tie must go down (away from
    // zero), so the threshold is one higher there.
    int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
  }

  /**
   * TFLite's {@code MultiplyByQuantizedMultiplier}: {@code x × multiplier × 2^(shift − 31)} with
   * TFLite's two roundings. {@code shift} in [−31, 30].
   */
  public static int multiplyByQuantizedMultiplier(int x, int multiplier, int shift) {
    int leftShift = shift > 0 ? shift : 0;
    int rightShift = shift > 0 ? 0 : -shift;
    // 1. Left shift for multipliers ≥ 1: exact unless x·2^shift overflows int32, where it wraps
    //    (as the C++ does on two's-complement hardware; the converter never produces such inputs).
    // 2. High multiply: floor(x'·m / 2^31 + ½), the first rounding (ties toward +∞).
    // 3. Right shift for multipliers < 0.5: the second rounding, half away from zero.
    return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x * (1 << leftShift), multiplier), rightShift);
  }

  /** {@link #multiplyByQuantizedMultiplier} with a {@link Multiplier}. */
  public static int multiplyByQuantizedMultiplier(int x, Multiplier m) {
    return multiplyByQuantizedMultiplier(x, m.multiplier, m.shift);
  }
}
