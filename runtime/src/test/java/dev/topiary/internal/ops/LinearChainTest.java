package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.LinearTestHelper.assertFastMatchesReference;
import static dev.topiary.internal.ops.LinearTestHelper.inputs;
import static dev.topiary.internal.ops.LinearTestHelper.random;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import java.util.Random;
import org.junit.Test;

/**
 * A small mobile-style network made of the linear ops only (strided 3×3 conv, depthwise, 1×1
 * expansion and projection, a per-pixel FullyConnected, a MatMul head), fast against reference
 * end to end on 1–3 threads: kernels hand each other tensors through the shared arena.
 */
public class LinearChainTest {
  @Test
  public void mobileStyleChainMatchesReference() throws Exception {
    Random r = new Random(99);
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(2, 33, 31, 3));
    int t = conv(g, r, "stem", x, 3, 16, 3, 1, 2, "RELU6");
    t = conv(g, r, "dw1", t, 16, 16, 3, 16, 1, "RELU6");
    t = conv(g, r, "expand", t, 16, 96, 1, 1, 1, "RELU6");
    t = conv(g, r, "dw2", t, 96, 96, 5, 96, 2, "HARD_SWISH");
    t = conv(g, r, "project", t, 96, 24, 1, 1, 1, "NONE");
    int w = g.constant("fc_w", Shape.of(40, 24), random(r, 40 * 24));
    int b = g.constant("fc_b", Shape.of(40), random(r, 40));
    t = g.node("FullyConnected", "fc", t, w, b).attr("activation", "RELU").output("fc_out");
    int head = g.constant("head", Shape.of(40, 7), random(r, 40 * 7));
    g.output(g.node("MatMul", "head", t, head).output("y"));
    assertFastMatchesReference("chain", g.build(),
        inputs("x", Tensor.ofFloats(Shape.of(2, 33, 31, 3), random(r, 2 * 33 * 31 * 3))), 96 * 9);
  }

  private static int conv(GraphBuilder g, Random r, String name, int x, int c, int o, int k, int group, int stride,
      String act) {
    int cg = c / group;
    int w = g.constant(name + "_w", Shape.of(o, k, k, cg), random(r, o * k * k * cg));
    int b = g.constant(name + "_b", Shape.of(o), random(r, o));
    return g.node("Conv2D", name, x, w, b).attr("padding", "SAME_UPPER").attrInts("strides", stride, stride)
        .attr("group", (long) group).attr("activation", act).output(name + "_out");
  }
}
