package dev.topiary.internal.plan;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.testing.TestSupport;
import java.util.Collections;
import org.junit.Test;

/**
 * Which constant arrays a plan keeps: those a kernel reads through the Frame at run time (it asked
 * for their id at bind time), not the weights a kernel packed or copied.
 */
public class PlanConstantsTest {
  /** x·Wᵀ + b (FullyConnected), then + c (Add reading the constant c through the Frame), then MatMul by m. */
  private static byte[] graph() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(2, 3));
    int w = g.constant("w", Shape.of(4, 3), new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    int b = g.constant("b", Shape.of(4), new float[] {0.5f, -1, 2, 0});
    int c = g.constant("c", Shape.of(4), new float[] {1, 1, -1, -1});
    int m = g.constant("m", Shape.of(4, 2), new float[] {1, 0, 0, 1, 1, 1, -1, 2});
    g.constant("unused", Shape.of(8), new float[8]);
    int fc = g.node("FullyConnected", "fc", x, w, b).output("fc");
    int add = g.node("Add", "add", fc, c).output("add");
    g.output(g.node("MatMul", "mm", add, m).output("y"));
    return g.build();
  }

  @Test
  public void packedWeightsAreDroppedAndFrameReadConstantsKept() throws Exception {
    try (Model model = TestSupport.load(graph(), false)) {
      Plan p = TestSupport.planOf(model);
      int kept = 0;
      for (int id = 0; id < p.tensorCount(); id++) {
        String name = p.tensorName(id);
        if (name.equals("w") || name.equals("b") || name.equals("c") || name.equals("m") || name.equals("unused")) {
          assertTrue(name, p.isConstant(id));
          kept += p.constants[id] != null ? 1 : 0;
          assertEquals(name, name.equals("c"), p.constants[id] != null);
        }
      }
      assertEquals(1, kept);
      assertEquals(4 * 4, p.constantBytes());
    }
  }

  @Test
  public void referenceKernelsKeepWhatTheyReadThroughTheFrame() throws Exception {
    try (Model model = TestSupport.load(graph(), true)) {
      Plan p = TestSupport.planOf(model);
      // The reference MatMul reads its B through the Frame; FullyConnected's reference holds w and b itself.
      assertEquals((4 + 8) * 4, p.constantBytes());
    }
  }

  @Test
  public void fastAndReferencePlansComputeTheSameAfterDropping() throws Exception {
    float[] in = {1, -2, 3, 0.5f, 0, -1};
    float[][] out = new float[2][];
    for (int r = 0; r < 2; r++) {
      try (Model model = TestSupport.load(graph(), r == 1);
          Session s = model.newSession(SessionOptions.builder().threads(1).build())) {
        out[r] = s.run(Collections.singletonMap("x", Tensor.ofFloats(Shape.of(2, 3), in))).get("y").toFloatArray();
      }
    }
    assertArrayEquals(out[1], out[0], 1e-4f);
  }
}
