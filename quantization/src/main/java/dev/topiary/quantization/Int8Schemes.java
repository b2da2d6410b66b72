package dev.topiary.quantization;

/**
 * Choosing int8 quantization parameters as the TensorFlow Lite int8 specification wants them:
 * asymmetric per-tensor activations in {@code [−128, 127]} whose range always contains an exactly
 * representable zero, symmetric per-channel weights in {@code [−127, 127]} with zero point 0, and
 * int32 biases with {@code scale = input_scale × weight_scale[c]} and zero point 0.
 *
 * <pre>{@code
 * QuantParams act = Int8Schemes.activation(-1.5f, 6f);          // from calibration min/max
 * QuantParams w = Int8Schemes.symmetricPerChannel(weights, 64);  // axis 0, 64 output channels
 * byte[] wq = Int8Schemes.quantize(weights, w, -127, 127);
 * int[] bq = Int8Schemes.quantizeBias(bias, act.scale(0), w);
 * }</pre>
 */
public final class Int8Schemes {
  /** int8 activation range. */
  public static final int QMIN = -128;
  public static final int QMAX = 127;
  /** Symmetric weight range: −128 is left out so that negation stays in range. */
  public static final int WEIGHT_QMAX = 127;

  private Int8Schemes() {}

  /**
   * Asymmetric per-tensor parameters covering {@code [min, max]} (widened to contain 0), with the
   * zero point chosen and rounded as TFLite's {@code ChooseQuantizationParams}: the range maps onto
   * 255 steps, and the zero point is taken from whichever end gives the smaller rounding error,
   * then rounded and clamped to {@code [−128, 127]} so that real 0 is exactly {@code q = zp}.
   *
   * @throws IllegalArgumentException if {@code min} or {@code max} is NaN or infinite, or min > max
   */
  public static QuantParams activation(float min, float max) {
    if (Float.isNaN(min) || Float.isNaN(max) || Float.isInfinite(min) || Float.isInfinite(max) || min > max) {
      throw new IllegalArgumentException("need a finite range min <= max, got [" + min + ", " + max + "]");
    }
    double rmin = Math.min(min, 0f);
    double rmax = Math.max(max, 0f);
    if (rmin == rmax) {
      // All zeros: any scale represents the data; 1 keeps later divisions harmless.
      return QuantParams.perTensor(1f, 0);
    }
    double scale = (rmax - rmin) / (QMAX - QMIN);
    double zpFromMin = QMIN - rmin / scale;
    double zpFromMax = QMAX - rmax / scale;
    double errMin = Math.abs((double) QMIN) + Math.abs(rmin / scale);
    double errMax = Math.abs((double) QMAX) + Math.abs(rmax / scale);
    double zp = errMin < errMax ? zpFromMin : zpFromMax;
    // TfLiteRound: half away from zero (Math.round would send −0.5 to 0).
    int nudged = zp < QMIN ? QMIN : zp > QMAX ? QMAX
        : (int) (zp >= 0 ? Math.floor(zp + 0.5) : -Math.floor(-zp + 0.5));
    return QuantParams.perTensor((float) scale, nudged);
  }

  /**
   * Symmetric per-channel parameters for weights whose axis 0 has {@code channels} entries (the
   * layout of {@code [O,KH,KW,I]} and {@code [N,K]}): {@code scale[c] = max|w_c| / 127}, zero point
   * 0. A channel of zeros gets scale 1.
   */
  public static QuantParams symmetricPerChannel(float[] weights, int channels) {
    if (channels <= 0 || weights.length % channels != 0) {
      throw new IllegalArgumentException(weights.length + " weights do not split into " + channels + " channels");
    }
    int per = weights.length / channels;
    float[] scales = new float[channels];
    for (int c = 0; c < channels; c++) {
      float m = 0;
      for (int i = c * per; i < (c + 1) * per; i++) {
        if (Float.isNaN(weights[i]) || Float.isInfinite(weights[i])) {
          throw new IllegalArgumentException("weight " + i + " is " + weights[i]);
        }
        m = Math.max(m, Math.abs(weights[i]));
      }
      scales[c] = m == 0 ? 1f : m / WEIGHT_QMAX;
      if (!(scales[c] > 0)) {
        // max|w| below 127 × Float.MIN_VALUE: the scale underflowed.
        scales[c] = Float.MIN_NORMAL;
      }
    }
    return QuantParams.perAxis(scales, new int[channels], 0);
  }

  /**
   * Quantizes {@code values} with {@code p} into {@code [qmin, qmax]}: per tensor, or per channel
   * along axis 0 (each channel a contiguous block of {@code values.length / channels}).
   */
  public static byte[] quantize(float[] values, QuantParams p, int qmin, int qmax) {
    int channels = p.channels();
    if (!p.isPerTensor() && (p.axis() != 0 || values.length % channels != 0)) {
      throw new IllegalArgumentException("per-channel quantization here needs axis 0 and " + channels
          + " equal blocks, got axis " + p.axis() + " and " + values.length + " values");
    }
    int per = p.isPerTensor() ? Math.max(values.length, 1) : values.length / channels;
    byte[] q = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      q[i] = (byte) p.quantize(values[i], p.isPerTensor() ? 0 : i / per, qmin, qmax);
    }
    return q;
  }

  /**
   * The bias scales {@code input_scale × weight_scale[c]}, computed in float as TFLite's
   * quantizer does.
   */
  public static float[] biasScales(float inputScale, QuantParams weights) {
    float[] s = new float[weights.channels()];
    for (int c = 0; c < s.length; c++) {
      s[c] = inputScale * weights.scale(c);
    }
    return s;
  }

  /**
   * int32 bias: {@code round_half_away(b[c] / (input_scale × weight_scale[c]))}, saturated to the
   * int32 range. With per-tensor weights every channel uses the one scale.
   */
  public static int[] quantizeBias(float[] bias, float inputScale, QuantParams weights) {
    float[] scales = biasScales(inputScale, weights);
    if (scales.length != 1 && scales.length != bias.length) {
      throw new IllegalArgumentException(bias.length + " bias values but " + scales.length + " weight scales");
    }
    int[] q = new int[bias.length];
    for (int c = 0; c < bias.length; c++) {
      float s = scales[scales.length == 1 ? 0 : c];
      long v = QuantParams.roundHalfAwayFromZero(bias[c] / s);
      q[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }
    return q;
  }
}
