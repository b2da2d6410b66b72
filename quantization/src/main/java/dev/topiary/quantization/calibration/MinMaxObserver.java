package dev.topiary.quantization.calibration;

/** The range is the smallest and the largest value observed. */
public final class MinMaxObserver implements RangeObserver {
  private float min = Float.POSITIVE_INFINITY;
  private float max = Float.NEGATIVE_INFINITY;
  private long count;

  @Override
  public void observe(float[] values, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      float v = values[i];
      if (v != v) {
        continue;
      }
      if (Float.isInfinite(v)) {
        throw new IllegalArgumentException("cannot calibrate on an infinite value");
      }
      min = Math.min(min, v);
      max = Math.max(max, v);
      count++;
    }
  }

  @Override
  public long count() {
    return count;
  }

  @Override
  public float[] range() {
    if (count == 0) {
      throw new IllegalStateException("no values observed");
    }
    return new float[] {min, max};
  }
}
