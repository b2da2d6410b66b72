package dev.topiary.vector;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.VectorKernels;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * The vector elementwise loops and column means give the bits of the plain scalar code: checked
 * directly against scalar loops written here (special values included), and through whole plans
 * against the C2 and reference kernels.
 */
public class VectorElementwiseTest {
  private static final float[] SPECIAL = {0f, -0f, 1f, -1f, 3f, -3f, 6f, 7.5f, Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, 1e-40f, -2.5f};

  private static float[] values(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextInt(4) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (r.nextFloat() * 16f - 8f);
    }
    return v;
  }

  private static float op(VectorKernels.Binary op, float a, float b) {
    switch (op) {
      case ADD: return a + b;
      case SUB: return a - b;
      case MUL: return a * b;
      default: return a / b;
    }
  }

  private static float act(Gemm.Act act, float lo, float hi, float v) {
    switch (act) {
      case CLAMP: return Math.min(Math.max(v, lo), hi);
      case HARD_SWISH: return v * Math.min(Math.max(v + 3f, 0f), 6f) * (1f / 6f);
      default: return v;
    }
  }

  @Test
  public void binaryLoopsGiveTheScalarBits() {
    VectorKernels vk = FloatVectorKernels.createIfUseful();
    org.junit.Assume.assumeNotNull(vk);
    Random r = new Random(7);
    float[][] clamps = {{0f, Float.POSITIVE_INFINITY}, {0f, 6f}, {-1.5f, 2.25f}, {Float.NEGATIVE_INFINITY, 0.5f}};
    for (VectorKernels.Binary op : VectorKernels.Binary.values()) {
      for (Gemm.Act act : Gemm.Act.values()) {
        for (float[] c : act == Gemm.Act.CLAMP ? clamps : new float[][] {{Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}}) {
          VectorKernels.Elementwise e = vk.binary(op, act, c[0], c[1]);
          for (int n : new int[] {0, 1, 5, 15, 16, 17, 33, 64, 100}) {
            for (int form = 0; form < 3; form++) {
              boolean aVec = form != 2;
              boolean bVec = form != 1;
              int ao = r.nextInt(5);
              int bo = r.nextInt(5);
              int yo = r.nextInt(5);
              float[] a = values(r, ao + n + 1);
              float[] b = values(r, bo + n + 1);
              float[] y = values(r, yo + n + 3);
              float[] expected = y.clone();
              for (int i = 0; i < n; i++) {
                expected[yo + i] = act(act, c[0], c[1], op(op, a[aVec ? ao + i : ao], b[bVec ? bo + i : bo]));
              }
              e.run(a, ao, aVec, b, bo, bVec, y, yo, n);
              String what = op + " " + act + " [" + c[0] + ", " + c[1] + "] n=" + n + " aVec=" + aVec + " bVec=" + bVec;
              for (int i = 0; i < y.length; i++) {
                if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(y[i])) {
                  fail(what + ": element " + i + " is " + y[i] + ", scalar code gives " + expected[i]);
                }
              }
            }
          }
        }
      }
    }
  }

  @Test
  public void columnMeansGiveTheScalarBits() {
    VectorKernels vk = FloatVectorKernels.createIfUseful();
    org.junit.Assume.assumeNotNull(vk);
    Random r = new Random(11);
    for (int rows : new int[] {1, 7, 49, 64, 65, 130}) {
      for (int inner : new int[] {1, 5, 16, 17, 64, 70, 130}) {
        for (int block : new int[] {1, 3, 64}) {
          int xo = r.nextInt(4);
          float[] x = new float[xo + rows * inner];
          for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 1000);
          }
          int i0 = inner > 4 ? r.nextInt(3) : 0;
          int i1 = inner > 4 ? inner - r.nextInt(3) : inner;
          int yo = r.nextInt(4);
          float[] y = new float[yo + inner + 2];
          float[] expected = y.clone();
          for (int i = i0; i < i1; i++) {
            float t = 0f;
            for (int rb = 0; rb < rows; rb += block) {
              float s = 0f;
              for (int q = rb; q < Math.min(rb + block, rows); q++) {
                s += x[xo + q * inner + i];
              }
              t += s;
            }
            expected[yo + i] = t / rows;
          }
          vk.meanColumns(x, xo, y, yo, rows, inner, i0, i1, block);
          assertArrayEquals("rows " + rows + " inner " + inner + " block " + block, expected, y, 0f);
        }
      }
    }
  }

  private static byte[] add(Shape a, Shape b, String activation) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, a);
    int c = g.input("c", DataType.FLOAT32, b);
    g.output(g.node("Add", "add", x, c).attr("activation", activation).output("y"));
    return g.build();
  }

  private static byte[] pool(Shape a) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, a);
    g.output(g.node("GlobalAvgPool", "gap", x).output("y"));
    return g.build();
  }

  private static void assertSameBitsEveryWay(String what, byte[] model, Map<String, Tensor> in) throws Exception {
    float[] c2 = VectorTesting.run(model, VectorTesting.Kernels.C2, 1, in);
    for (int threads = 1; threads <= 3; threads++) {
      float[] v = VectorTesting.run(model, VectorTesting.Kernels.VECTOR, threads, in);
      assertEquals(what, c2.length, v.length);
      for (int i = 0; i < v.length; i++) {
        if (Float.floatToIntBits(c2[i]) != Float.floatToIntBits(v[i])) {
          fail(what + ", " + threads + " thread(s): element " + i + " is " + v[i] + ", C2 kernels give " + c2[i]);
        }
      }
    }
    VectorTesting.assertVectorMatchesReference(what, model, in, 1, 1f, 1f);
  }

  @Test
  public void addAndPoolPlansMatchTheOtherKernels() throws Exception {
    Random r = new Random(5);
    int[][][] shapes = {
      {{1, 7, 7, 40}, {40}}, {{2, 5, 3, 17}, {2, 5, 3, 17}}, {{1, 9, 9, 24}, {1}}, {{3, 1, 1, 1000}, {3, 1, 1, 1}},
      {{1}, {4, 33}},
    };
    for (int[][] s : shapes) {
      for (String act : new String[] {"NONE", "RELU6", "HARD_SWISH"}) {
        Shape a = Shape.of(s[0]);
        Shape b = Shape.of(s[1]);
        Map<String, Tensor> in = new HashMap<>();
        in.put("x", Tensor.ofFloats(a, VectorTesting.random(r, a.elementCount())));
        in.put("c", Tensor.ofFloats(b, VectorTesting.random(r, b.elementCount())));
        assertSameBitsEveryWay("add " + a + " + " + b + " " + act, add(a, b, act), in);
      }
    }
    for (int[] s : new int[][] {{1, 7, 7, 128}, {2, 14, 14, 37}, {1, 3, 3, 1280}, {1, 12, 12, 5}}) {
      Shape a = Shape.of(s);
      Map<String, Tensor> in = Collections.singletonMap("x", Tensor.ofFloats(a, VectorTesting.random(r, a.elementCount())));
      assertSameBitsEveryWay("GlobalAvgPool " + a, pool(a), in);
    }
  }
}
