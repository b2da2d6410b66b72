package dev.topiary.vector;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.cpu.VectorSupport;
import java.util.Collections;
import java.util.Map;
import java.util.Random;
import org.junit.Assume;
import org.junit.Test;

/**
 * Run by its own surefire execution ({@code without-incubator-module}), on a JVM started without
 * {@code --add-modules jdk.incubator.vector} but with this module's classes on the class path: the
 * provider declines, the planner binds the C2 kernels, and the results are the C2 kernels' results.
 * That execution sets {@code topiary.test.withoutIncubatorModule}; elsewhere (a {@code -Dtest=...}
 * run in the default execution) the test is skipped.
 */
public class WithoutIncubatorModuleTest {
  @Test
  public void theRuntimeFallsBackToTheC2Kernels() throws Exception {
    Assume.assumeTrue(Boolean.getBoolean("topiary.test.withoutIncubatorModule"));
    assertFalse("jdk.incubator.vector must not be loaded in this execution", VectorKernelsProvider.available());
    assertNull(new VectorKernelsProvider().create());
    assertNull(VectorSupport.kernels());

    Random r = new Random(3);
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 9, 9, 16));
    int w = g.constant("w", Shape.of(16, 3, 3, 1), VectorTesting.random(r, 16 * 9));
    GraphBuilder.NodeBuilder node = g.node("Conv2D", "dw", x, w).attr("group", 16L).attr("padding", "SAME_UPPER");
    g.output(node.output("y"));
    byte[] a = g.build();
    // Asking for vector kernels is not an error when there are none.
    assertEquals(Collections.singletonList("DepthwiseConvKernel"), VectorTesting.kernelNames(a, VectorTesting.Kernels.VECTOR));
    Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(Shape.of(1, 9, 9, 16), VectorTesting.random(r, 9 * 9 * 16)));
    float[] c2 = VectorTesting.run(a, VectorTesting.Kernels.C2, 1, in);
    float[] asked = VectorTesting.run(a, VectorTesting.Kernels.VECTOR, 1, in);
    for (int i = 0; i < c2.length; i++) {
      assertEquals("element " + i, Float.floatToRawIntBits(c2[i]), Float.floatToRawIntBits(asked[i]));
    }
  }

  @Test
  public void int8FallsBackToTheC2Kernels() throws Exception {
    Assume.assumeTrue(Boolean.getBoolean("topiary.test.withoutIncubatorModule"));
    Random r = new Random(4);
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.INT8, Shape.of(1, 9, 9, 16));
    g.quantization(x, new float[] {0.05f}, new long[] {3}, 0);
    byte[] wv = new byte[16 * 9];
    for (int i = 0; i < wv.length; i++) {
      wv[i] = (byte) (r.nextInt(255) - 127);
    }
    int w = g.constantRaw("w", DataType.INT8, Shape.of(16, 3, 3, 1), java.nio.ByteBuffer.wrap(wv));
    g.quantization(w, new float[] {0.01f}, new long[] {0}, 0);
    GraphBuilder.NodeBuilder node = g.node("Conv2D", "dw", x, w).attr("group", 16L).attr("padding", "SAME_UPPER");
    int y = node.output("y", DataType.INT8, null);
    g.quantization(y, new float[] {0.1f}, new long[] {-2}, 0);
    g.output(y);
    byte[] a = g.build();
    assertEquals(Collections.singletonList("Int8DepthwiseConv"), VectorTesting.kernelNames(a, VectorTesting.Kernels.VECTOR));
    byte[] xv = new byte[9 * 9 * 16];
    for (int i = 0; i < xv.length; i++) {
      xv[i] = (byte) (r.nextInt(256) - 128);
    }
    Map<String, Tensor> in = Map.of("x", Tensor.ofBytes(DataType.INT8, Shape.of(1, 9, 9, 16), xv));
    for (VectorTesting.Kernels k : new VectorTesting.Kernels[] {VectorTesting.Kernels.C2, VectorTesting.Kernels.VECTOR}) {
      try (dev.topiary.Model m = VectorTesting.load(a, k);
          dev.topiary.Session s = m.newSession(dev.topiary.SessionOptions.builder().threads(2).build());
          dev.topiary.Model ref = VectorTesting.load(a, VectorTesting.Kernels.REFERENCE);
          dev.topiary.Session rs = ref.newSession(dev.topiary.SessionOptions.builder().threads(1).build())) {
        org.junit.Assert.assertArrayEquals(k.toString(), rs.run(in).get("y").toByteArray(), s.run(in).get("y").toByteArray());
      }
    }
  }
}
