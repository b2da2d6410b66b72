package dev.topiary.quantization;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.math.BigDecimal;
import org.junit.Test;

/**
 * Float16 against an independent oracle: every one of the 65,536 half values is decoded by exact
 * decimal arithmetic, and rounding is checked against nearest-even over the exact neighbours.
 */
public class Float16Test {
  /** Exact value of half bits h (non-NaN, finite), computed from the IEEE definition in BigDecimal. */
  private static BigDecimal exact(int h) {
    int sign = (h >> 15) & 1;
    int exp = (h >> 10) & 0x1F;
    int mant = h & 0x3FF;
    BigDecimal v = exp == 0
        ? new BigDecimal(mant).multiply(pow2(-24))
        : new BigDecimal(1024 + mant).multiply(pow2(exp - 25));
    return sign == 1 ? v.negate() : v;
  }

  private static BigDecimal pow2(int e) {
    return e >= 0 ? new BigDecimal(2).pow(e) : BigDecimal.ONE.divide(new BigDecimal(2).pow(-e));
  }

  @Test
  public void decodesEveryHalfValueExactly() {
    for (int h = 0; h < 65536; h++) {
      int exp = (h >> 10) & 0x1F;
      float f = Float16.toFloat((short) h);
      if (exp == 0x1F) {
        assertTrue(Integer.toHexString(h), (h & 0x3FF) == 0 ? Float.isInfinite(f) : Float.isNaN(f));
        continue;
      }
      assertEquals(Integer.toHexString(h), 0, exact(h).compareTo(new BigDecimal(f)));
      if (h == 0x8000) {
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(f));
      }
    }
  }

  @Test
  public void everyHalfValueRoundTrips() {
    for (int h = 0; h < 65536; h++) {
      if (((h >> 10) & 0x1F) == 0x1F && (h & 0x3FF) != 0) {
        assertTrue(Float.isNaN(Float16.toFloat(Float16.fromFloat(Float16.toFloat((short) h)))));
        continue;
      }
      assertEquals(Integer.toHexString(h), (short) h, Float16.fromFloat(Float16.toFloat((short) h)));
    }
  }

  @Test
  public void roundsToNearestEvenBetweenNeighbours() {
    // For each pair of adjacent positive finite halves, the midpoint goes to the even one, and
    // points just off the midpoint go to the nearer one.
    for (int h = 0; h < 0x7BFF; h++) {
      float lo = Float16.toFloat((short) h);
      float hi = Float16.toFloat((short) (h + 1));
      double mid = ((double) lo + hi) / 2;
      float midF = (float) mid; // Exact: halves need 11 bits, the midpoint 12.
      assertEquals(Integer.toHexString(h), (h & 1) == 0 ? h : h + 1, Float16.fromFloat(midF) & 0xFFFF);
      assertEquals(h, Float16.fromFloat(Math.nextDown(midF)) & 0xFFFF);
      assertEquals(h + 1, Float16.fromFloat(Math.nextUp(midF)) & 0xFFFF);
      assertEquals(h | 0x8000, Float16.fromFloat(-Math.nextDown(midF)) & 0xFFFF);
    }
  }

  @Test
  public void overflowUnderflowAndSpecials() {
    assertEquals(0x7BFF, Float16.fromFloat(65504f) & 0xFFFF);
    assertEquals(0x7BFF, Float16.fromFloat(65519.99f) & 0xFFFF);
    assertEquals(0x7C00, Float16.fromFloat(65520f) & 0xFFFF); // Rounds up to infinity.
    assertEquals(0x7C00, Float16.fromFloat(1e9f) & 0xFFFF);
    assertEquals(0xFC00, Float16.fromFloat(Float.NEGATIVE_INFINITY) & 0xFFFF);
    assertEquals(0x0001, Float16.fromFloat(0x1p-24f) & 0xFFFF);
    assertEquals(0x0000, Float16.fromFloat(0x1p-25f) & 0xFFFF); // Tie to even (zero).
    assertEquals(0x0001, Float16.fromFloat(Math.nextUp(0x1p-25f)) & 0xFFFF);
    assertEquals(0x8000, Float16.fromFloat(-1e-30f) & 0xFFFF);
    assertTrue(Float.isNaN(Float16.toFloat(Float16.fromFloat(Float.NaN))));
  }
}
