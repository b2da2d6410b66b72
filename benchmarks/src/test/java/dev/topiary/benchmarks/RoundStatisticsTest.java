package dev.topiary.benchmarks;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.Test;

public class RoundStatisticsTest {
  @Test
  public void roundRatiosAreEachRoundsMedianOverTheOthers() {
    double[] a = {1, 2, 3, 10, 20, 40};
    double[] b = {2, 4, 6, 10, 10, 10};
    assertArrayEquals(new double[] {2.0 / 4, 20.0 / 10}, RoundStatistics.roundRatios(a, b, 3), 0);
    // An even round takes the mean of its two middle runs.
    assertArrayEquals(new double[] {2.5 / 5, 30.0 / 10},
        RoundStatistics.roundRatios(new double[] {1, 4, 2, 3, 20, 40, 30, 30}, new double[] {5, 5, 4, 6, 10, 10, 1, 100},
            4), 0);
  }

  @Test
  public void identicalRoundsGiveThePointRatio() {
    double[] a = new double[5 * 7];
    double[] b = new double[5 * 7];
    for (int i = 0; i < a.length; i++) {
      a[i] = 1 + i % 7;
      b[i] = 2 + 2 * (i % 7);
    }
    double[] ci = RoundStatistics.ratioInterval(a, b, 7, 1);
    assertEquals(0.5, ci[0], 1e-12);
    assertEquals(0.5, ci[1], 1e-12);
  }

  /**
   * The pooled median of each draw, found by counting, against sorting the drawn pool: the same
   * draws (same seed) must give the same interval as the obvious implementation, for odd and even
   * pool sizes and with ties.
   */
  @Test
  public void intervalMatchesSortingEachDraw() {
    Random r = new Random(3);
    for (int[] shape : new int[][] {{20, 7}, {9, 10}, {1, 5}, {4, 1}, {3, 64}}) {
      int rounds = shape[0];
      int k = shape[1];
      double[] a = new double[rounds * k];
      double[] b = new double[rounds * k];
      for (int i = 0; i < a.length; i++) {
        a[i] = 1 + r.nextInt(40) / 8.0; // ties
        b[i] = 1 + r.nextDouble() * 5;
      }
      long seed = 17 + rounds;
      double[] got = RoundStatistics.ratioInterval(a, b, k, seed);
      double[] want = sortingInterval(a, b, k, seed);
      assertArrayEquals(rounds + " rounds of " + k, want, got, 1e-12);
    }
  }

  /**
   * Coverage and power: rounds where one factor per round (another tenant's burst) slows both
   * engines alike, over independent run-to-run noise; the first engine is 0.8 of the second in
   * distribution, so its median ratio is 0.8. Across 150 such experiments the 95 % interval must
   * contain 0.8 at least 90 % of the time (not too narrow: measured 149 of 150), and exclude 0.85
   * in at least 70 % (not uselessly wide: measured 125 of 150).
   */
  @Test
  public void intervalCoversTheTrueRatioAndExcludesAFalseOne() {
    SplittableRandom r = new SplittableRandom(5);
    int rounds = 20;
    int k = 15;
    int experiments = 150;
    int covered = 0;
    int excluded = 0;
    for (int e = 0; e < experiments; e++) {
      double[] a = new double[rounds * k];
      double[] b = new double[rounds * k];
      for (int round = 0; round < rounds; round++) {
        double tenant = Math.exp(0.3 * gaussian(r));
        for (int i = 0; i < k; i++) {
          a[round * k + i] = 0.8 * tenant * Math.exp(0.15 * gaussian(r));
          b[round * k + i] = tenant * Math.exp(0.15 * gaussian(r));
        }
      }
      double[] ci = RoundStatistics.ratioInterval(a, b, k, e);
      assertTrue(ci[0] <= ci[1]);
      if (ci[0] <= 0.8 && 0.8 <= ci[1]) {
        covered++;
      }
      if (ci[1] < 0.85) {
        excluded++;
      }
    }
    assertTrue("coverage " + covered + " of " + experiments, covered >= 0.9 * experiments);
    assertTrue("0.85 excluded in " + excluded + " of " + experiments, excluded >= 0.7 * experiments);
  }

  @Test
  public void rejectsSamplesThatAreNotWholeRounds() {
    assertThrows(IllegalArgumentException.class, () -> RoundStatistics.ratioInterval(new double[6], new double[6], 4, 1));
    assertThrows(IllegalArgumentException.class, () -> RoundStatistics.roundRatios(new double[6], new double[3], 3));
    assertThrows(IllegalArgumentException.class, () -> RoundStatistics.roundRatios(new double[0], new double[0], 1));
    assertThrows(IllegalArgumentException.class, () -> RoundStatistics.roundRatios(new double[2], new double[2], 0));
  }

  private static double[] sortingInterval(double[] a, double[] b, int k, long seed) {
    int rounds = a.length / k;
    SplittableRandom random = new SplittableRandom(seed);
    double[] stats = new double[RoundStatistics.RESAMPLES];
    for (int s = 0; s < stats.length; s++) {
      double[] da = new double[a.length];
      double[] db = new double[b.length];
      for (int r = 0; r < rounds; r++) {
        int from = random.nextInt(rounds) * k;
        System.arraycopy(a, from, da, r * k, k);
        System.arraycopy(b, from, db, r * k, k);
      }
      stats[s] = sortedMedian(da) / sortedMedian(db);
    }
    Arrays.sort(stats);
    return new double[] {interpolate(stats, 0.025), interpolate(stats, 0.975)};
  }

  private static double sortedMedian(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return interpolate(s, 0.5);
  }

  private static double interpolate(double[] s, double q) {
    double pos = q * (s.length - 1);
    int lo = (int) pos;
    int hi = Math.min(s.length - 1, lo + 1);
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
  }

  private static double gaussian(SplittableRandom r) {
    // Box-Muller, so the test depends on nothing but the seed.
    double u = 1 - r.nextDouble();
    double v = r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
