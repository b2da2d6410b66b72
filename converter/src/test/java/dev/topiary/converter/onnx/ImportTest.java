package dev.topiary.converter.onnx;

import static dev.topiary.converter.OnnxBuilder.in;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.Graphs;
import dev.topiary.converter.OnnxBuilder;
import dev.topiary.converter.UnsupportedOpsException;
import dev.topiary.converter.ir.Graph;
import java.util.List;
import org.junit.Test;

/** Import per op family: facts after shape inference, and opset variants that must lower identically. */
public class ImportTest {
  private static int[] outShape(byte[] m) throws Exception {
    Graph g = Graphs.imported(m);
    return g.fact(g.outputs().get(0).outlet()).shape();
  }

  private static OnnxBuilder conv(int opset, int[] x, int[] w) {
    float[] wv = new float[w[0] * w[1] * w[2] * w[3]];
    return new OnnxBuilder(opset).input("x", x).init("w", w, wv);
  }

  @Test
  public void convShapes() throws Exception {
    assertArrayEquals(new int[] {1, 8, 6, 6}, outShape(conv(13, new int[] {1, 3, 8, 8}, new int[] {8, 3, 3, 3})
        .node("Conv", in("x", "w"), "y").add().output("y").bytes()));
    assertArrayEquals(new int[] {1, 8, 4, 4}, outShape(conv(13, new int[] {1, 3, 8, 8}, new int[] {8, 3, 3, 3})
        .node("Conv", in("x", "w"), "y").ints("strides", 2, 2).ints("pads", 1, 1, 1, 1).add().output("y").bytes()));
    assertArrayEquals(new int[] {1, 8, 3, 3}, outShape(conv(13, new int[] {1, 3, 7, 7}, new int[] {8, 3, 3, 3})
        .node("Conv", in("x", "w"), "y").attr("auto_pad", "SAME_UPPER").ints("strides", 3, 3).add().output("y")
        .bytes()));
    assertArrayEquals(new int[] {1, 4, 4, 4}, outShape(conv(13, new int[] {1, 4, 8, 8}, new int[] {4, 1, 3, 3})
        .node("Conv", in("x", "w"), "y").attr("group", 4L).ints("dilations", 2, 2).add().output("y").bytes()));
  }

