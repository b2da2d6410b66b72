package dev.topiary.converter.passes;

import static dev.topiary.converter.OnnxBuilder.in;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.Graphs;
import dev.topiary.converter.OnnxBuilder;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.GraphCheck;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.TensorValue;
import java.util.List;
import org.junit.Test;

/** One test group per pass; each runs the pass alone (after shape inference) or the pipeline it belongs to. */
public class PassesTest {
  /** PyTorch's flatten: Shape → Gather(0) → Unsqueeze → Concat(·, [-1]) → Reshape. */
  static byte[] torchFlatten(int opset) {
    OnnxBuilder b = new OnnxBuilder(opset).input("x", -1, 2, 3, 4)
        .node("Relu", in("x"), "r").add()
        .node("Shape", in("r"), "s").add()
        .node("Constant", in(), "zero").tensor("value", OnnxBuilder.longs("", new int[0], 0)).add()
        .node("Gather", in("s", "zero"), "n").attr("axis", 0L).add();
    if (opset >= 13) {
      b.initLongs("ax", new int[] {1}, 0).node("Unsqueeze", in("n", "ax"), "n1").add();
    } else {
      b.node("Unsqueeze", in("n"), "n1").ints("axes", 0).add();
    }
    return b.initLongs("minus1", new int[] {1}, -1)
        .node("Concat", in("n1", "minus1"), "shape").attr("axis", 0L).add()
        .node("Reshape", in("r", "shape"), "y").add().output("y").bytes();
  }

  /** For other test classes. */
  public static byte[] torchFlattenForTests(int opset) {
    return torchFlatten(opset);
  }

  @Test
  public void constantFoldingCollapsesTorchFlatten() throws Exception {
    for (int opset : new int[] {11, 13, 17}) {
      Graph g = Graphs.run(torchFlatten(opset), new ShapeInference(), new ConstantFolding(), new DeadCodeElimination());
      int onnx = 0;
      for (Node n : g.nodes()) {
        onnx += n.op().dialect() == Dialect.ONNX ? 1 : 0;
      }
      assertEquals("Relu and Reshape remain", 2, onnx);
      assertEquals(List.of("Relu{}", "Reshape{allowzero=1, shape=[1, 24]}"), Graphs.runtimeOps(Graphs.lowered(torchFlatten(opset), true)));
      assertEquals(List.of("Relu{}", "Reshape{allowzero=1, shape=[1, 24]}"),
          Graphs.runtimeOps(Graphs.lowered(torchFlatten(opset), false)));
    }
  }

