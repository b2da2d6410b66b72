package dev.topiary.quantization;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Random;
import org.junit.Test;

/**
 * FixedPoint against hand-computed values (the arithmetic in the comments) and against an
 * independent exact oracle in BigDecimal on random inputs.
 */
public class FixedPointTest {
  private static void assertMultiplier(int m, int shift, FixedPoint.Multiplier q) {
    assertEquals("multiplier", m, q.multiplier);
    assertEquals("shift", shift, q.shift);
  }

  @Test
  public void quantizeMultiplierByHand() {
    // 0.5 = 0.5 × 2^0 → 0.5 × 2^31 = 1073741824, shift 0.
    assertMultiplier(1073741824, 0, FixedPoint.quantizeMultiplier(0.5));
    // 1.0 = 0.5 × 2^1.
    assertMultiplier(1073741824, 1, FixedPoint.quantizeMultiplier(1.0));
    // 0.75 × 2^31 = 1610612736.
    assertMultiplier(1610612736, 0, FixedPoint.quantizeMultiplier(0.75));
    // 0.1 = 0.8 × 2^−3; 0.8 × 2^31 = 1717986918.4 → 1717986918.
    assertMultiplier(1717986918, -3, FixedPoint.quantizeMultiplier(0.1));
    // 3.0 = 0.75 × 2^2.
    assertMultiplier(1610612736, 2, FixedPoint.quantizeMultiplier(3.0));
    // 1 − 2^−40: q × 2^31 = 2^31 − 2^−9 rounds up to 2^31, renormalized to 2^30 with shift + 1.
    assertMultiplier(1 << 30, 1, FixedPoint.quantizeMultiplier(1 - Math.pow(2, -40)));
    // 2^−31 = 0.5 × 2^−30: still representable; 2^−33 = 0.5 × 2^−32 has shift < −31: flushed to 0.
    assertMultiplier(1 << 30, -30, FixedPoint.quantizeMultiplier(Math.pow(2, -31)));
    assertMultiplier(0, 0, FixedPoint.quantizeMultiplier(Math.pow(2, -33)));
    assertMultiplier(0, 0, FixedPoint.quantizeMultiplier(Double.MIN_VALUE));
    assertMultiplier(0, 0, FixedPoint.quantizeMultiplier(0));
  }

  @Test
  public void quantizeMultiplierRejectsBadValues() {
    for (double d : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
      try {
        FixedPoint.quantizeMultiplier(d);
        fail("accepted " + d);
      } catch (IllegalArgumentException e) {
        assertTrue(e.getMessage(), e.getMessage().contains("must be finite and >= 0, got " + d));
      }
    }
  }

  @Test
  public void highMulByHand() {
    // 2^30 · 2^30 / 2^31 = 2^29 exactly.
    assertEquals(1 << 29, FixedPoint.saturatingRoundingDoublingHighMul(1 << 30, 1 << 30));
    // 3 · 2^30 / 2^31 = 1.5 → ties toward +∞ → 2; −1.5 → −1; −2.5 → −2; 2.5 → 3.
    assertEquals(2, FixedPoint.saturatingRoundingDoublingHighMul(3, 1 << 30));
    assertEquals(-1, FixedPoint.saturatingRoundingDoublingHighMul(-3, 1 << 30));
    assertEquals(-2, FixedPoint.saturatingRoundingDoublingHighMul(-5, 1 << 30));
    assertEquals(3, FixedPoint.saturatingRoundingDoublingHighMul(5, 1 << 30));
    // −1.6 → −2 (not a tie: nearest).
    assertEquals(-2, FixedPoint.saturatingRoundingDoublingHighMul(-16, 214748365)); // −16·214748365/2^31 ≈ −1.6000000
    // The single overflow: (−2^31)·(−2^31)/2^31 = 2^31 saturates.
    assertEquals(Integer.MAX_VALUE,
        FixedPoint.saturatingRoundingDoublingHighMul(Integer.MIN_VALUE, Integer.MIN_VALUE));
    // (−2^31)·(2^31 − 1)/2^31 = −(2^31 − 1) exactly.
    assertEquals(-Integer.MAX_VALUE,
        FixedPoint.saturatingRoundingDoublingHighMul(Integer.MIN_VALUE, Integer.MAX_VALUE));
  }

  @Test
  public void roundingDivideByPotByHand() {
    assertEquals(2, FixedPoint.roundingDivideByPOT(3, 1)); // 1.5 → 2 (away from zero)
    assertEquals(-2, FixedPoint.roundingDivideByPOT(-3, 1)); // −1.5 → −2 (away from zero)
    assertEquals(1, FixedPoint.roundingDivideByPOT(5, 2)); // 1.25 → 1
    assertEquals(-1, FixedPoint.roundingDivideByPOT(-5, 2)); // −1.25 → −1
    assertEquals(2, FixedPoint.roundingDivideByPOT(7, 2)); // 1.75 → 2
    assertEquals(-2, FixedPoint.roundingDivideByPOT(-7, 2)); // −1.75 → −2
    assertEquals(-3, FixedPoint.roundingDivideByPOT(-10, 2)); // −2.5 → −3
    assertEquals(42, FixedPoint.roundingDivideByPOT(42, 0));
    assertEquals(-1, FixedPoint.roundingDivideByPOT(Integer.MIN_VALUE, 31)); // −1 exactly
    assertEquals(1, FixedPoint.roundingDivideByPOT(1 << 30, 31)); // 0.5 → 1
    assertEquals(0, FixedPoint.roundingDivideByPOT((1 << 30) - 1, 31)); // just under 0.5 → 0
  }

