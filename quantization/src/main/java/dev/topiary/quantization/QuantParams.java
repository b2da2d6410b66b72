package dev.topiary.quantization;

import java.util.Arrays;

/**
 * Affine quantization parameters, per tensor or per channel along one axis.
 *
 * <p>The contract: {@code real = scale × (q − zero_point)}. For per-axis parameters, element
 * {@code i} of channel {@code c} (its index along {@link #axis()}) uses {@code scale[c]} and
 * {@code zeroPoint[c]}.
 *
 * <p>Quantizing rounds half away from zero (as C's {@code round}, which TensorFlow Lite uses) and
 * clamps to {@code [qmin, qmax]}. Immutable.
 */
public final class QuantParams {
  private final float[] scales;
  private final int[] zeroPoints;
  private final int axis;

  private QuantParams(float[] scales, int[] zeroPoints, int axis) {
    if (scales.length == 0 || scales.length != zeroPoints.length) {
      throw new IllegalArgumentException(
          "need as many zero points as scales (>= 1), got " + scales.length + " and " + zeroPoints.length);
    }
    for (int i = 0; i < scales.length; i++) {
      if (!(scales[i] > 0) || Float.isInfinite(scales[i])) {
        throw new IllegalArgumentException("scale " + i + " must be finite and > 0, got " + scales[i]);
      }
    }
    this.scales = scales;
    this.zeroPoints = zeroPoints;
    this.axis = axis;
  }

  /** Per-tensor parameters. */
  public static QuantParams perTensor(float scale, int zeroPoint) {
    return new QuantParams(new float[] {scale}, new int[] {zeroPoint}, -1);
  }

  /** Per-channel parameters along {@code axis} (≥ 0). */
  public static QuantParams perAxis(float[] scales, int[] zeroPoints, int axis) {
    if (axis < 0) {
      throw new IllegalArgumentException("axis must be >= 0, got " + axis);
    }
    return new QuantParams(scales.clone(), zeroPoints.clone(), axis);
  }

  /** True when one scale covers the whole tensor. */
  public boolean isPerTensor() {
    return axis < 0;
  }

  /** Channel axis of per-axis parameters, or -1 for per-tensor parameters. */
  public int axis() {
    return axis;
  }

  /** Number of (scale, zero point) pairs: 1, or the channel count. */
  public int channels() {
    return scales.length;
  }

  public float scale(int channel) {
    return scales[channel];
  }

  public int zeroPoint(int channel) {
    return zeroPoints[channel];
  }

  /** A copy of the scales. */
  public float[] scales() {
    return scales.clone();
  }

  /** A copy of the zero points. */
  public int[] zeroPoints() {
    return zeroPoints.clone();
  }

  /** {@code clamp(round_half_away(real / scale) + zero_point, qmin, qmax)} for one channel. */
  public int quantize(float real, int channel, int qmin, int qmax) {
    float scaled = real / scales[channel];
    // Clamped to the int range before the zero point is added: ±∞ saturate to ±2^63, and adding
    // a zero point there would wrap (+∞ with zp > 0 became qmin).
    long r = Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, roundHalfAwayFromZero(scaled)));
    long q = r + zeroPoints[channel];
    return (int) Math.max(qmin, Math.min(qmax, q));
  }

  /** {@code scale × (q − zero_point)} for one channel. */
  public float dequantize(int q, int channel) {
    return scales[channel] * (q - zeroPoints[channel]);
  }

  /** Rounds half away from zero; NaN maps to 0, infinities saturate to the long range. */
  public static long roundHalfAwayFromZero(float x) {
    if (Float.isNaN(x)) {
      return 0;
    }
    double d = x;
    return (long) (d >= 0 ? Math.floor(d + 0.5) : -Math.floor(-d + 0.5));
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof QuantParams)) {
      return false;
    }
    QuantParams q = (QuantParams) o;
    return axis == q.axis && Arrays.equals(scales, q.scales) && Arrays.equals(zeroPoints, q.zeroPoints);
  }

  @Override
  public int hashCode() {
    return (Arrays.hashCode(scales) * 31 + Arrays.hashCode(zeroPoints)) * 31 + axis;
  }

  @Override
  public String toString() {
    return isPerTensor()
        ? "QuantParams{scale=" + scales[0] + ", zeroPoint=" + zeroPoints[0] + "}"
        : "QuantParams{axis=" + axis + ", channels=" + scales.length + "}";
  }
}
