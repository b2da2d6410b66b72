package dev.topiary.quantization;

/**
 * Per-channel scales as 8-bit logarithmic codes relative to the largest scale of the tensor, the
 * compact form in which artifacts (format 1.3) store them:
 * {@code scale(max, k) ≈ max × 2^(−k/32)}, {@code k ∈ [0, 255]}, i.e. 32 steps per octave (about
 * 2.2 % apart) over a range of almost 2^8.
 *
 * <pre>{@code
 * float[] s = LogScales.roundUp(rawScales);        // every s[c] >= rawScales[c], representable
 * float max = LogScales.max(s);
 * byte code = (byte) LogScales.code(max, s[3]);    // exact; decode(max, code) == s[3]
 * }</pre>
 *
 * <p>Decoding is defined bit-exactly so that every reader computes the same float:
 * with {@code k = 32q + j}, {@code decode(max, k)} is the exact product
 * {@code max × T[j] × 2^(−q)} rounded once to the nearest float32 (ties to even), where {@code T[j]}
 * is the float32 nearest to {@code 2^(−j/32)} (the table {@link #fraction}). The product of two
 * float32 values is exact in a double and the power of two only shifts the exponent, so computing
 * it in double and rounding to float is that single rounding.
 */
public final class LogScales {
  /** Codes per octave. */
  public static final int STEPS_PER_OCTAVE = 32;
  /** Largest code. */
  public static final int MAX_CODE = 255;

  /** Bits of the float32 nearest to {@code 2^(−j/32)}, j = 0..31. */
  private static final int[] FRACTION_BITS = {
    0x3f800000, 0x3f7a83b3, 0x3f75257d, 0x3f6fe4ba, 0x3f6ac0c7, 0x3f65b907, 0x3f60ccdf, 0x3f5bfbb8,
    0x3f5744fd, 0x3f52a81e, 0x3f4e248c, 0x3f49b9be, 0x3f45672a, 0x3f412c4d, 0x3f3d08a4, 0x3f38fbaf,
    0x3f3504f3, 0x3f3123f6, 0x3f2d583f, 0x3f29a15b, 0x3f25fed7, 0x3f227043, 0x3f1ef532, 0x3f1b8d3a,
    0x3f1837f0, 0x3f14f4f0, 0x3f11c3d3, 0x3f0ea43a, 0x3f0b95c2, 0x3f08980f, 0x3f05aac3, 0x3f02cd87,
  };

  private LogScales() {}

  /** {@code T[j]}, the float32 nearest to {@code 2^(−j/32)}, for {@code j ∈ [0, 32)}. */
  public static float fraction(int j) {
    return Float.intBitsToFloat(FRACTION_BITS[j]);
  }

  /**
   * The scale code {@code k} stands for: {@code max × T[k % 32] × 2^(−(k / 32))}, rounded once to
   * float32. Non-increasing in {@code k}; {@code decode(max, 0) == max}.
   *
   * @throws IllegalArgumentException if {@code code} is outside {@code [0, 255]}
   */
  public static float decode(float max, int code) {
    if (code < 0 || code > MAX_CODE) {
      throw new IllegalArgumentException("scale code " + code + " is outside [0, " + MAX_CODE + "]");
    }
    // float × float is exact in double (24 + 24 < 53 mantissa bits); 2^−q (q ≤ 7) is exact too.
    double exact = (double) max * fraction(code % STEPS_PER_OCTAVE) * (1.0 / (1 << (code / STEPS_PER_OCTAVE)));
    return (float) exact;
  }

  /** The largest value of {@code scales}. */
  public static float max(float[] scales) {
    float m = scales[0];
    for (float s : scales) {
      m = Math.max(m, s);
    }
    return m;
  }

  /** The code {@code k} with {@code decode(max, k) == scale} (bitwise), or −1 if there is none. */
  public static int code(float max, float scale) {
    if (!(scale > 0) || !(scale <= max)) {
      return -1;
    }
    int k = codeAtLeast(max, scale);
    return Float.floatToIntBits(decode(max, k)) == Float.floatToIntBits(scale) ? k : -1;
  }

  /**
   * The largest code whose scale is at least {@code scale} (so that rounding a scale up to it never
   * clips a value), or {@link #MAX_CODE} when even that one is larger.
   *
   * @throws IllegalArgumentException unless {@code 0 < scale <= max} and both are finite
   */
  public static int codeAtLeast(float max, float scale) {
    if (!(scale > 0) || !(scale <= max) || Float.isInfinite(max)) {
      throw new IllegalArgumentException("need 0 < scale <= max (finite), got scale " + scale + ", max " + max);
    }
    double octaves = Math.log((double) max / scale) / Math.log(2);
    int k = (int) Math.max(0, Math.min(MAX_CODE, Math.floor(octaves * STEPS_PER_OCTAVE)));
    // The estimate can be one off either way: settle it on the exact decoded values.
    while (k > 0 && decode(max, k) < scale) {
      k--;
    }
    while (k < MAX_CODE && decode(max, k + 1) >= scale) {
      k++;
    }
    return k;
  }

  /**
   * Each scale rounded up to the nearest value representable relative to the largest of them, so
   * that the result can be stored as codes and nothing quantized with it clips.
   *
   * @throws IllegalArgumentException if a scale is not finite and positive
   */
  public static float[] roundUp(float[] scales) {
    for (int c = 0; c < scales.length; c++) {
      if (!(scales[c] > 0) || Float.isInfinite(scales[c])) {
        throw new IllegalArgumentException("scale " + c + " is " + scales[c] + " (must be finite and > 0)");
      }
    }
    float[] out = new float[scales.length];
    if (scales.length == 0) {
      return out;
    }
    float max = max(scales);
    for (int c = 0; c < scales.length; c++) {
      out[c] = decode(max, codeAtLeast(max, scales[c]));
    }
    return out;
  }
}
