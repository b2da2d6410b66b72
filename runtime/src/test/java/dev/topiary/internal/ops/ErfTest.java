package dev.topiary.internal.ops;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Random;
import org.junit.Test;

/**
 * {@link Erf} against an independent oracle: for |x| < 2 the everywhere-positive series
 * {@code erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3···(2n+1))} (no cancellation); erfc for
 * |x| ≥ 0.5 and erf for |x| ≥ 2 from the continued fraction
 * {@code erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …))))} evaluated backwards from
 * 4000 terms (converged to the last bit from x = 0.5 on). Both in double.
 */
public class ErfTest {
  private static final double TWO_OVER_SQRT_PI = 1.1283791670955125739;
  private static final double ONE_OVER_SQRT_PI = 0.5641895835477562869;

  static double seriesErf(double x) {
    double x2 = x * x;
    double term = x;
    double sum = x;
    for (int n = 1; n < 500; n++) {
      term *= 2 * x2 / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-18 * Math.abs(sum)) {
        break;
      }
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }

  /** erfc(x) for x ≥ 0.5. */
  static double continuedFractionErfc(double x) {
    double f = x;
    for (int k = 4000; k >= 1; k--) {
      f = x + (k / 2.0) / f;
    }
    return Math.exp(-x * x) * ONE_OVER_SQRT_PI / f;
  }

  static double oracleErf(double x) {
    double y = Math.abs(x);
    double v = y < 2 ? seriesErf(y) : 1 - continuedFractionErfc(y);
    return x < 0 ? -v : v;
  }

  static double oracleErfc(double x) {
    if (x >= 0.5) {
      return continuedFractionErfc(x);
    }
    if (x <= -0.5) {
      return 2 - continuedFractionErfc(-x);
    }
    return 1 - seriesErf(x);
  }

  private static double rel(double expected, double actual) {
    return expected == 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
  }

  @Test
  public void oraclesAgreeWithPublishedValues() {
    // Abramowitz & Stegun table 7.1 / DLMF values.
    assertEquals(0.5204998778130465377, oracleErf(0.5), 2e-16);
    assertEquals(0.8427007929497148693, oracleErf(1), 2e-16);
    assertEquals(0.9953222650189527342, oracleErf(2), 2e-16);
    assertEquals(0.4795001221869534623, oracleErfc(0.5), 2e-16);
    assertEquals(2.209049699858544137e-5, oracleErfc(3), 1e-20);
    assertEquals(1.5374597944280348502e-12, oracleErfc(5), 1e-26);
    assertEquals(2.0884875837625447570e-45, oracleErfc(10), 1e-58);
    // The two oracles overlap: series and continued fraction agree where both are used.
    for (double x = 0.5; x <= 3; x += 0.125) {
      assertTrue("x=" + x, rel(seriesErf(x), 1 - continuedFractionErfc(x)) < 1e-15);
    }
  }

  @Test
  public void publishedValues() {
    assertEquals(0.0, Erf.erf(0), 0);
    assertEquals(0.8427007929497148693, Erf.erf(1), 2e-16);
    assertEquals(-0.9953222650189527342, Erf.erf(-2), 2e-16);
    assertEquals(2.209049699858544137e-5, Erf.erfc(3), 2e-20);
    assertEquals(2.0884875837625447570e-45, Erf.erfc(10), 1e-58);
    assertEquals(1.0, Erf.erf(Double.POSITIVE_INFINITY), 0);
    assertEquals(-1.0, Erf.erf(Double.NEGATIVE_INFINITY), 0);
    assertEquals(0.0, Erf.erfc(Double.POSITIVE_INFINITY), 0);
    assertEquals(2.0, Erf.erfc(Double.NEGATIVE_INFINITY), 0);
    assertTrue(Double.isNaN(Erf.erf(Double.NaN)));
    assertTrue(Double.isNaN(Erf.erfc(Double.NaN)));
  }

  @Test
  public void doublePrecisionOnADenseGrid() {
    double worstErf = 0;
    double worstErfc = 0;
    for (double x = -7; x <= 7; x += 1.0 / 512) {
      worstErf = Math.max(worstErf, rel(oracleErf(x), Erf.erf(x)));
      worstErfc = Math.max(worstErfc, rel(oracleErfc(x), Erf.erfc(x)));
    }
    for (double x = 7; x < 26; x += 1.0 / 64) {
      worstErfc = Math.max(worstErfc, rel(oracleErfc(x), Erf.erfc(x)));
    }
    assertTrue("erf worst relative error " + worstErf, worstErf < 1e-14);
    assertTrue("erfc worst relative error " + worstErfc, worstErfc < 1e-14);
  }

  /**
   * The contract: after rounding to float, relative error at most 1e-7 anywhere in the float range
   * where the result is a normal float; subnormal results (erf of |x| < 1e-38) within one ulp.
   */
  @Test
  public void floatRangeRelativeErrorBelow1em7() {
    Random r = new Random(7);
    double worst = 0;
    for (int i = 0; i < 60_000; i++) {
      float x;
      switch (i % 3) {
        case 0: // any magnitude: random bits of a finite float
          do {
            x = Float.intBitsToFloat(r.nextInt());
          } while (Float.isNaN(x) || Float.isInfinite(x));
          break;
        case 1:
          x = (r.nextFloat() * 2 - 1) * 8;
          break;
        default:
          x = (float) ((r.nextBoolean() ? 1 : -1) * Math.pow(10, -45 + 47 * r.nextDouble()));
      }
      double e = oracleErf(x);
      float got = (float) Erf.erf(x);
      if (Math.abs(e) >= Float.MIN_NORMAL) {
        worst = Math.max(worst, rel(e, got));
      } else {
        assertTrue("erf(" + x + ") = " + got + ", expected " + e, Math.abs(got - e) <= Float.MIN_VALUE);
      }
      double c = oracleErfc(x);
      if (c >= Float.MIN_NORMAL) {
        worst = Math.max(worst, rel(c, (float) Erf.erfc(x)));
      }
    }
    assertTrue("worst relative error after rounding to float " + worst, worst <= 1e-7);
  }
}
