package dev.topiary.converter;

import static dev.topiary.converter.OnnxBuilder.in;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.Model;
import dev.topiary.ModelMetadata;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.testing.TestSupport;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/** Convert, load in the runtime, run, and compare with hand-computed or naive-Java results. */
public class EndToEndTest {
  @Test
  public void reluAndMetadata() throws Exception {
    byte[] m = new OnnxBuilder(13).input("x", -1, 4).node("Relu", in("x"), "y").add().output("y").bytes();
    ConversionResult r = Converter.convert(m, ConvertOptions.builder().labels(List.of("a", "b", "c", "d"))
        .normalization(new float[] {0.5f}, new float[] {2f}).build());
    assertArrayEquals(new float[] {0, 2, 0, 4},
        Run.run(r.artifact(), "x", new int[] {1, 4}, new float[] {-1, 2, -3, 4}, "y"), 0f);
    try (Model model = Model.load(ByteBuffer.wrap(r.artifact()))) {
      ModelMetadata md = model.metadata();
      assertEquals(Converter.PRODUCER, md.producer());
      assertEquals(dev.topiary.converter.onnx.OnnxReader.sha256(m), md.sourceSha256());
      assertEquals(List.of("a", "b", "c", "d"), md.labels());
      assertEquals("13", md.properties().get("source_opset"));
      assertEquals("OnnxBuilder 1", md.properties().get("source_producer"));
    }
    assertEquals(1, (int) r.summary().opsBefore().get("Relu"));
    assertEquals(1, (int) r.summary().opsAfter().get("Relu"));
    assertEquals(m.length, r.summary().bytesIn());
    assertEquals(r.artifact().length, r.summary().bytesOut());
  }

  @Test
  public void constantOutputsAreWritten() throws Exception {
    // Shape(x) folds to a constant that only a graph output reads; a graph of one Constant has no inputs.
    byte[] shape = new OnnxBuilder(15).input("x", 2, 3, 4).node("Shape", in("x"), "s").attr("start", 1L).add()
        .output("s").bytes();
    Map<String, Tensor> out = Run.runAll(Converter.convert(shape, ConvertOptions.defaults()).artifact(),
        Map.of("x", Tensor.ofFloats(Shape.of(2, 3, 4), new float[24])));
    assertArrayEquals(new long[] {3, 4}, out.get("s").toLongArray());
    byte[] constant = new OnnxBuilder(13)
        .node("Constant", in(), "c").tensor("value", OnnxBuilder.floats("v", new int[] {2}, 1.5f, -2f)).add()
        .output("c").bytes();
    out = Run.runAll(Converter.convert(constant, ConvertOptions.defaults()).artifact(), Map.of());
    assertArrayEquals(new float[] {1.5f, -2f}, out.get("c").toFloatArray(), 0f);
  }

  @Test
  public void torchFlattenChainRuns() throws Exception {
    byte[] m = dev.topiary.converter.passes.PassesTest.torchFlattenForTests(13);
    for (boolean optimize : new boolean[] {true, false}) {
      ConversionResult r = Converter.convert(m, ConvertOptions.builder().optimize(optimize).build());
      float[] x = new float[24];
      for (int i = 0; i < 24; i++) {
        x[i] = i - 12;
      }
      float[] y = Run.run(r.artifact(), "x", new int[] {1, 2, 3, 4}, x, "y");
      for (int i = 0; i < 24; i++) {
        assertEquals(Math.max(0, i - 12), y[i], 0f);
      }
    }
  }

