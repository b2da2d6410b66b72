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
}
