package dev.topiary.internal.ops;

import static dev.topiary.testing.TestSupport.assertClose;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.testing.TestSupport;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.Test;

public class ActivationOpsTest {
  private static final float NAN = Float.NaN;
  private static final float INF = Float.POSITIVE_INFINITY;

  private static float[] run(OpCase c) throws Exception {
    return c.values();
  }

  private static OpCase unary(String op, float... x) {
    return OpCase.of(op).input(new int[] {x.length}, x);
  }

  /** Compares an op with a double-precision formula on seeded random inputs in [lo, hi). */
  private static void checkRandom(String op, DoubleUnaryOperator oracle, float lo, float hi, double rtol, double atol,
      OpCase c) throws Exception {
    float[] x = TestSupport.randomFloats(new Random(op.hashCode()), 3 * 5 * 7 * 11, lo, hi);
    c.input(new int[] {3, 5, 7, 11}, x);
    float[] expected = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      expected[i] = (float) oracle.applyAsDouble(x[i]);
    }
    assertClose(op, expected, c.values(), rtol, atol);
  }

  static double phi(double x) {
    return 0.5 * ErfTest.oracleErfc(-x / Math.sqrt(2));
  }

  @Test
  public void relu6AndClip() throws Exception {
    assertArrayEquals(new float[] {0, 0, 3, 6, 6, NAN}, run(unary("Relu6", -5, -0f, 3, 6, 7, NAN)), 0f);
    assertArrayEquals(new float[] {-1, -1, 0.5f, 2, NAN},
        run(unary("Clip", -5, -1, 0.5f, 9, NAN).attr("min", -1f).attr("max", 2f)), 0f);
    assertArrayEquals(new float[] {-5, 2}, run(unary("Clip", -5, 9).attr("max", 2f)), 0f);
    assertArrayEquals(new float[] {-5, 9}, run(unary("Clip", -5, 9)), 0f);
  }

  @Test
  public void sigmoidSaturatesWithoutNaN() throws Exception {
    float[] y = run(unary("Sigmoid", 0, 1, -1, 1000, -1000, 88, -88, -104, INF, -INF, NAN));
    assertEquals(0.5f, y[0], 0f);
    assertEquals(0.7310585786300049, y[1], 1e-7);
    assertEquals(0.2689414213699951, y[2], 1e-7);
    assertEquals(1f, y[3], 0f);
    assertEquals(0f, y[4], 0f);
    assertEquals(1f, y[5], 0f);
    assertEquals(6.054601895401186e-39, y[6], 1e-45);
    assertEquals(6.8e-46, y[7], 1.5e-45);
    assertEquals(1f, y[8], 0f);
    assertEquals(0f, y[9], 0f);
    assertTrue(Float.isNaN(y[10]));
  }

  @Test
  public void randomAgainstFormulas() throws Exception {
    checkRandom("Sigmoid", x -> 1 / (1 + Math.exp(-x)), -20, 20, 1e-6, 1e-12, OpCase.of("Sigmoid"));
    checkRandom("Tanh", x -> (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1), -6, 6, 1e-6, 1e-7, OpCase.of("Tanh"));
    checkRandom("HardSwish", x -> x * Math.min(Math.max(x + 3, 0), 6) / 6, -6, 6, 1e-6, 1e-7,
        OpCase.of("HardSwish"));
    checkRandom("LeakyRelu", x -> x >= 0 ? x : 0.01 * x, -6, 6, 1e-6, 0, OpCase.of("LeakyRelu"));
    checkRandom("LeakyRelu", x -> x >= 0 ? x : -0.3 * x, -6, 6, 1e-6, 0, OpCase.of("LeakyRelu").attr("alpha", -0.3f));
    checkRandom("Relu6", x -> Math.min(Math.max(x, 0), 6), -9, 9, 0, 0, OpCase.of("Relu6"));
    checkRandom("Clip", x -> Math.min(Math.max(x, -0.5), 0.25), -2, 2, 0, 0,
        OpCase.of("Clip").attr("min", -0.5f).attr("max", 0.25f));
    checkRandom("Gelu", x -> x * phi(x), -8, 8, 2e-7, 1e-30, OpCase.of("Gelu"));
    checkRandom("Gelu", x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), -8, 8,
        1e-6, 1e-7, OpCase.of("Gelu").attr("approximate", "tanh"));
  }

  @Test
  public void geluKnownValues() throws Exception {
    float[] y = run(unary("Gelu", 0, 1, -1, 2, -3, INF, -INF, -100, NAN));
    assertEquals(0f, y[0], 0f);
    assertEquals(0.8413447460685429, y[1], 1e-7);
    assertEquals(-0.15865525393145707, y[2], 1e-8);
    assertEquals(1.9544997361036416, y[3], 2e-7);
    assertEquals(-0.004049694520330366, y[4], 1e-9);
    assertEquals(INF, y[5], 0f);
    assertEquals(0f, y[6], 0f);
    assertEquals(0f, y[7], 0f);
    assertTrue(Float.isNaN(y[8]));
    float[] t = run(unary("Gelu", 0, 1, -1, INF, -INF, NAN).attr("approximate", "tanh"));
    // 0.5·(1 + tanh(√(2/π)·1.044715)) = 0.8411919906082768
    assertEquals(0.8411919906082768, t[1], 1e-7);
    assertEquals(-0.15880800939172324, t[2], 1e-7);
    assertEquals(INF, t[3], 0f);
    assertEquals(0f, t[4], 0f);
    assertTrue(Float.isNaN(t[5]));
  }

  /** x·Φ(x) is tiny for negative x; the result keeps its relative accuracy (no 1 + erf cancellation). */
  @Test
  public void geluNegativeTailKeepsRelativeAccuracy() throws Exception {
    float[] x = new float[81];
    float[] expected = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = -4 - i * 0.1f;
      expected[i] = (float) (x[i] * phi(x[i]));
    }
    assertClose("gelu tail", expected, run(unary("Gelu", x)), 2e-7, 0);
  }

  @Test
  public void largeTensorsSplitAcrossThreadsGiveIdenticalResults() throws Exception {
    float[] x = TestSupport.randomFloats(new Random(3), 100_003, -8, 8);
    for (String op : new String[] {"Sigmoid", "Gelu", "Relu6", "HardSwish"}) {
      OpCase c = OpCase.of(op).input(new int[] {100_003}, x);
      assertArrayEquals(op, c.values(false, 1), c.values(false, 2), 0f);
    }
  }

  @Test
  public void errors() {
    assertEquals("attributes 'min' and 'max' must satisfy min <= max, got min 2.0, max 1.0",
        unary("Clip", 1).attr("min", 2f).attr("max", 1f).error());
    assertEquals("attributes 'min' and 'max' must satisfy min <= max, got min NaN, max Infinity",
        unary("Clip", 1).attr("min", NAN).error());
    assertEquals("attribute 'alpha' must be finite, got Infinity", unary("LeakyRelu", 1).attr("alpha", INF).error());
    assertEquals("attribute 'approximate' must be 'none' or 'tanh', got 'erf'",
        unary("Gelu", 1).attr("approximate", "erf").error());
    assertEquals("attribute 'approximate' must be a string, got I", unary("Gelu", 1).attr("approximate", 1L).error());
    assertEquals("input 0 'in0' must be FLOAT32, got INT32",
        OpCase.of("Sigmoid").input(DataType.INT32, new int[] {2}).error());
    assertEquals("expects 1 inputs, got 2", unary("Tanh", 1).input(new int[] {1}, new float[] {1}).error());
  }
}