  @Test
  public void identityRemoval() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", 1, 4)
        .node("Identity", in("x"), "a").add()
        .node("Dropout", in("a"), "b").add()
        .node("Relu", in("b"), "c").add()
        .node("Identity", in("c"), "y").add().output("y").bytes();
    Graph g = Graphs.run(m, new ShapeInference(), new IdentityRemoval(), new DeadCodeElimination());
    assertEquals(2, g.size());
    assertEquals("Relu", g.node(g.outputs().get(0).outlet().node()).op().type());
    assertEquals(List.of("Relu{}"), Graphs.runtimeOps(Graphs.lowered(m, false)));
  }

  @Test
  public void batchNormFoldsIntoConv() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", 1, 2, 3, 3)
        .init("w", new int[] {2, 1, 1, 1}, 2, 3).init("b", new int[] {2}, 1, 1)
        .init("scale", new int[] {2}, 1, 2).init("bias", new int[] {2}, 0, 1)
        .init("mean", new int[] {2}, 1, 0).init("var", new int[] {2}, 3, 0)
        .node("Conv", in("x", "w", "b"), "c").attr("group", 2L).add()
        .node("BatchNormalization", in("c", "scale", "bias", "mean", "var"), "y").attr("epsilon", 1f).add()
        .output("y").bytes();
    Graph g = Graphs.run(m, new ShapeInference(), new BatchNormFolding(), new DeadCodeElimination());
    List<Node> convs = g.live(Dialect.ONNX, "Conv");
    assertEquals(1, convs.size());
    assertEquals(0, g.live(Dialect.ONNX, "BatchNormalization").size());
    Node conv = convs.get(0);
    assertArrayEquals(new float[] {1, 6}, g.fact(conv.input(1)).value().floats(), 1e-6f);
    assertArrayEquals(new float[] {0, 3}, g.fact(conv.input(2)).value().floats(), 1e-6f);
    Graph lowered = Graphs.lowered(m, false);
    assertEquals(1, Graphs.count(lowered, "BatchNorm"));
  }

  @Test
  public void batchNormFoldsIntoGemm() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", 1, 2)
        .init("w", new int[] {2, 2}, 1, 2, 3, 4).init("c", new int[] {2}, 1, -1)
        .init("scale", new int[] {2}, 2, 1).init("bias", new int[] {2}, 0, 5)
        .init("mean", new int[] {2}, 1, 0).init("var", new int[] {2}, 1, 1)
        .node("Gemm", in("x", "w", "c"), "g").attr("beta", 2f).add()
        .node("BatchNormalization", in("g", "scale", "bias", "mean", "var"), "y").attr("epsilon", 0f).add()
        .output("y").bytes();
    Graph g = Graphs.run(m, new ShapeInference(), new BatchNormFolding(), new DeadCodeElimination());
    Node gemm = g.live(Dialect.ONNX, "Gemm").get(0);
    // f = [2, 1]; B columns scale: [[2,2],[6,4]]; C' = 2·c·f + (bias − mean·f) = [4−2, −2+5]
    assertArrayEquals(new float[] {2, 2, 6, 4}, g.fact(gemm.input(1)).value().floats(), 1e-6f);
    assertArrayEquals(new float[] {2, 3}, g.fact(gemm.input(2)).value().floats(), 1e-6f);
    assertEquals(1f, gemm.op().attrs().f("beta", 0f), 0f);
  }

  static OnnxBuilder convModel(String act) {
    OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 2, 4, 4).init("w", new int[] {3, 2, 1, 1}, new float[6])
        .node("Conv", in("x", "w"), "c").add();
    return b.node(act, in("c"), "y").add().output("y");
  }

  @Test
  public void activationFusion() throws Exception {
    Graph relu = Graphs.lowered(convModel("Relu").bytes(), true);
    assertEquals(1, Graphs.count(relu, "Conv2D"));
    assertEquals("RELU", relu.live(Dialect.RUNTIME, "Conv2D").get(0).op().attrs().s("activation", ""));
    assertEquals(0, Graphs.count(relu, "Relu"));
    Graph hs = Graphs.lowered(convModel("HardSwish").bytes(), true);
    assertEquals("HARD_SWISH", hs.live(Dialect.RUNTIME, "Conv2D").get(0).op().attrs().s("activation", ""));
    byte[] clip = new OnnxBuilder(13).input("x", 1, 4).init("w", new int[] {3, 4}, new float[12])
        .init("lo", new int[0], -1f).init("hi", new int[0], 1f)
        .node("Gemm", in("x", "w"), "g").attr("transB", 1L).add().node("Clip", in("g", "lo", "hi"), "y").add().output("y").bytes();
    Node fc = Graphs.lowered(clip, true).live(Dialect.RUNTIME, "FullyConnected").get(0);
    assertEquals("CLIP", fc.op().attrs().s("activation", ""));
    assertEquals(-1f, fc.op().attrs().f("activation_min", 0), 0f);
    Graph unfused = Graphs.lowered(convModel("Relu").bytes(), false);
    assertEquals(1, Graphs.count(unfused, "Relu"));
    // Two readers of the conv output: no fusion.
    byte[] two = new OnnxBuilder(13).input("x", 1, 4).init("w", new int[] {3, 4}, new float[12])
        .node("Gemm", in("x", "w"), "g").attr("transB", 1L).add().node("Relu", in("g"), "y").add().output("y").output("g").bytes();
    assertEquals(1, Graphs.count(Graphs.lowered(two, true), "Relu"));
  }

  /** conv → relu → conv → add(residual) → relu, NCHW. */
  static byte[] residual() {
    return new OnnxBuilder(13).input("x", 1, 4, 5, 5)
        .init("w1", new int[] {4, 4, 3, 3}, new float[144]).init("w2", new int[] {4, 4, 1, 1}, new float[16])
        .init("bias", new int[] {4, 1, 1}, 1, 2, 3, 4)
        .node("Conv", in("x", "w1"), "c1").ints("pads", 1, 1, 1, 1).add()
        .node("Relu", in("c1"), "r1").add()
        .node("Conv", in("r1", "w2"), "c2").add()
        .node("Add", in("c2", "r1"), "s").add()
        .node("Add", in("s", "bias"), "sb").add()
        .node("Relu", in("sb"), "y").add()
        .node("GlobalAveragePool", in("y"), "p").add()
        .node("Flatten", in("p"), "f").add()
        .output("f").bytes();
  }

  @Test
  public void transposeSinkingLeavesOnlyTheBoundary() throws Exception {
    Graph naive = Graphs.lowered(residual(), false);
    assertEquals(6, Graphs.count(naive, "Transpose"));
    Graph opt = Graphs.lowered(residual(), true);
    assertEquals(Graphs.runtimeOps(opt).toString(), 1, Graphs.count(opt, "Transpose"));
    assertEquals((int) opt.inputs().get(0), opt.live(Dialect.RUNTIME, "Transpose").get(0).inputs().get(0).node());
    assertEquals("the Relu after the residual Add is fused into it", 0, Graphs.count(opt, "Relu"));
    Node last = opt.node(opt.live(Dialect.RUNTIME, "GlobalAvgPool").get(0).input(0).node());
    assertEquals("Add", last.op().type());
    assertEquals("RELU", last.op().attrs().s("activation", ""));
    assertEquals(0, Graphs.count(opt, "Flatten"));
    assertArrayEquals(new int[] {1, 4}, opt.fact(opt.outputs().get(0).outlet()).shape());
  }

  @Test
  public void sinkingTransposesAConstant() throws Exception {
    Graph opt = Graphs.lowered(residual(), true);
    boolean found = false;
    for (Node n : opt.live(Dialect.RUNTIME, "Add")) {
      for (var o : n.inputs()) {
        if (IrOps.isConst(opt.node(o.node()).op())) {
          assertArrayEquals(new int[] {1, 1, 1, 4}, opt.fact(o).shape());
          found = true;
        }
      }
    }
    assertTrue(found);
  }

  @Test
  public void geluPatternFuses() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", 1, 4)
        .init("sqrt2", new int[0], 1.4142135f).init("one", new int[0], 1f).init("half", new int[0], 0.5f)
        .node("Div", in("x", "sqrt2"), "d").add()
        .node("Erf", in("d"), "e").add()
        .node("Add", in("e", "one"), "a").add()
        .node("Mul", in("x", "a"), "m").add()
        .node("Mul", in("m", "half"), "y").add().output("y").bytes();
    assertEquals(List.of("Gelu{approximate=none}"), Graphs.runtimeOps(Graphs.lowered(m, false)));
    byte[] lone = new OnnxBuilder(13).input("x", 1, 4).node("Erf", in("x"), "y").add().output("y").bytes();
    try {
      Converter.convert(lone, ConvertOptions.defaults());
      fail();
    } catch (dev.topiary.converter.ConversionException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("only as part of the GELU pattern"));
    }
  }

  @Test
  public void optimizerStopsAfterNPatchesAndStillLowers() throws Exception {
    int full = new Optimizer(Optimizer.optimizing(), -1, true).run(
        dev.topiary.converter.onnx.OnnxImporter.importModel(dev.topiary.converter.onnx.OnnxReader.read(residual(), null)),
        PassContext.empty()).size();
    assertTrue(full > 0);
    int prevTransposes = Integer.MAX_VALUE;
    for (int n = 0; n <= 40; n += 4) {
      Graph g = Converter.lowered(residual(), ConvertOptions.builder().maxPatches(n).checkGraph(true).build());
      int t = Graphs.count(g, "Transpose");
      assertTrue(t <= prevTransposes);
      prevTransposes = t;
      for (Node node : g.nodes()) {
        assertTrue(node.op().dialect() == Dialect.RUNTIME || node.op().dialect() == Dialect.IR);
      }
    }
    assertEquals(1, prevTransposes);
  }

  @Test
  public void deadCodeEliminationKeepsUnusedInputs() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", 1, 4).input("unused", 2)
        .node("Relu", in("x"), "dead").add().node("Relu", in("x"), "y").add().output("y").bytes();
    Graph g = Graphs.run(m, new ShapeInference(), new DeadCodeElimination());
    assertEquals(2, g.inputs().size());
    assertEquals(3, g.size());
  }

  @Test
  public void graphCheckCatchesStaleFacts() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", 1, 4).node("Relu", in("x"), "y").add().output("y").bytes();
    Graph g = Graphs.imported(m);
    GraphCheck.check(g);
    Patch p = new Patch(g, "swap in a constant of another shape");
    p.shunt(g.outputs().get(0).outlet(), p.constant("c", TensorValue.ofFloats(new int[] {2}, 1, 2)));
    g = p.apply();
    GraphCheck.check(g);
    assertArrayEquals(new int[] {2}, g.fact(g.outputs().get(0).outlet()).shape());
  }

  /** Conv (bias, 3 → 4 channels, 5×5) then HardSwish written out in {@code form}, NCHW. */
  static byte[] hardSwishModel(int form) {
    float[] w = new float[4 * 3 * 3 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) Math.sin(i * 0.7) * 0.8f;
    }
    OnnxBuilder b = new OnnxBuilder(13).input("x", 1, 3, 5, 5).init("w", new int[] {4, 3, 3, 3}, w)
        .init("bias", new int[] {4}, 0.5f, -1f, 2f, -3f)
        .init("three", new int[0], 3f).init("zero", new int[0], 0f).init("six", new int[0], 6f)
        .init("sixth", new int[0], 1 / 6f)
        .node("Conv", in("x", "w", "bias"), "c").ints("pads", 1, 1, 1, 1).add();
    switch (form) {
      case 0: // Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6): PaddlePaddle's hard_swish
        b.node("Add", in("c", "three"), "a").add().node("Clip", in("a", "zero", "six"), "r").add()
            .node("Mul", in("c", "r"), "m").add().node("Div", in("m", "six"), "y").add();
        break;
      case 1: // (1/6)·Mul(Clip(Add(3, x), 0, 6), x)
        b.node("Add", in("three", "c"), "a").add().node("Clip", in("a", "zero", "six"), "r").add()
            .node("Mul", in("r", "c"), "m").add().node("Mul", in("sixth", "m"), "y").add();
        break;
      case 2: // Mul(x, Div(Clip(Add(x, 3), 0, 6), 6))
        b.node("Add", in("c", "three"), "a").add().node("Clip", in("a", "zero", "six"), "r").add()
            .node("Div", in("r", "six"), "h").add().node("Mul", in("c", "h"), "y").add();
        break;
      case 3: // Mul(HardSigmoid(x, 1/6, 0.5), x)
        b.node("HardSigmoid", in("c"), "h").attr("alpha", 1 / 6f).attr("beta", 0.5f).add()
            .node("Mul", in("h", "c"), "y").add();
        break;
      default: // not HardSwish: Add 2 instead of 3
        b.init("two", new int[0], 2f).node("Add", in("c", "two"), "a").add().node("Clip", in("a", "zero", "six"), "r").add()
            .node("Mul", in("c", "r"), "m").add().node("Div", in("m", "six"), "y").add();
    }
    return b.output("y").bytes();
  }

  @Test
  public void hardSwishPatternsFuseIntoTheConvolution() throws Exception {
    float[] x = new float[75];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.cos(i * 1.3) * 3;
    }
    for (int form = 0; form < 5; form++) {
      byte[] m = hardSwishModel(form);
      Graph opt = Graphs.lowered(m, true);
      float[] want = dev.topiary.converter.Run.run(
          Converter.convert(m, ConvertOptions.builder().optimize(false).build()).artifact(), "x", new int[] {1, 3, 5, 5}, x, "y");
      float[] got = dev.topiary.converter.Run.run(
          Converter.convert(m, ConvertOptions.defaults()).artifact(), "x", new int[] {1, 3, 5, 5}, x, "y");
      assertArrayEquals("form " + form, want, got, 1e-5f);
      if (form == 4) {
        assertEquals("Add 2 is not HardSwish", 1, Graphs.count(opt, "Add"));
        continue;
      }
      assertEquals("form " + form + ": " + Graphs.runtimeOps(opt), List.of("Transpose{perm=[0, 2, 3, 1]}"),
          Graphs.runtimeOps(opt).subList(0, 1));
      assertEquals("form " + form, "HARD_SWISH", opt.live(Dialect.RUNTIME, "Conv2D").get(0).op().attrs().s("activation", ""));
      assertEquals("form " + form + ": " + Graphs.runtimeOps(opt), 3, Graphs.runtimeOps(opt).size());
    }
  }

  @Test
  public void hardSwishPatternWithAnotherReaderStays() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", 1, 4).init("three", new int[0], 3f).init("zero", new int[0], 0f)
        .init("six", new int[0], 6f)
        .node("Add", in("x", "three"), "a").add().node("Clip", in("a", "zero", "six"), "r").add()
        .node("Mul", in("x", "r"), "m").add().node("Div", in("m", "six"), "y").add().output("y").output("r").bytes();
    Graph opt = Graphs.lowered(m, true);
    assertEquals(0, Graphs.count(opt, "HardSwish"));
    assertEquals(1, Graphs.count(opt, "Div"));
  }

  @Test
  public void squeezeExcitationScaleRunsInNhwc() throws Exception {
    float[] w = new float[4 * 3 * 3 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) Math.sin(i * 0.7) * 0.8f;
    }
    float[] w2 = new float[16];
    for (int i = 0; i < w2.length; i++) {
      w2[i] = (float) Math.cos(i * 0.3);
    }
    byte[] m = new OnnxBuilder(13).input("x", 1, 3, 5, 5).init("w", new int[] {4, 3, 3, 3}, w)
        .init("w2", new int[] {4, 4, 1, 1}, w2)
        .node("Conv", in("x", "w"), "c").ints("pads", 1, 1, 1, 1).add()
        .node("GlobalAveragePool", in("c"), "g").add()
        .node("Conv", in("g", "w2"), "s").add()
        .node("HardSigmoid", in("s"), "h").add()
        .node("Mul", in("c", "h"), "y").add().output("y").bytes();
    Graph opt = Graphs.lowered(m, true);
    assertEquals(Graphs.runtimeOps(opt).toString(), 2, Graphs.count(opt, "Transpose"));
    float[] x = new float[75];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.cos(i * 1.3) * 3;
    }
    float[] want = dev.topiary.converter.Run.run(
        Converter.convert(m, ConvertOptions.builder().optimize(false).build()).artifact(), "x", new int[] {1, 3, 5, 5}, x, "y");
    float[] got = dev.topiary.converter.Run.run(
        Converter.convert(m, ConvertOptions.defaults()).artifact(), "x", new int[] {1, 3, 5, 5}, x, "y");
    assertArrayEquals(want, got, 1e-5f);
  }
}
