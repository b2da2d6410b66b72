package dev.topiary.internal.ops;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import dev.topiary.Tensor;
import dev.topiary.testing.TestSupport;
import java.util.Arrays;
import java.util.Random;
import org.junit.Test;

public class BinaryOpsTest {
  private static final String[] OPS = {"Add", "Sub", "Mul", "Div"};

  private static float apply(String op, float a, float b) {
    switch (op) {
      case "Add": return a + b;
      case "Sub": return a - b;
      case "Mul": return a * b;
      default: return a / b;
    }
  }

  /** Output shape by the NumPy rule, written independently of {@link Broadcast}. */
  static int[] broadcastShape(int[] a, int[] b) {
    int rank = Math.max(a.length, b.length);
    int[] out = new int[rank];
    for (int k = 0; k < rank; k++) {
      int da = k - (rank - a.length) >= 0 ? a[k - (rank - a.length)] : 1;
      int db = k - (rank - b.length) >= 0 ? b[k - (rank - b.length)] : 1;
      if (da != db && da != 1 && db != 1) {
        return null;
      }
      out[k] = da == 1 ? db : da;
    }
    return out;
  }

  /** The element of {@code x} (shape {@code s}) that output coordinates {@code c} read. */
  static float at(float[] x, int[] s, int[] c) {
    int[] own = new int[s.length];
    for (int k = 0; k < s.length; k++) {
      int ck = c[c.length - s.length + k];
      own[k] = s[k] == 1 ? 0 : ck;
    }
    return x[OpCase.ravel(own, s)];
  }

  /** The plain oracle: float arithmetic per element, activation as defined in docs/OPS.md. */
  static float[] oracle(String op, float[] a, int[] as, float[] b, int[] bs, String act) {
    int[] out = broadcastShape(as, bs);
    float[] y = new float[OpCase.count(out)];
    for (int i = 0; i < y.length; i++) {
      int[] c = OpCase.unravel(i, out);
      float v = apply(op, at(a, as, c), at(b, bs, c));
      switch (act) {
        case "RELU": v = v < 0 ? 0 : v; break;
        case "RELU6": v = v < 0 ? 0 : (v > 6 ? 6 : v); break;
        case "HARD_SWISH": v = v * Math.min(Math.max(v + 3, 0), 6) / 6; break;
        case "CLIP": v = v < -0.5f ? -0.5f : (v > 0.75f ? 0.75f : v); break;
        default:
      }
      y[i] = v;
    }
    return y;
  }

  private static OpCase binary(String op, int[] as, float[] a, int[] bs, float[] b, String act) {
    OpCase c = OpCase.of(op).input(as, a).input(bs, b);
    if (!act.equals("NONE")) {
      c.attr("activation", act);
      if (act.equals("CLIP")) {
        c.attr("activation_min", -0.5f).attr("activation_max", 0.75f);
      }
    }
    return c;
  }

  private static float[] random(Random r, int[] shape) {
    float[] v = TestSupport.randomFloats(r, OpCase.count(shape), -2, 2);
    for (int i = 0; i < v.length; i++) {
      if (v[i] > -0.05f && v[i] < 0.05f) {
        v[i] = 0.5f; // keep divisors away from zero for the random comparisons
      }
    }
    return v;
  }

  @Test
  public void handComputed() throws Exception {
    Tensor y = OpCase.of("Add").input(new int[] {2, 1, 3}, new float[] {1, 2, 3, 4, 5, 6})
        .input(new int[] {4, 1}, new float[] {10, 20, 30, 40}).run();
    assertEquals("[2,4,3]", y.shape().toString());
    assertArrayEquals(new float[] {11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43,
        14, 15, 16, 24, 25, 26, 34, 35, 36, 44, 45, 46}, y.toFloatArray(), 0f);
    assertArrayEquals(new float[] {-1, 0, 1, 2}, OpCase.of("Sub").input(new int[] {2, 2}, new float[] {1, 2, 3, 4})
        .input(new int[0], new float[] {2}).values(), 0f);
    assertArrayEquals(new float[] {3, 1, 0, -1}, OpCase.of("Sub").input(new int[0], new float[] {2})
        .input(new int[] {4}, new float[] {-1, 1, 2, 3}).values(), 0f);
    assertArrayEquals(new float[] {2, 6, 4, 12}, OpCase.of("Mul").input(new int[] {2, 2}, new float[] {1, 2, 2, 4})
        .input(new int[] {2}, new float[] {2, 3}).values(), 0f);
    assertArrayEquals(new float[] {0, 6, 0, 12}, OpCase.of("Mul").input(new int[] {2, 2}, new float[] {-1, 2, -2, 4})
        .input(new int[] {2}, new float[] {2, 3}).attr("activation", "RELU").values(), 0f);
  }

