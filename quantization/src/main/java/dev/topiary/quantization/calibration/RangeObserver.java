package dev.topiary.quantization.calibration;

/**
 * Watches the values of one tensor and chooses the range its quantization should cover. Not
 * thread-safe: feed it from one thread.
 */
public interface RangeObserver {
  /** Adds {@code values[offset, offset + length)}. NaNs are ignored; infinities are not allowed. */
  void observe(float[] values, int offset, int length);

  /** Adds every element of {@code values}. */
  default void observe(float[] values) {
    observe(values, 0, values.length);
  }

  /** Number of (non-NaN) values observed. */
  long count();

  /**
   * The chosen range {@code {min, max}}, {@code min ≤ max}.
   *
   * @throws IllegalStateException when nothing was observed
   */
  float[] range();
}