  @Test
  public void dataMovementMatchesHandComputed() throws Exception {
    // x[2,3] → Transpose → [3,2]; Gather rows {2,0}; Concat with const row; Slice reversed; Pad.
    byte[] m = new OnnxBuilder(13).input("x", 2, 3)
        .initLongs("idx", new int[] {2}, 2, -3)
        .init("row", new int[] {1, 2}, 7, 8)
        .initLongs("s", new int[] {1}, -1).initLongs("e", new int[] {1}, Long.MIN_VALUE)
        .initLongs("a", new int[] {1}, 0).initLongs("st", new int[] {1}, -1)
        .initLongs("p", new int[] {4}, 0, 1, 0, 0)
        .node("Transpose", in("x"), "t").add()
        .node("Gather", in("t", "idx"), "g").attr("axis", 0L).add()
        .node("Concat", in("g", "row"), "c").attr("axis", 0L).add()
        .node("Slice", in("c", "s", "e", "a", "st"), "sl").add()
        .node("Pad", in("sl", "p"), "y").add()
        .output("y").bytes();
    ConversionResult r = Converter.convert(m, ConvertOptions.defaults());
    // t = [[1,4],[2,5],[3,6]]; g = [[3,6],[1,4]]; c = [[3,6],[1,4],[7,8]]; reversed rows; pad a 0 column in front.
    float[] y = Run.run(r.artifact(), "x", new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}, "y");
    assertArrayEquals(new float[] {0, 7, 8, 0, 1, 4, 0, 3, 6}, y, 0f);
  }

  /** Naive NCHW convolution, the oracle for the Conv lowering (weights [O, C/g, KH, KW]). */
  static float[] conv(float[] x, int n, int c, int h, int w, float[] wt, int o, int kh, int kw, float[] b,
      int[] s, int[] d, int[] p, int g, int oh, int ow) {
    float[] y = new float[n * o * oh * ow];
    int cg = c / g;
    int og = o / g;
    for (int in = 0; in < n; in++) {
      for (int oc = 0; oc < o; oc++) {
        int grp = oc / og;
        for (int yy = 0; yy < oh; yy++) {
          for (int xx = 0; xx < ow; xx++) {
            double acc = b == null ? 0 : b[oc];
            for (int ic = 0; ic < cg; ic++) {
              for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                  int iy = yy * s[0] - p[0] + ky * d[0];
                  int ix = xx * s[1] - p[1] + kx * d[1];
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                    continue;
                  }
                  acc += x[((in * c + grp * cg + ic) * h + iy) * w + ix] * wt[((oc * cg + ic) * kh + ky) * kw + kx];
                }
              }
            }
            y[((in * o + oc) * oh + yy) * ow + xx] = (float) acc;
          }
        }
      }
    }
    return y;
  }

  @Test
  public void convMatchesNaiveReference() throws Exception {
    assumeTrue("runtime Conv2D not merged yet", Run.runtimeHas("Conv2D", "Transpose"));
    Random rnd = new Random(1);
    int[][] cfg = {{3, 4, 1, 1, 0, 1}, {4, 4, 2, 1, 1, 4}, {4, 6, 1, 2, 2, 2}};
    for (int[] k : cfg) {
      int c = k[0];
      int o = k[1];
      int s = k[2];
      int d = k[3];
      int p = k[4];
      int g = k[5];
      int h = 7;
      int w = 6;
      float[] wt = TestSupport.randomFloats(rnd, o * (c / g) * 9, -1, 1);
      float[] b = TestSupport.randomFloats(rnd, o, -1, 1);
      byte[] m = new OnnxBuilder(13).input("x", 1, c, h, w).init("w", new int[] {o, c / g, 3, 3}, wt)
          .init("b", new int[] {o}, b).node("Conv", in("x", "w", "b"), "y").ints("strides", s, s)
          .ints("dilations", d, d).ints("pads", p, p, p, p).attr("group", (long) g).add().output("y").bytes();
      float[] x = TestSupport.randomFloats(rnd, c * h * w, -1, 1);
      int oh = (h + 2 * p - d * 2 - 1) / s + 1;
      int ow = (w + 2 * p - d * 2 - 1) / s + 1;
      float[] expected = conv(x, 1, c, h, w, wt, o, 3, 3, b, new int[] {s, s}, new int[] {d, d}, new int[] {p, p}, g,
          oh, ow);
      for (boolean opt : new boolean[] {true, false}) {
        ConversionResult r = Converter.convert(m, ConvertOptions.builder().optimize(opt).build());
        TestSupport.assertClose("conv " + java.util.Arrays.toString(k), expected,
            Run.run(r.artifact(), "x", new int[] {1, c, h, w}, x, "y"), 1e-4, 1e-5);
      }
    }
  }

  @Test
  public void optimizedAndNaivePipelinesAgreeOnACnn() throws Exception {
    Random rnd = new Random(3);
    byte[] m = new OnnxBuilder(13).input("x", 1, 3, 8, 8)
        .init("w1", new int[] {4, 3, 3, 3}, TestSupport.randomFloats(rnd, 108, -1, 1))
        .init("scale", new int[] {4}, 1, 2, 0.5f, 1).init("bias", new int[] {4}, 0, 0.1f, -0.2f, 0.3f)
        .init("mean", new int[] {4}, 0.1f, 0, 0, -0.1f).init("var", new int[] {4}, 1, 0.5f, 2, 1)
        .init("w2", new int[] {4, 1, 3, 3}, TestSupport.randomFloats(rnd, 36, -1, 1))
        .init("fc", new int[] {5, 4}, TestSupport.randomFloats(rnd, 20, -1, 1))
        .init("fcb", new int[] {5}, TestSupport.randomFloats(rnd, 5, -1, 1))
        .init("lo", new int[0], 0f).init("hi", new int[0], 6f)
        .node("Conv", in("x", "w1"), "c1").ints("pads", 1, 1, 1, 1).add()
        .node("BatchNormalization", in("c1", "scale", "bias", "mean", "var"), "b1").add()
        .node("Clip", in("b1", "lo", "hi"), "r1").add()
        .node("Conv", in("r1", "w2"), "c2").attr("group", 4L).ints("strides", 2, 2).add()
        .node("HardSwish", in("c2"), "h2").add()
        .node("MaxPool", in("h2"), "p2").ints("kernel_shape", 2, 2).add()
        .node("GlobalAveragePool", in("p2"), "gp").add()
        .node("Flatten", in("gp"), "f").add()
        .node("Gemm", in("f", "fc", "fcb"), "logits").attr("transB", 1L).add()
        .node("Softmax", in("logits"), "y").attr("axis", 1L).add()
        .output("y").bytes();
    ConversionResult opt = Converter.convert(m, ConvertOptions.defaults());
    ConversionResult naive = Converter.convert(m, ConvertOptions.builder().optimize(false).build());
    assertTrue(opt.summary().opsAfter().toString(), !opt.summary().opsAfter().containsKey("BatchNorm"));
    assertEquals(1, (int) opt.summary().opsAfter().get("Transpose"));
    assertTrue(naive.summary().opsAfter().get("Transpose") > 4);
    assumeTrue("runtime ops not merged yet: " + naive.summary().opsAfter().keySet(), Run.runnable(naive));
    float[] x = TestSupport.randomFloats(rnd, 192, -1, 1);
    float[] a = Run.run(opt.artifact(), "x", new int[] {1, 3, 8, 8}, x, "y");
    float[] b = Run.run(naive.artifact(), "x", new int[] {1, 3, 8, 8}, x, "y");
    TestSupport.assertClose("optimized vs naive", b, a, 1e-4, 1e-5);
  }
}
