package dev.topiary.quantization.calibration;

/**
 * The range runs from the {@code (100 − p)}-th to the {@code p}-th percentile of the observed
 * values (default p = 99.99: the 0.01% largest and the 0.01% smallest values are clipped), read
 * from a {@link Histogram} of {@value Histogram#BINS} bins with linear interpolation inside a bin,
 * so it is exact to within one bin width ({@code 2·max|x| / 4096} at most). The ends never lie
 * outside the exact min and max.
 */
public final class PercentileObserver implements RangeObserver {
  /** The default percentile, 99.99. */
  public static final double DEFAULT_PERCENTILE = 99.99;

  private final double percentile;
  private final Histogram histogram = new Histogram();

  public PercentileObserver() {
    this(DEFAULT_PERCENTILE);
  }

  /** @param percentile in (50, 100] */
  public PercentileObserver(double percentile) {
    if (!(percentile > 50 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (50, 100], got " + percentile);
    }
    this.percentile = percentile;
  }

  @Override
  public void observe(float[] values, int offset, int length) {
    histogram.add(values, offset, length);
  }

  @Override
  public long count() {
    return histogram.count();
  }

  @Override
  public float[] range() {
    if (histogram.count() == 0) {
      throw new IllegalStateException("no values observed");
    }
    if (percentile == 100) {
      return new float[] {histogram.min(), histogram.max()};
    }
    double q = percentile / 100;
    return new float[] {histogram.quantile(1 - q), histogram.quantile(q)};
  }
}
