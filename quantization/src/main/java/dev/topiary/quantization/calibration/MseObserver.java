package dev.topiary.quantization.calibration;

/**
 * Chooses, among candidate clipping ranges, the one whose asymmetric int8 quantization (256
 * levels) has the smallest expected squared error over the observed distribution.
 *
 * <p>Candidates shrink the min-max range toward zero: {@code [f·min, f·max]} for
 * {@code f = k / 200}, {@code k = 1..200} ({@code f = 1} is the min-max range). The error of a
 * candidate is computed from a {@link Histogram}: a bin inside the range contributes the
 * rounding noise of a uniform quantizer, {@code Δ²/12} per value ({@code Δ} the step); a bin
 * outside contributes the squared distance from its centre to the nearer end (clipping error).
 * Ties go to the wider range.
 */
public final class MseObserver implements RangeObserver {
  /** Number of candidate ranges. */
  public static final int CANDIDATES = 200;

  private final Histogram histogram = new Histogram();

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
    float lo = Math.min(histogram.min(), 0f);
    float hi = Math.max(histogram.max(), 0f);
    if (hi == lo) {
      return new float[] {histogram.min(), histogram.max()};
    }
    double best = Double.POSITIVE_INFINITY;
    float[] chosen = {lo, hi};
    for (int k = CANDIDATES; k >= 1; k--) {
      double f = (double) k / CANDIDATES;
      double e = expectedError(lo * f, hi * f);
      if (e < best) {
        best = e;
        chosen = new float[] {(float) (lo * f), (float) (hi * f)};
      }
    }
    return chosen;
  }

  /** Expected squared error (sum over the values) of quantizing to 256 levels over {@code [a, b]}. */
  double expectedError(double a, double b) {
    double step = (b - a) / 255;
    double noise = step * step / 12;
    double sum = 0;
    double w = histogram.binWidth();
    for (int i = 0; i < Histogram.BINS; i++) {
      long c = histogram.binCount(i);
      if (c == 0) {
        continue;
      }
      double centre = histogram.binStart(i) + w / 2;
      if (centre < a) {
        sum += c * (a - centre) * (a - centre);
      } else if (centre > b) {
        sum += c * (centre - b) * (centre - b);
      } else {
        sum += c * noise;
      }
    }
    return sum;
  }
}