  @Test
  public void divisionFollowsIeee() throws Exception {
    float[] y = OpCase.of("Div").input(new int[] {4}, new float[] {1, -1, 0, 6})
        .input(new int[] {4}, new float[] {0, 0, 0, -3}).values();
    assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -2}, y, 0f);
  }

  @Test
  public void broadcastShapes() throws Exception {
    int[][][] cases = {
      {{2, 1, 3}, {4, 1}, {2, 4, 3}},
      {{}, {2, 3}, {2, 3}},
      {{2, 3}, {}, {2, 3}},
      {{3}, {2, 3}, {2, 3}},
      {{2, 3, 4}, {1}, {2, 3, 4}},
      {{1, 1, 1}, {5}, {1, 1, 5}},
      {{5, 1, 1, 3}, {1, 4, 3}, {5, 1, 4, 3}},
      {{2, 1}, {1, 3}, {2, 3}},
      {{0, 3}, {1, 3}, {0, 3}},
      {{0}, {1}, {0}},
      {{1}, {}, {1}},
      {{}, {}, {}},
    };
    Random r = new Random(5);
    for (int[][] c : cases) {
      for (String op : OPS) {
        float[] a = random(r, c[0]);
        float[] b = random(r, c[1]);
        OpCase oc = binary(op, c[0], a, c[1], b, "NONE");
        Tensor y = oc.run();
        assertEquals(Arrays.toString(c[0]) + " " + Arrays.toString(c[1]), Arrays.toString(c[2]),
            Arrays.toString(y.shape().dims()));
        assertArrayEquals(oracle(op, a, c[0], b, c[1], "NONE"), y.toFloatArray(), 0f);
        oc.assertKernelsAgree();
      }
    }
  }

  /** The fast paths (same shape, scalar operand, per-channel, general rows) against the reference. */
  @Test
  public void fastPathsAgainstReferenceAndOracle() throws Exception {
    int[][][] cases = {
      {{1, 64, 64, 32}, {1, 64, 64, 32}},  // same shape, one row split in ranges
      {{1, 64, 64, 32}, {}},                // scalar b
      {{1}, {2, 40, 40, 16}},               // scalar a
      {{1, 40, 40, 24}, {24}},              // per-channel (NHWC bias)
      {{24}, {1, 40, 40, 24}},              // per-channel, a stretched
      {{4, 20, 20, 64}, {4, 1, 1, 64}},     // squeeze-excite scale: per image and channel
      {{8, 1, 300}, {8, 200, 1}},           // both stretched
      {{3, 1, 5, 1, 7}, {1, 4, 1, 6, 1}},
    };
    Random r = new Random(6);
    String[] acts = {"NONE", "RELU", "RELU6", "CLIP", "HARD_SWISH"};
    int k = 0;
    for (int[][] c : cases) {
      for (String op : OPS) {
        String act = acts[k++ % acts.length];
        float[] a = random(r, c[0]);
        float[] b = random(r, c[1]);
        float[] y = binary(op, c[0], a, c[1], b, act).assertKernelsAgree();
        // HARD_SWISH divides by 6 here and multiplies by 1/6 in the kernel: one rounding apart.
        TestSupport.assertClose(op + " " + act + " " + Arrays.deepToString(c), oracle(op, a, c[0], b, c[1], act), y,
            1e-6, 1e-30);
      }
    }
  }

  @Test
  public void randomShapesAgainstReference() throws Exception {
    Random r = new Random(7);
    for (int t = 0; t < 60; t++) {
      int rank = r.nextInt(5);
      int[] out = new int[rank];
      for (int d = 0; d < rank; d++) {
        out[d] = 1 + r.nextInt(5);
      }
      int[] as = operand(r, out);
      int[] bs = operand(r, out);
      String op = OPS[t % 4];
      float[] a = random(r, as);
      float[] b = random(r, bs);
      OpCase c = binary(op, as, a, bs, b, t % 3 == 0 ? "RELU" : "NONE");
      float[] y = c.assertKernelsAgree();
      assertArrayEquals(Arrays.toString(as) + " " + Arrays.toString(bs),
          oracle(op, a, as, b, bs, t % 3 == 0 ? "RELU" : "NONE"), y, 0f);
    }
  }

  /** A random operand that broadcasts to {@code out}: a suffix of it, some dimensions set to 1. */
  private static int[] operand(Random r, int[] out) {
    int rank = r.nextInt(out.length + 1);
    int[] s = Arrays.copyOfRange(out, out.length - rank, out.length);
    for (int d = 0; d < rank; d++) {
      if (r.nextInt(3) == 0) {
        s[d] = 1;
      }
    }
    return s;
  }

  @Test
  public void constantOperands() throws Exception {
    float[] y = OpCase.of("Add").input(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
        .constant(new int[] {3}, new float[] {10, 20, 30}).values();
    assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, y, 0f);
  }

  @Test
  public void errors() {
    assertEquals("cannot broadcast [2,3] with [4]",
        OpCase.of("Add").input(new int[] {2, 3}, new float[6]).input(new int[] {4}, new float[4]).error());
    assertEquals("cannot broadcast [2,3] with [3,3]",
        OpCase.of("Mul").input(new int[] {2, 3}, new float[6]).input(new int[] {3, 3}, new float[9]).error());
    assertEquals("cannot broadcast [0] with [2]",
        OpCase.of("Sub").input(new int[] {0}, new float[0]).input(new int[] {2}, new float[2]).error());
    assertEquals("input 1 'in1' must be FLOAT32, got INT64",
        OpCase.of("Div").input(new int[] {2}, new float[2]).input(DataType.INT64, new int[] {2}).error());
    assertEquals("expects 2 inputs, got 1", OpCase.of("Add").input(new int[] {2}, new float[2]).error());
    assertEquals("unknown activation 'TANH' (expected NONE, RELU, RELU6, CLIP or HARD_SWISH)",
        OpCase.of("Add").input(new int[] {2}, new float[2]).input(new int[] {2}, new float[2])
            .attr("activation", "TANH").error());
  }

  @Test
  public void broadcastHelper() {
    assertArrayEquals(new int[] {2, 4, 3}, Broadcast.shape(new int[] {2, 1, 3}, new int[] {4, 1}));
    assertArrayEquals(new int[] {0, 1, 0}, Broadcast.strides(new int[] {4, 1}, new int[] {2, 4, 3}));
    assertArrayEquals(new int[] {3, 0, 1}, Broadcast.strides(new int[] {2, 1, 3}, new int[] {2, 4, 3}));
  }
}