  @Test
  public void convGroupMismatchNamesTheNode() throws Exception {
    try {
      Graphs.imported(conv(13, new int[] {1, 4, 8, 8}, new int[] {4, 2, 3, 3})
          .node("Conv", in("x", "w"), "y").name("conv7").attr("group", 4L).add().output("y").bytes());
      fail();
    } catch (ConversionException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("node 'conv7' (Conv): input channels 4"));
    }
  }

  @Test
  public void gemmVariantsLowerToFullyConnected() throws Exception {
    byte[] plain = new OnnxBuilder(13).input("x", 2, 3).init("w", new int[] {3, 4}, new float[12])
        .init("c", new int[] {4}, 1, 2, 3, 4).node("Gemm", in("x", "w", "c"), "y").add().output("y").bytes();
    Graph g = Graphs.lowered(plain, true);
    assertEquals(List.of("FullyConnected{}"), Graphs.runtimeOps(g));
    byte[] transA = new OnnxBuilder(13).input("x", 3, 2).init("w", new int[] {4, 3}, new float[12])
        .node("Gemm", in("x", "w"), "y").attr("transA", 1L).attr("transB", 1L).attr("alpha", 2f).add()
        .output("y").bytes();
    assertArrayEquals(new int[] {2, 4}, outShape(transA));
    assertEquals(List.of("Transpose{perm=[1, 0]}", "FullyConnected{}"), Graphs.runtimeOps(Graphs.lowered(transA, true)));
    byte[] dynamicB = new OnnxBuilder(13).input("x", 2, 3).input("b", 3, 4)
        .node("Gemm", in("x", "b"), "y").add().output("y").bytes();
    assertEquals(List.of("MatMul{}"), Graphs.runtimeOps(Graphs.lowered(dynamicB, true)));
  }

  @Test
  public void clipOpsetVariantsAgree() throws Exception {
    byte[] v6 = new OnnxBuilder(9).input("x", 1, 4).node("Clip", in("x"), "y").attr("min", 0f).attr("max", 6f).add()
        .output("y").bytes();
    byte[] v11 = new OnnxBuilder(13).input("x", 1, 4).init("lo", new int[0], 0f).init("hi", new int[0], 6f)
        .node("Clip", in("x", "lo", "hi"), "y").add().output("y").bytes();
    byte[] v11max = new OnnxBuilder(13).input("x", 1, 4).init("hi", new int[0], 2.5f)
        .node("Clip", in("x", "", "hi"), "y").add().output("y").bytes();
    assertEquals(List.of("Relu6{}"), Graphs.runtimeOps(Graphs.lowered(v6, false)));
    assertEquals(List.of("Relu6{}"), Graphs.runtimeOps(Graphs.lowered(v11, false)));
    assertEquals(List.of("Clip{max=2.5, min=-Infinity}"), Graphs.runtimeOps(Graphs.lowered(v11max, false)));
    // ONNX Clip is min(max, max(x, min)): min > max gives max everywhere.
    byte[] crossed = new OnnxBuilder(13).input("x", 1, 4).init("lo", new int[0], 2f).init("hi", new int[0], 1f)
        .node("Clip", in("x", "lo", "hi"), "y").add().output("y").bytes();
    assertEquals(List.of("Clip{max=1.0, min=1.0}"), Graphs.runtimeOps(Graphs.lowered(crossed, false)));
  }

  @Test
  public void softmaxOpsetSemantics() throws Exception {
    byte[] v11 = new OnnxBuilder(11).input("x", 2, 3, 4).node("Softmax", in("x"), "y").add().output("y").bytes();
    assertEquals(List.of("Flatten{axis=1}", "Softmax{axis=-1}", "Reshape{allowzero=1, shape=[2, 3, 4]}"),
        Graphs.runtimeOps(Graphs.lowered(v11, false)));
    byte[] v11last = new OnnxBuilder(11).input("x", 2, 3, 4).node("Softmax", in("x"), "y").attr("axis", 2L).add()
        .output("y").bytes();
    assertEquals(List.of("Softmax{axis=-1}"), Graphs.runtimeOps(Graphs.lowered(v11last, false)));
    byte[] v13 = new OnnxBuilder(13).input("x", 2, 3, 4).node("Softmax", in("x"), "y").attr("axis", 1L).add()
        .output("y").bytes();
    assertEquals(List.of("Softmax{axis=1}"), Graphs.runtimeOps(Graphs.lowered(v13, false)));
  }

  @Test
  public void sliceSqueezeUnsqueezePadReduceOpsetVariantsAgree() throws Exception {
    byte[] slice9 = new OnnxBuilder(9).input("x", 4, 6).node("Slice", in("x"), "y").ints("starts", 1)
        .ints("ends", 100).ints("axes", 1).add().output("y").bytes();
    byte[] slice13 = new OnnxBuilder(13).input("x", 4, 6).initLongs("s", new int[] {1}, 1)
        .initLongs("e", new int[] {1}, 100).initLongs("a", new int[] {1}, 1)
        .node("Slice", in("x", "s", "e", "a"), "y").add().output("y").bytes();
    assertArrayEquals(new int[] {4, 5}, outShape(slice9));
    assertEquals(Graphs.runtimeOps(Graphs.lowered(slice9, true)), Graphs.runtimeOps(Graphs.lowered(slice13, true)));

    byte[] sq11 = new OnnxBuilder(11).input("x", 1, 3, 1).node("Squeeze", in("x"), "y").ints("axes", 0).add()
        .output("y").bytes();
    byte[] sq13 = new OnnxBuilder(13).input("x", 1, 3, 1).initLongs("a", new int[] {1}, 0)
        .node("Squeeze", in("x", "a"), "y").add().output("y").bytes();
    assertEquals(List.of("Squeeze{axes=[0]}"), Graphs.runtimeOps(Graphs.lowered(sq11, false)));
    assertEquals(List.of("Squeeze{axes=[0]}"), Graphs.runtimeOps(Graphs.lowered(sq13, false)));

    byte[] un11 = new OnnxBuilder(11).input("x", 3).node("Unsqueeze", in("x"), "y").ints("axes", -1, 0).add()
        .output("y").bytes();
    byte[] un13 = new OnnxBuilder(13).input("x", 3).initLongs("a", new int[] {2}, 0, -1)
        .node("Unsqueeze", in("x", "a"), "y").add().output("y").bytes();
    assertArrayEquals(new int[] {1, 3, 1}, outShape(un11));
    assertEquals(List.of("Unsqueeze{axes=[0, 2]}"), Graphs.runtimeOps(Graphs.lowered(un11, false)));
    assertEquals(List.of("Unsqueeze{axes=[0, 2]}"), Graphs.runtimeOps(Graphs.lowered(un13, false)));

    byte[] pad2 = new OnnxBuilder(10).input("x", 2, 3).node("Pad", in("x"), "y").ints("pads", 0, 1, 1, 2)
        .attr("value", 1.5f).add().output("y").bytes();
    byte[] pad11 = new OnnxBuilder(13).input("x", 2, 3).initLongs("p", new int[] {4}, 0, 1, 1, 2)
        .init("v", new int[0], 1.5f).node("Pad", in("x", "p", "v"), "y").add().output("y").bytes();
    byte[] pad18 = new OnnxBuilder(18).input("x", 2, 3).initLongs("p", new int[] {2}, 1, 2)
        .init("v", new int[0], 1.5f).initLongs("a", new int[] {1}, -1).node("Pad", in("x", "p", "v", "a"), "y").add()
        .output("y").bytes();
    byte[] pad18b = new OnnxBuilder(18).input("x", 2, 3).initLongs("p", new int[] {4}, 0, 1, 1, 2)
        .init("v", new int[0], 1.5f).node("Pad", in("x", "p", "v"), "y").add().output("y").bytes();
    assertArrayEquals(new int[] {3, 6}, outShape(pad2));
    String expected = "Pad{mode=constant, pads=[0, 1, 1, 2], value=1.5}";
    assertEquals(List.of(expected), Graphs.runtimeOps(Graphs.lowered(pad2, false)));
    assertEquals(List.of(expected), Graphs.runtimeOps(Graphs.lowered(pad11, false)));
    assertEquals(List.of("Pad{mode=constant, pads=[0, 1, 0, 2], value=1.5}"),
        Graphs.runtimeOps(Graphs.lowered(pad18, false)));
    assertEquals(List.of(expected), Graphs.runtimeOps(Graphs.lowered(pad18b, false)));

    byte[] rm13 = new OnnxBuilder(13).input("x", 2, 3, 4).node("ReduceMean", in("x"), "y").ints("axes", -1)
        .attr("keepdims", 0L).add().output("y").bytes();
    byte[] rm18 = new OnnxBuilder(18).input("x", 2, 3, 4).initLongs("a", new int[] {1}, 2)
        .node("ReduceMean", in("x", "a"), "y").attr("keepdims", 0L).add().output("y").bytes();
    assertArrayEquals(new int[] {2, 3}, outShape(rm13));
    assertEquals(Graphs.runtimeOps(Graphs.lowered(rm13, false)), Graphs.runtimeOps(Graphs.lowered(rm18, false)));
    byte[] rm18noop = new OnnxBuilder(18).input("x", 2, 3).node("ReduceMean", in("x"), "y")
        .attr("noop_with_empty_axes", 1L).add().node("Relu", in("y"), "z").add().output("z").bytes();
    assertEquals(List.of("Relu{}"), Graphs.runtimeOps(Graphs.lowered(rm18noop, false)));
  }

  @Test
  public void reshapeOpset4AttributeAndAllowZero() throws Exception {
    byte[] r4 = new OnnxBuilder(4 + 3).input("x", 2, 6).node("Reshape", in("x"), "y").add().output("y").bytes();
    try {
      Graphs.imported(r4);
      fail();
    } catch (ConversionException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("input 1 is required"));
    }
    byte[] r13 = new OnnxBuilder(13).input("x", 2, 6).initLongs("s", new int[] {3}, 0, 3, -1)
        .node("Reshape", in("x", "s"), "y").add().output("y").bytes();
    assertArrayEquals(new int[] {2, 3, 2}, outShape(r13));
    byte[] r14 = new OnnxBuilder(14).input("x", 2, 6).initLongs("s", new int[] {3}, 0, 3, -1)
        .node("Reshape", in("x", "s"), "y").attr("allowzero", 1L).add().output("y").bytes();
    try {
      Graphs.imported(r14);
      fail();
    } catch (ConversionException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("cannot reshape [2,6]"));
    }
  }

  @Test
  public void unsupportedOpsAreListedTogether() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", 1, 4)
        .node("Foo", in("x"), "a").name("foo1").add()
        .node("Relu", in("a"), "b").add()
        .node("Foo", in("b"), "c").name("foo2").add()
        .node("Bar", in("c"), "d").name("bar1").domain("com.example").add()
        .output("d").bytes();
    try {
      Converter.convert(m, ConvertOptions.defaults());
      fail();
    } catch (UnsupportedOpsException e) {
      assertEquals("2 unsupported op types: Foo ('foo1', 'foo2'); com.example:Bar ('bar1')", e.getMessage());
      assertEquals(List.of("foo1", "foo2"), e.nodesByOpType().get("Foo"));
    }
  }

  @Test
  public void undefinedInputIsAFormatError() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", 1, 4).node("Relu", in("nope"), "y").add().output("y").bytes();
    try {
      Converter.convert(m, ConvertOptions.defaults());
      fail();
    } catch (OnnxFormatException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("reads 'nope'"));
    }
  }

  @Test
  public void constantNodeForms() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", 2, 3)
        .node("Constant", in(), "s").ints("value_ints", 3, 2).add()
        .node("Reshape", in("x", "s"), "y").add().output("y").bytes();
    assertArrayEquals(new int[] {3, 2}, outShape(m));
    byte[] f = new OnnxBuilder(13).input("x", 2, 3)
        .node("Constant", in(), "c").attr("value_float", 2f).add()
        .node("Mul", in("x", "c"), "y").add().output("y").bytes();
    assertArrayEquals(new int[] {2, 3}, outShape(f));
    byte[] t = new OnnxBuilder(13).input("x", 2, 3)
        .node("Constant", in(), "c").tensor("value", OnnxBuilder.floats("", new int[] {3}, 1, 2, 3)).add()
        .node("Add", in("x", "c"), "y").add().output("y").bytes();
    assertArrayEquals(new int[] {2, 3}, outShape(t));
  }

  @Test
  public void symbolicBatchIsFixedWithANote() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", -1, 4).node("Relu", in("x"), "y").add().output("y").bytes();
    var r = Converter.convert(m, ConvertOptions.defaults());
    assertEquals(List.of("batch dimension of 'x' fixed to 1"), r.summary().notes());
    var r2 = Converter.convert(m, ConvertOptions.builder().inputShape("x", 5, 4).build());
    assertEquals(List.of(), r2.summary().notes());
    byte[] h = new OnnxBuilder(13).input("x", 1, -1).node("Relu", in("x"), "y").add().output("y").bytes();
    try {
      Converter.convert(h, ConvertOptions.defaults());
      fail();
    } catch (ConversionException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("input 'x' has an unknown dimension 1 in [1,?]"));
    }
    try {
      Converter.convert(m, ConvertOptions.builder().inputShape("x", 5, 3).build());
      fail();
    } catch (ConversionException e) {
      assertEquals("input 'x': the model declares [?,4], the options give [5,3]", e.getMessage());
    }
  }
}
