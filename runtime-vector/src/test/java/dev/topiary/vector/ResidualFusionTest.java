package dev.topiary.vector;

import static dev.topiary.vector.VectorTesting.assertVectorMatchesReference;
import static dev.topiary.vector.VectorTesting.random;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.plan.Plan;
import dev.topiary.internal.plan.Planner;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * The planner's fusion of a residual Add into the convolution before it: the fused plan computes
 * the same bits as the same kernels unfused, matches the reference kernels, drops the Add's step
 * and the convolution's own output from the arena, and is not done where it would be wrong (the
 * convolution's output read elsewhere, a broadcasting or constant addend, both ops with an
 * activation).
 */
public class ResidualFusionTest {
  /** {@code y = Add(Conv(x) [act], r) [addAct]}, r a second input or x itself. */
  private static final class Case {
    final int h;
    final int w;
    final int c;
    final int k;
    String convAct = "NONE";
    String addAct = "NONE";
    boolean residualIsInput = true;
    boolean convFirst = true;
    int n = 1;

    Case(int h, int w, int c, int k) {
      this.h = h;
      this.w = w;
      this.c = c;
      this.k = k;
    }

    byte[] artifact(Random r) throws Exception {
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(n, h, w, c));
      int res = residualIsInput ? x : g.input("s", DataType.FLOAT32, Shape.of(n, h, w, c));
      int wi = g.constant("w", Shape.of(c, k, k, c), random(r, c * k * k * c));
      GraphBuilder.NodeBuilder conv = g.node("Conv2D", "conv", x, wi, g.constant("b", Shape.of(c), random(r, c)));
      conv.attr("padding", "SAME_UPPER");
      VectorGemmTest.activation(conv, convAct);
      int t = conv.output("t");
      GraphBuilder.NodeBuilder add = convFirst ? g.node("Add", "add", t, res) : g.node("Add", "add", res, t);
      g.output(VectorGemmTest.activation(add, addAct).output("y"));
      return g.build();
    }

    Map<String, Tensor> inputs(Random r) {
      Map<String, Tensor> in = new HashMap<>();
      in.put("x", Tensor.ofFloats(Shape.of(n, h, w, c), random(r, n * h * w * c)));
      if (!residualIsInput) {
        in.put("s", Tensor.ofFloats(Shape.of(n, h, w, c), random(r, n * h * w * c)));
      }
      return in;
    }

    boolean fuses() {
      return convAct.equals("NONE") || addAct.equals("NONE");
    }

