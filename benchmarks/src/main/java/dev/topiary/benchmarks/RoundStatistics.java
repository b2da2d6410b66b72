package dev.topiary.benchmarks;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How sure a ratio of medians measured in alternating rounds is ({@link SideBySide},
 * {@link Int8VsFp32}). Both engines ran {@code k} runs in each round, one after the other, so the
 * round is the unit that machine noise hits alike (another tenant's burst slows both halves of a
 * round); runs inside a round are not independent samples.
 *
 * <p>{@link #ratioInterval} is a percentile bootstrap over rounds: it draws {@code rounds} rounds
 * with replacement, recomputes the statistic reported as the ratio (median of all the drawn rounds'
 * runs of the first engine over the same for the second), and takes the 2.5th and 97.5th
 * percentiles of {@link #RESAMPLES} such draws. With a fixed seed the interval is reproducible from
 * the same samples.
 */
final class RoundStatistics {
  /** Bootstrap resamples: enough for the 2.5 % tails to move by well under 0.01 from seed to seed. */
  static final int RESAMPLES = 2000;

  private RoundStatistics() {}

  /**
   * Per round, the median of the first engine's {@code k} runs over the median of the second's:
   * {@code a} and {@code b} hold round {@code r}'s runs at {@code [r·k, (r + 1)·k)}.
   */
  static double[] roundRatios(double[] a, double[] b, int k) {
    check(a, b, k);
    int rounds = a.length / k;
    double[] ratios = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      ratios[r] = median(Arrays.copyOfRange(a, r * k, (r + 1) * k)) / median(Arrays.copyOfRange(b, r * k, (r + 1) * k));
    }
    return ratios;
  }

  /**
   * The 95 % percentile-bootstrap interval {@code {lo, hi}} of {@code median(a) / median(b)},
   * resampling whole rounds of {@code k} runs ({@code seed} fixes the draws). A single round gives
   * the point value twice.
   *
   * <p>A draw's pooled median is found without sorting the pool: each round's runs are sorted once,
   * and an order statistic of the pool is the smallest of all the values with at least that many
   * drawn values at or below it (a binary search over all the values, counting with one binary
   * search per drawn round). With {@code k} up to 10 000 and 20 rounds this keeps 2000 draws in
   * tens of milliseconds.
   */
  static double[] ratioInterval(double[] a, double[] b, int k, long seed) {
    check(a, b, k);
    int rounds = a.length / k;
    Pool pa = new Pool(a, k);
    Pool pb = new Pool(b, k);
    SplittableRandom random = new SplittableRandom(seed);
    double[] stats = new double[RESAMPLES];
    int[] drawn = new int[rounds];
    for (int s = 0; s < RESAMPLES; s++) {
      for (int r = 0; r < rounds; r++) {
        drawn[r] = random.nextInt(rounds);
      }
      stats[s] = pa.median(drawn) / pb.median(drawn);
    }
    Arrays.sort(stats);
    return new double[] {quantile(stats, 0.025), quantile(stats, 0.975)};
  }

  /** One engine's runs, each round sorted, plus all values sorted. */
  private static final class Pool {
    final double[][] rounds;
    final double[] all;

    Pool(double[] runs, int k) {
      rounds = new double[runs.length / k][];
      for (int r = 0; r < rounds.length; r++) {
        rounds[r] = Arrays.copyOfRange(runs, r * k, (r + 1) * k);
        Arrays.sort(rounds[r]);
      }
      all = runs.clone();
      Arrays.sort(all);
    }

    /** The median of the pool of the drawn rounds, interpolated as {@link #quantile} does. */
    double median(int[] drawn) {
      int n = drawn.length * rounds[0].length;
      double pos = 0.5 * (n - 1);
      int lo = (int) Math.floor(pos);
      double low = orderStatistic(drawn, lo);
      if (lo + 1 >= n || pos == lo) {
        return low;
      }
      return low + (orderStatistic(drawn, lo + 1) - low) * (pos - lo);
    }

    /** The {@code i}-th smallest (from 0) of the drawn rounds' pooled values. */
    private double orderStatistic(int[] drawn, int i) {
      int from = 0;
      int to = all.length - 1;
      while (from < to) {
        int mid = (from + to) >>> 1;
        if (countAtMost(drawn, all[mid]) > i) {
          to = mid;
        } else {
          from = mid + 1;
        }
      }
      return all[from];
    }

    private long countAtMost(int[] drawn, double v) {
      long count = 0;
      for (int r : drawn) {
        count += upperBound(rounds[r], v);
      }
      return count;
    }

    /** The number of values of sorted {@code s} at or below {@code v}. */
    private static int upperBound(double[] s, double v) {
      int from = 0;
      int to = s.length;
      while (from < to) {
        int mid = (from + to) >>> 1;
        if (s[mid] <= v) {
          from = mid + 1;
        } else {
          to = mid;
        }
      }
      return from;
    }
  }

  /** The median of {@code v} (the mean of the two middle values for an even count); {@code v} is reordered. */
  static double median(double[] v) {
    Arrays.sort(v);
    return quantile(v, 0.5);
  }

  /** Linear interpolation between the order statistics of a sorted {@code s}. */
  static double quantile(double[] s, double q) {
    if (s.length == 0) {
      return Double.NaN;
    }
    double pos = q * (s.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(s.length - 1, lo + 1);
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
  }

  private static void check(double[] a, double[] b, int k) {
    if (k < 1 || a.length != b.length || a.length == 0 || a.length % k != 0) {
      throw new IllegalArgumentException(
          "need equal, non-empty sample arrays of whole rounds of k runs, got " + a.length + " and " + b.length
              + " runs, k = " + k);
    }
  }
}
