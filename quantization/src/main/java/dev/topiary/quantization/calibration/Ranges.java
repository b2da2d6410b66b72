package dev.topiary.quantization.calibration;

import dev.topiary.quantization.QuantParams;

/** Turns ranges into quantization parameters (TFLite int8 conventions). */
public final class Ranges {
  private Ranges() {}

  /**
   * Asymmetric int8 parameters covering {@code [min, max]} widened to include 0 (so that zero,
   * used by padding and ReLU, is exact): {@code scale = (max − min) / 255},
   * {@code zero_point = round(−128 − min / scale)} clamped to [−128, 127]. An all-zero range gets
   * scale 1, zero point 0.
   */
  public static QuantParams int8Asymmetric(float min, float max) {
    double lo = Math.min(min, 0f);
    double hi = Math.max(max, 0f);
    if (hi - lo <= 0) {
      return QuantParams.perTensor(1f, 0);
    }
    double scale = (hi - lo) / 255;
    long zp = Math.round(-128 - lo / scale);
    zp = Math.max(-128, Math.min(127, zp));
    return QuantParams.perTensor((float) scale, (int) zp);
  }

  /**
   * Symmetric int8 parameters per channel along axis 0 of {@code values} seen as
   * {@code [channels, values.length / channels]}: {@code scale[c] = max|w_c| / 127}, zero point 0
   * (an all-zero channel gets scale 1).
   */
  public static QuantParams int8SymmetricPerChannel(float[] values, int channels, int axis, int inner) {
    float[] scales = new float[channels];
    int outer = values.length / (channels * inner);
    for (int o = 0; o < outer; o++) {
      for (int c = 0; c < channels; c++) {
        int base = (o * channels + c) * inner;
        for (int i = 0; i < inner; i++) {
          scales[c] = Math.max(scales[c], Math.abs(values[base + i]));
        }
      }
    }
    for (int c = 0; c < channels; c++) {
      scales[c] = scales[c] > 0 ? scales[c] / 127f : 1f;
    }
    return QuantParams.perAxis(scales, new int[channels], axis);
  }
}