    @Override
    public String toString() {
      return "[" + n + "," + h + "," + w + "," + c + "] " + k + "x" + k + " conv " + convAct + ", add " + addAct
          + (residualIsInput ? " of x" : " of s") + (convFirst ? "" : " (residual first)");
    }
  }

  private static Model load(byte[] artifact, boolean fuse) throws Exception {
    Planner.Options o = new Planner.Options();
    o.fuseResidualAdds = fuse;
    return ModelAccess.get().load(ByteBuffer.wrap(artifact), o);
  }

  private static float[] run(Model m, int threads, Map<String, Tensor> in) {
    try (Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
      ModelAccess.get().minParallelWork(s, 0);
      return s.run(in).get("y").toFloatArray();
    }
  }

  private static List<String> ops(Model m) {
    List<String> ops = new ArrayList<>();
    for (Plan.Step s : ModelAccess.get().plan(m).steps()) {
      ops.add(s.opType + (s.fusedNodes.length > 0 ? "+fused" : ""));
    }
    return ops;
  }

  /** Fused against unfused (same bits), against the reference (tolerance), and the plan's shape. */
  private static void check(Case k, Random r) throws Exception {
    byte[] a = k.artifact(r);
    Map<String, Tensor> in = k.inputs(r);
    assertVectorMatchesReference(k.toString(), a, in, k.k * k.k * k.c, 1, 2);
    try (Model fused = load(a, true); Model plain = load(a, false)) {
      assertEquals(k + ": steps", k.fuses() ? List.of("Conv2D+fused") : List.of("Conv2D", "Add"), ops(fused));
      assertEquals(List.of("Conv2D", "Add"), ops(plain));
      for (int threads = 1; threads <= 2; threads++) {
        float[] want = run(plain, threads, in);
        float[] got = run(fused, threads, in);
        for (int i = 0; i < want.length; i++) {
          if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
            fail(k + ", " + threads + " thread(s): element " + i + " fused " + got[i] + ", unfused " + want[i]);
          }
        }
      }
      if (k.fuses()) {
        // y = conv(x) + x: x, t and y live at once unfused, x and y fused. With a second input s,
        // x, s and t (or x, s and y) live at the first step either way.
        long saved = k.residualIsInput ? (long) k.n * k.h * k.w * k.c * 4 : 0;
        assertTrue(k + ": arena " + ModelAccess.get().plan(fused).arenaBytes() + " vs "
                + ModelAccess.get().plan(plain).arenaBytes(),
            ModelAccess.get().plan(fused).arenaBytes() <= ModelAccess.get().plan(plain).arenaBytes() - saved);
      }
    }
  }

  @Test
  public void everyActivationOrderAndPanelShape() throws Exception {
    Random r = new Random(0xadd);
    String[] acts = VectorConvTest.ACTIVATIONS;
    // 16: one vector; 24 and 40: a partial last panel (residual rows through the scratch); 64: whole
    // panels. Pixels (on one thread, tiles of up to 60 rows): 13 × 7 in blocks of six and a last
    // seven; 5 × 3 in seven, four, four; 3 × 3 in six and three ones; 7 × 7 in six and a seven.
    int[] channels = {16, 24, 40, 64};
    int[][] images = {{13, 7}, {5, 3}, {3, 3}, {7, 7}};
    int i = 0;
    for (String convAct : acts) {
      for (String addAct : new String[] {"NONE", "RELU", "HARD_SWISH"}) {
        int[] hw = images[i / 4 % images.length];
        Case k = new Case(hw[0], hw[1], channels[i % channels.length], 1);
        k.convAct = convAct;
        k.addAct = addAct;
        k.residualIsInput = i % 2 == 0;
        k.convFirst = i % 3 != 0;
        check(k, r);
        i++;
      }
    }
  }

  @Test
  public void gatheredConvolutionsAndBatches() throws Exception {
    Random r = new Random(7);
    // 3×3 (im2col rows), two images, both orders of the activations.
    Case k = new Case(9, 11, 24, 3);
    k.n = 2;
    k.convAct = "RELU";
    check(k, r);
    k = new Case(6, 5, 33, 3);
    k.addAct = "RELU6";
    k.residualIsInput = false;
    check(k, r);
    // ResNet's shape: act(conv + bias + x), 64 channels.
    k = new Case(14, 14, 64, 3);
    k.addAct = "RELU";
    check(k, r);
  }

  @Test
  public void leavesAloneWhatItMustNotFuse() throws Exception {
    Random r = new Random(11);
    // The convolution's output is also a graph output.
    {
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4, 4, 16));
      int t = g.node("Conv2D", "conv", x, g.constant("w", Shape.of(16, 1, 1, 16), random(r, 256)))
          .attr("padding", "VALID").output("t");
      g.output(t);
      g.output(g.node("Add", "add", t, x).output("y"));
      assertNotFused(g.build(), Map.of("x", Tensor.ofFloats(Shape.of(1, 4, 4, 16), random(r, 256))), 16);
    }
    // A broadcasting addend ([16] against [1,4,4,16]) and a constant one.
    for (boolean constant : new boolean[] {false, true}) {
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4, 4, 16));
      int c = constant ? g.constant("c", Shape.of(1, 4, 4, 16), random(r, 256))
          : g.input("c", DataType.FLOAT32, Shape.of(16));
      int t = g.node("Conv2D", "conv", x, g.constant("w", Shape.of(16, 1, 1, 16), random(r, 256)))
          .attr("padding", "VALID").output("t");
      g.output(g.node("Add", "add", c, t).output("y"));
      Map<String, Tensor> in = new HashMap<>();
      in.put("x", Tensor.ofFloats(Shape.of(1, 4, 4, 16), random(r, 256)));
      if (!constant) {
        in.put("c", Tensor.ofFloats(Shape.of(16), random(r, 16)));
      }
      assertNotFused(g.build(), in, 16);
    }
    // The convolution's output is the broadcast side ([1,1,1,16] against [1,4,4,16]): offered (the
    // addend has the Add's shape), taken, then bound again alone once the shapes are known.
    {
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(1, 1, 1, 16));
      int s = g.input("s", DataType.FLOAT32, Shape.of(1, 4, 4, 16));
      int t = g.node("Conv2D", "conv", x, g.constant("w", Shape.of(16, 1, 1, 16), random(r, 256)))
          .attr("padding", "VALID").output("t");
      g.output(g.node("Add", "add", t, s).output("y"));
      Map<String, Tensor> in = new HashMap<>();
      in.put("x", Tensor.ofFloats(Shape.of(1, 1, 1, 16), random(r, 16)));
      in.put("s", Tensor.ofFloats(Shape.of(1, 4, 4, 16), random(r, 256)));
      assertNotFused(g.build(), in, 16);
    }
    // The convolution's output read twice (Add(t, t)).
    {
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4, 4, 16));
      int t = g.node("Conv2D", "conv", x, g.constant("w", Shape.of(16, 1, 1, 16), random(r, 256)))
          .attr("padding", "VALID").output("t");
      g.output(g.node("Add", "add", t, t).output("y"));
      assertNotFused(g.build(), Map.of("x", Tensor.ofFloats(Shape.of(1, 4, 4, 16), random(r, 256))), 16);
    }
    // A depthwise convolution (its kernel has no residual epilogue).
    {
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(1, 6, 6, 32));
      int t = g.node("Conv2D", "dw", x, g.constant("w", Shape.of(32, 3, 3, 1), random(r, 288)))
          .attr("padding", "SAME_UPPER").attr("group", 32L).output("t");
      g.output(g.node("Add", "add", t, x).output("y"));
      assertNotFused(g.build(), Map.of("x", Tensor.ofFloats(Shape.of(1, 6, 6, 32), random(r, 6 * 6 * 32))), 9);
    }
  }

  private static void assertNotFused(byte[] a, Map<String, Tensor> in, int depth) throws Exception {
    try (Model m = load(a, true)) {
      for (Plan.Step s : ModelAccess.get().plan(m).steps()) {
        assertEquals(s.opType + " fused", 0, s.fusedNodes.length);
      }
    }
    assertVectorMatchesReference("unfused", a, in, depth, 1, 1);
  }
}
