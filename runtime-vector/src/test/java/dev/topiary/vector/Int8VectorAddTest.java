package dev.topiary.vector;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.quantization.FixedPoint;
import dev.topiary.internal.build.GraphBuilder;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * {@link Int8VectorAdd} on every pair of int8 values, against TFLite's formula evaluated per element
 * with {@code FixedPoint} (the reference kernel's arithmetic): scales that make the three
 * multipliers' shifts range from 0 to −25, zero points at both ends, and activation ranges. Then
 * through a model: the planner binds it for equal shapes, and the bytes equal the reference
 * kernel's.
 */
public class Int8VectorAddTest {
  private static final VectorKernels VK = FloatVectorKernels.createIfUseful();

  @Test
  public void everyPairMatchesTheFormula() {
    // scale a, zp a, scale b, zp b, scale y, zp y, lo, hi
    float[][] cases = {
      {0.05f, 3, 0.05f, 3, 0.1f, -2, -128, 127},
      {0.02f, -128, 0.9f, 127, 0.5f, 0, -128, 127},
      {1e-3f, 10, 7e-4f, -20, 2e-3f, 5, -128, 127},
      {0.25f, 0, 3e-5f, -7, 0.3f, -128, -128, 127},
      {0.1f, 127, 0.1f, -128, 1e-4f, 0, -60, 90},
      {6f, -3, 0.02f, 9, 40f, 17, -128, 127},
    };
    for (float[] k : cases) {
      double twiceMax = 2 * Math.max(k[0], k[2]);
      FixedPoint.Multiplier ma = FixedPoint.quantizeMultiplier(k[0] / twiceMax);
      FixedPoint.Multiplier mb = FixedPoint.quantizeMultiplier(k[2] / twiceMax);
      FixedPoint.Multiplier my = FixedPoint.quantizeMultiplier(twiceMax / ((1 << 20) * (double) k[4]));
      int za = (int) k[1];
      int zb = (int) k[3];
      int zy = (int) k[5];
      int lo = (int) k[6];
      int hi = (int) k[7];
      // Every pair, plus 13 more elements for the scalar tail, at offsets.
      int n = 65536 + 13;
      byte[] a = new byte[n + 3];
      byte[] b = new byte[n + 5];
      Random r = new Random(n);
      byte[] expected = new byte[n + 1];
      for (int i = 0; i < n; i++) {
        int va = i < 65536 ? (i & 0xFF) - 128 : r.nextInt(256) - 128;
        int vb = i < 65536 ? (i >> 8) - 128 : r.nextInt(256) - 128;
        a[3 + i] = (byte) va;
        b[5 + i] = (byte) vb;
        int sa = FixedPoint.multiplyByQuantizedMultiplier((va - za) * (1 << 20), ma.multiplier, ma.shift);
        int sb = FixedPoint.multiplyByQuantizedMultiplier((vb - zb) * (1 << 20), mb.multiplier, mb.shift);
        int v = FixedPoint.multiplyByQuantizedMultiplier(sa + sb, my.multiplier, my.shift) + zy;
        expected[1 + i] = (byte) Math.max(lo, Math.min(hi, v));
      }
      byte[] got = new byte[n + 1];
      VK.int8Add(za, ma, zb, mb, my, zy, lo, hi).compute(a, 3, b, 5, got, 1, n);
      assertArrayEquals(java.util.Arrays.toString(k) + " (" + ma + ", " + mb + ", " + my + ")", expected, got);
    }
  }

  @Test
  public void theModelBindsItAndMatchesTheReferenceKernel() throws Exception {
    GraphBuilder g = new GraphBuilder();
    Shape shape = Shape.of(1, 7, 7, 40);
    int x = g.input("x", DataType.INT8, shape);
    g.quantization(x, new float[] {0.05f}, new long[] {3}, 0);
    int z = g.input("z", DataType.INT8, shape);
    g.quantization(z, new float[] {0.02f}, new long[] {-9}, 0);
    int y = g.node("Add", "add", x, z).attr("activation", "RELU6").output("y", DataType.INT8, null);
    g.quantization(y, new float[] {0.04f}, new long[] {-20}, 0);
    g.output(y);
    byte[] artifact = g.build();
    assertEquals(List.of("VectorAddKernel"), VectorTesting.kernelNames(artifact, VectorTesting.Kernels.VECTOR));
    Random r = new Random(5);
    byte[] xv = new byte[shape.elementCount()];
    byte[] zv = new byte[shape.elementCount()];
    r.nextBytes(xv);
    r.nextBytes(zv);
    Map<String, Tensor> in = Map.of("x", Tensor.ofBytes(DataType.INT8, shape, xv), "z", Tensor.ofBytes(DataType.INT8, shape, zv));
    byte[][] outs = new byte[2][];
    VectorTesting.Kernels[] kinds = {VectorTesting.Kernels.REFERENCE, VectorTesting.Kernels.VECTOR};
    for (int i = 0; i < 2; i++) {
      try (Model m = VectorTesting.load(artifact, kinds[i]); Session s = m.newSession(SessionOptions.defaults())) {
        outs[i] = s.run(in).get("y").toByteArray();
      }
    }
    assertArrayEquals(outs[0], outs[1]);
  }
}