  @Test
  public void multiplyByQuantizedMultiplierByHand() {
    FixedPoint.Multiplier tenth = FixedPoint.quantizeMultiplier(0.1); // (1717986918, −3)
    // 100 · 1717986918 / 2^31 = 79.99999997 → 80; 80 / 2^3 = 10.
    assertEquals(10, tenth.apply(100));
    // −79.99999997 + ½ = −79.49999997, floor → −80; −80 / 8 = −10.
    assertEquals(-10, tenth.apply(-100));
    // 0.5 = (2^30, 0): 12 · 2^30 / 2^31 = 6; no right shift.
    assertEquals(6, FixedPoint.quantizeMultiplier(0.5).apply(12));
    // 0.25 = (2^30, −1): 13 · ½ = 6.5 → 7 (tie up); 7 / 2 = 3.5 → 4. TFLite's double rounding:
    // the exact 13 × 0.25 = 3.25 would round to 3.
    assertEquals(4, FixedPoint.quantizeMultiplier(0.25).apply(13));
    // −13 · ½ = −6.5 → −6 (tie up); −6 / 2 = −3.
    assertEquals(-3, FixedPoint.quantizeMultiplier(0.25).apply(-13));
    // 1.0 = (2^30, 1): 5 << 1 = 10; 10 · ½ = 5.
    assertEquals(5, FixedPoint.quantizeMultiplier(1.0).apply(5));
    // 0.375 = 0.75 × 2^−1 = (1610612736, −1): 7 · 0.75 = 5.25 → 5; 5 / 2 = 2.5 → 3 (exact 2.625).
    assertEquals(3, FixedPoint.quantizeMultiplier(0.375).apply(7));
    // 3.0 = (1610612736, 2): 7 << 2 = 28; 28 · 0.75 = 21.
    assertEquals(21, FixedPoint.quantizeMultiplier(3.0).apply(7));
    // Typical conv requantization: 0.0123 ≈ 0.7872 × 2^−6, acc 12345 → 151.84 → 152.
    assertEquals(152, FixedPoint.quantizeMultiplier(0.0123).apply(12345));
  }

  /** floor(v + ½) for the high multiply, half away from zero for the shift: written from the spec. */
  private static int oracle(int x, int m, int shift) {
    BigInteger xs = BigInteger.valueOf(x);
    if (shift > 0) {
      // The C++ shifts a 32-bit int; the wrapped value is what enters the multiply.
      xs = BigInteger.valueOf((int) ((long) x << shift));
    }
    BigInteger prod = xs.multiply(BigInteger.valueOf(m));
    if (xs.equals(BigInteger.valueOf(Integer.MIN_VALUE)) && m == Integer.MIN_VALUE) {
      return Integer.MAX_VALUE;
    }
    BigDecimal high = new BigDecimal(prod).divide(new BigDecimal(BigInteger.ONE.shiftLeft(31)))
        .add(new BigDecimal("0.5")).setScale(0, RoundingMode.FLOOR);
    if (shift >= 0) {
      return high.intValueExact();
    }
    return new BigDecimal(high.toBigInteger()).divide(new BigDecimal(BigInteger.ONE.shiftLeft(-shift)))
        .setScale(0, RoundingMode.HALF_UP).intValueExact();
  }

  @Test
  public void matchesExactOracleOnRandomInputs() {
    Random r = new Random(7);
    for (int t = 0; t < 200_000; t++) {
      double real = Math.exp(r.nextDouble() * 30 - 25); // ~1e−11 .. ~1.5e2
      FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier(real);
      int x;
      switch (t % 3) {
        case 0: x = r.nextInt(); break;
        case 1: x = r.nextInt(1 << 20) - (1 << 19); break;
        default: x = r.nextInt(2001) - 1000;
      }
      if (q.shift > 0 && Math.abs((long) x << q.shift) > Integer.MAX_VALUE) {
        x >>= q.shift + 1; // keep the left shift in range, as real accumulators are
      }
      int got = FixedPoint.multiplyByQuantizedMultiplier(x, q);
      assertEquals("x=" + x + " " + q, oracle(x, q.multiplier, q.shift), got);
      // And the result is x·real within the two roundings and the significand's error.
      double exact = x * real;
      double tol = 1.0 + Math.abs(exact) * 1e-9;
      assertTrue("x=" + x + " real=" + real + " got " + got, Math.abs(got - exact) <= tol);
    }
  }

  @Test
  public void quantizedMultiplierIsClose() {
    Random r = new Random(11);
    for (int t = 0; t < 10_000; t++) {
      double real = Math.exp(r.nextDouble() * 40 - 30);
      FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier(real);
      if (q.multiplier == 0) {
        assertTrue(real < Math.pow(2, -31));
        continue;
      }
      assertTrue(q.multiplier >= (1 << 30));
      // One rounding of a 31-bit significand: relative error ≤ 2^−31.
      assertEquals(real, q.real(), real * Math.pow(2, -30));
    }
  }
}
