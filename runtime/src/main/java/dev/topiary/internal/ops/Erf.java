package dev.topiary.internal.ops;

/**
 * The error function and the complementary error function in double precision, for the exact
 * {@code Gelu}. Java has neither.
 *
 * <p>Method: W. J. Cody's rational Chebyshev approximations, "Rational Chebyshev approximations for
 * the error function", Mathematics of Computation 23 (1969), 631–637, with the coefficients of his
 * SPECFUN routine CALERF (netlib.org/specfun/erf). Three intervals of {@code y = |x|}:
 * <ul>
 *   <li>{@code y ≤ 0.46875}: {@code erf(x) = x·A(y²)/B(y²)};
 *   <li>{@code 0.46875 < y ≤ 4}: {@code erfc(y) = exp(−y²)·C(y)/D(y)};
 *   <li>{@code y > 4}: {@code erfc(y) = exp(−y²)/y·(1/√π + 1/y²·P(1/y²)/Q(1/y²))}.
 * </ul>
 * Cody reports a maximal relative error near 1e-17 for each approximation; in double arithmetic
 * the results are within a few ulps (relative error about 1e-15, tested against an independent
 * series and continued fraction), far below the 6e-8 of rounding to float.
 */
final class Erf {
  private Erf() {}

  /** Boundary between the first and second intervals. */
  private static final double THRESH = 0.46875;
  /** erfc(y) is below the smallest double for y ≥ XBIG (Cody's value). */
  private static final double XBIG = 26.543;
  private static final double ONE_OVER_SQRT_PI = 0.56418958354775628695;

  // erf(x) = x·(A0..A4 in y²)/(B0..B3 in y²), y ≤ 0.46875. A[4] is the leading coefficient.
  private static final double[] A = {
    3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
    3.20937758913846947e03, 1.85777706184603153e-1
  };
  private static final double[] B = {
    2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
    2.84423683343917062e03
  };
  // erfc(y)·exp(y²) on (0.46875, 4]: numerator degree 8 (C[8] leading), denominator monic degree 8.
  private static final double[] C = {
    5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
    2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
    2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8
  };
  private static final double[] D = {
    1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
    1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
    3.43936767414372164e03, 1.23033935480374942e03
  };
  // Asymptotic correction for y > 4, in z = 1/y².
  private static final double[] P = {
    3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
    1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2
  };
  private static final double[] Q = {
    2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
    6.05183413124413191e-2, 2.33520497626869185e-3
  };

  /** erf(x); odd, erf(±∞) = ±1, NaN stays NaN. */
  static double erf(double x) {
    double y = Math.abs(x);
    if (!(y > THRESH)) {
      return x * small(y * y);
    }
    // 1 − erfc(y) written as (0.5 − r) + 0.5 keeps the last bit when r is near 0.5.
    double v = (0.5 - erfcTail(y)) + 0.5;
    return x < 0 ? -v : v;
  }

  /** erfc(x) = 1 − erf(x), accurate in relative terms also where it is tiny (large x). */
  static double erfc(double x) {
    double y = Math.abs(x);
    if (!(y > THRESH)) {
      return 1.0 - x * small(y * y);
    }
    double r = erfcTail(y);
    return x < 0 ? 2.0 - r : r;
  }

  /** erf(y)/y for z = y², y ≤ THRESH. */
  private static double small(double z) {
    double num = A[4] * z;
    double den = z;
    for (int i = 0; i < 3; i++) {
      num = (num + A[i]) * z;
      den = (den + B[i]) * z;
    }
    return (num + A[3]) / (den + B[3]);
  }

  /** erfc(y) for y > THRESH (also y = +∞). */
  private static double erfcTail(double y) {
    if (y >= XBIG) {
      return 0.0;
    }
    double r;
    if (y <= 4.0) {
      double num = C[8] * y;
      double den = y;
      for (int i = 0; i < 7; i++) {
        num = (num + C[i]) * y;
        den = (den + D[i]) * y;
      }
      r = (num + C[7]) / (den + D[7]);
    } else {
      double z = 1.0 / (y * y);
      double num = P[5] * z;
      double den = z;
      for (int i = 0; i < 4; i++) {
        num = (num + P[i]) * z;
        den = (den + Q[i]) * z;
      }
      r = z * (num + P[4]) / (den + Q[4]);
      r = (ONE_OVER_SQRT_PI - r) / y;
    }
    // exp(−y²) loses relative accuracy when y² is rounded (error y²·2^-53 in the exponent).
    // Split y = s + d with s = y truncated to a multiple of 1/16: s² is exact in double, and
    // y² = s² + (y − s)(y + s) with a small, accurately computed second term.
    double s = Math.floor(y * 16.0) / 16.0;
    double del = (y - s) * (y + s);
    return Math.exp(-s * s) * Math.exp(-del) * r;
  }
}
