package dev.topiary.converter.quantize;

import dev.topiary.quantization.calibration.MinMaxObserver;
import dev.topiary.quantization.calibration.MseObserver;
import dev.topiary.quantization.calibration.PercentileObserver;
import dev.topiary.quantization.calibration.RangeObserver;

/** How calibration chooses each activation's range (see {@code dev.topiary.quantization.calibration}). */
public enum CalibrationMethod {
  /** Smallest and largest value seen. */
  MINMAX,
  /** 0.01th to 99.99th percentile. */
  PERCENTILE,
  /** The shrunk min-max range with the least expected int8 squared error. */
  MSE;

  RangeObserver newObserver() {
    switch (this) {
      case PERCENTILE: return new PercentileObserver();
      case MSE: return new MseObserver();
      default: return new MinMaxObserver();
    }
  }

  public String cliName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
