package dev.topiary.quantization.calibration;

/**
 * A histogram over a symmetric range {@code [−r, r)} of {@link #BINS} equal bins that grows as
 * values arrive: when a value falls outside, {@code r} doubles and pairs of bins merge, so the
 * counts stay exact at the coarser resolution. Also keeps the exact minimum and maximum.
 */
public final class Histogram {
  /** Number of bins; a multiple of 4 so that doubling the range merges bins pairwise. */
  public static final int BINS = 4096;

  private final long[] counts = new long[BINS];
  private double radius;
  private float min = Float.POSITIVE_INFINITY;
  private float max = Float.NEGATIVE_INFINITY;
  private long count;
  /** Zeros seen while the radius is still 0 (no non-zero value yet). */
  private long zeros;

  /** Adds values; NaNs are skipped, infinities are refused. */
  public void add(float[] values, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      float v = values[i];
      if (v != v) {
        continue;
      }
      if (Float.isInfinite(v)) {
        throw new IllegalArgumentException("cannot calibrate on an infinite value");
      }
      float a = Math.abs(v);
      if (radius == 0 && a > 0) {
        radius = a * 1.0001;
        // zeros seen before the first non-zero value go to the bin holding 0
        counts[bin(0f)] += zeros;
        zeros = 0;
      }
      while (radius > 0 && a >= radius) {
        grow();
      }
      min = Math.min(min, v);
      max = Math.max(max, v);
      count++;
      if (radius == 0) {
        zeros++;
      } else {
        counts[bin(v)]++;
      }
    }
  }

  private int bin(float v) {
    int b = (int) Math.floor((v + radius) / (2 * radius) * BINS);
    return Math.min(Math.max(b, 0), BINS - 1);
  }

  /** Doubles the radius: old bins 2j and 2j+1 become new bin BINS/4 + j. */
  private void grow() {
    long[] merged = new long[BINS];
    for (int j = 0; j < BINS / 2; j++) {
      merged[BINS / 4 + j] = counts[2 * j] + counts[2 * j + 1];
    }
    System.arraycopy(merged, 0, counts, 0, BINS);
    radius *= 2;
  }

  public long count() {
    return count;
  }

  public float min() {
    return min;
  }

  public float max() {
    return max;
  }

  /** Half-width of the covered range (0 while only zeros were seen). */
  public double radius() {
    return radius;
  }

  /** Width of one bin. */
  public double binWidth() {
    return 2 * radius / BINS;
  }

  /** Lower edge of bin {@code b}. */
  public double binStart(int b) {
    return -radius + b * binWidth();
  }

  /** Count of bin {@code b} (all zeros seen before any non-zero value are in the middle bin). */
  public long binCount(int b) {
    return counts[b];
  }

  /**
   * The value below which a fraction {@code q} (0..1) of the samples lie, interpolating linearly
   * inside a bin and clamped to the exact {@code [min, max]}.
   */
  public float quantile(double q) {
    if (count == 0) {
      throw new IllegalStateException("no values observed");
    }
    if (radius == 0) {
      return 0f;
    }
    double target = q * count;
    double seen = 0;
    for (int b = 0; b < BINS; b++) {
      long c = counts[b];
      if (c > 0 && seen + c >= target) {
        double frac = (target - seen) / c;
        double v = binStart(b) + frac * binWidth();
        return (float) Math.min(Math.max(v, min), max);
      }
      seen += c;
    }
    return max;
  }
}
