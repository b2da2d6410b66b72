package dev.topiary.internal.cpu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Shape;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.plan.Planner;
import java.nio.ByteBuffer;
import org.junit.Test;

/**
 * Without {@code topiary-runtime-vector} on the class path (this module's tests, any Java 11–20
 * JVM, Android) there are no vector kernels, and asking for them binds the C2 kernels. The vector
 * module's own tests cover the other side.
 */
public class VectorSupportTest {
  @Test
  public void withoutTheVectorModuleThePlanBindsTheC2Kernels() throws Exception {
    assertNull(VectorSupport.kernels());
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 8, 8, 16));
    float[] weights = new float[300 * 16];
    java.util.Arrays.fill(weights, 0.5f);
    int w = g.constant("w", Shape.of(300, 1, 1, 16), weights);
    g.output(g.node("Conv2D", "conv", x, w).output("y"));
    Planner.Options o = new Planner.Options();
    assertEquals("default", true, o.vectorKernels);
    try (Model m = ModelAccess.get().load(ByteBuffer.wrap(g.build()), o)) {
      assertEquals("ConvGemmKernel", ModelAccess.get().plan(m).steps().get(0).kernel.getClass().getSimpleName());
    }
  }
}
