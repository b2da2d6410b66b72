package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.LinearTestHelper.ACTIVATIONS;
import static dev.topiary.internal.ops.LinearTestHelper.activation;
import static dev.topiary.internal.ops.LinearTestHelper.assertFastMatchesReference;
import static dev.topiary.internal.ops.LinearTestHelper.assertSameValues;
import static dev.topiary.internal.ops.LinearTestHelper.inputs;
import static dev.topiary.internal.ops.LinearTestHelper.random;
import static dev.topiary.internal.ops.LinearTestHelper.run;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * Fast Conv2D kernels (GEMM on the input, im2col GEMM, depthwise) against the reference kernel:
 * random shapes from a fixed seed, every padding mode, strides 1–3, dilations 1–2, groups,
 * depthwise multipliers 1 and 2, with and without bias, every activation, on 1, 2 and 3 threads,
 * and bit-identical results across thread counts.
 */
public class Conv2DDifferentialTest {
  private static final String[] PADDINGS = {"EXPLICIT", "VALID", "SAME_UPPER", "SAME_LOWER"};

  /** One convolution to test. */
  private static final class Case {
    int n = 1;
    int h;
    int w;
    int c;
    int o;
    int kh;
    int kw;
    int sh = 1;
    int sw = 1;
    int dh = 1;
    int dw = 1;
    int[] pads = {0, 0, 0, 0};
    String padding = "EXPLICIT";
    int group = 1;
    boolean bias;
    String activation = "NONE";

    Case(int h, int w, int c, int o, int kh, int kw) {
      this.h = h;
      this.w = w;
      this.c = c;
      this.o = o;
      this.kh = kh;
      this.kw = kw;
    }

    /** Output size along one axis, or ≤ 0 when the kernel does not fit. */
    static long out(int in, int k, int s, int d, int p0, int p1, String padding) {
      if (padding.startsWith("SAME")) {
        return (in + s - 1) / s;
      }
      if (padding.equals("VALID")) {
        p0 = 0;
        p1 = 0;
      }
      long span = (long) in + p0 + p1 - (long) d * (k - 1) - 1;
      return span < 0 ? 0 : span / s + 1;
    }

    boolean valid() {
      return out(h, kh, sh, dh, pads[0], pads[2], padding) > 0 && out(w, kw, sw, dw, pads[1], pads[3], padding) > 0;
    }

    @Override
    public String toString() {
      return "x[" + n + "," + h + "," + w + "," + c + "] w[" + o + "," + kh + "," + kw + "," + c / group + "] stride "
          + sh + "x" + sw + " dilation " + dh + "x" + dw + " " + padding
          + (padding.equals("EXPLICIT") ? java.util.Arrays.toString(pads) : "") + " group " + group
          + (bias ? " bias" : "") + " " + activation;
    }
  }

  private static void check(Case k, Random r) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(k.n, k.h, k.w, k.c));
    int cg = k.c / k.group;
    int wi = g.constant("w", Shape.of(k.o, k.kh, k.kw, cg), random(r, k.o * k.kh * k.kw * cg));
    int bi = k.bias ? g.constant("b", Shape.of(k.o), random(r, k.o)) : -1;
    GraphBuilder.NodeBuilder node = k.bias ? g.node("Conv2D", "conv", x, wi, bi) : g.node("Conv2D", "conv", x, wi);
    node.attrInts("strides", k.sh, k.sw).attrInts("dilations", k.dh, k.dw).attr("padding", k.padding)
        .attr("group", (long) k.group);
    if (k.padding.equals("EXPLICIT")) {
      node.attrInts("pads", k.pads);
    }
    activation(node, k.activation);
    g.output(node.output("y"));
    Map<String, Tensor> in =
        inputs("x", Tensor.ofFloats(Shape.of(k.n, k.h, k.w, k.c), random(r, k.n * k.h * k.w * k.c)));
    assertFastMatchesReference(k.toString(), g.build(), in, k.kh * k.kw * cg);
  }

  @Test
  public void randomShapes() throws Exception {
    Random r = new Random(0x70b1a7L);
    int[] sizes = {1, 2, 3, 5, 7, 11, 13, 16, 17};
    int[] channels = {1, 2, 3, 5, 8, 16, 17, 31};
    int[] kernels = {1, 2, 3, 5};
    int done = 0;
    while (done < 160) {
      Case k = new Case(pick(r, sizes), pick(r, sizes), pick(r, channels), pick(r, channels), pick(r, kernels),
          pick(r, kernels));
      k.n = 1 + r.nextInt(2);
      k.sh = 1 + r.nextInt(3);
      k.sw = 1 + r.nextInt(3);
      k.dh = 1 + r.nextInt(2);
      k.dw = 1 + r.nextInt(2);
      k.padding = PADDINGS[r.nextInt(PADDINGS.length)];
      k.pads = new int[] {r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3)};
      switch (r.nextInt(4)) {
        case 0:
          break;
        case 1: // two groups
          k.c = 2 * (1 + r.nextInt(9));
          k.o = 2 * (1 + r.nextInt(9));
          k.group = 2;
          break;
        case 2: // depthwise
          k.group = k.c = 2 + r.nextInt(40);
          k.o = k.c;
          break;
        default: // depthwise, multiplier 2
          k.group = k.c = 2 + r.nextInt(20);
          k.o = 2 * k.c;
          break;
      }
      k.bias = r.nextBoolean();
      k.activation = ACTIVATIONS[r.nextInt(ACTIVATIONS.length)];
      if (!k.valid()) {
        continue;
      }
      check(k, r);
      done++;
    }
  }

  @Test
  public void pointwiseConvolutionsMultiplyTheInputInPlace() throws Exception {
    Random r = new Random(11);
    int[][] shapes = {{1, 1, 1, 1}, {5, 7, 3, 4}, {13, 11, 17, 29}, {9, 9, 64, 33}, {4, 5, 40, 300}, {3, 3, 300, 7}};
    for (int[] s : shapes) {
      for (int group : new int[] {1, 2}) {
        if (group == 2 && (s[2] % 2 != 0 || s[3] % 2 != 0)) {
          continue;
        }
        Case k = new Case(s[0], s[1], s[2], s[3], 1, 1);
        k.n = 2;
        k.group = group;
        k.bias = true;
        k.activation = "RELU6";
        check(k, r);
      }
    }
  }

  @Test
  public void deepAndWideKernelsCrossBlockAndPanelBoundaries() throws Exception {
    Random r = new Random(12);
    // Depth 3·3·37 = 333 (not a multiple of 16), 257 and 300 output channels (two panels), 9×9
    // outputs → 81 rows per image, more than one row tile.
    Case k = new Case(9, 9, 37, 257, 3, 3);
    k.padding = "SAME_UPPER";
    k.bias = true;
    k.activation = "HARD_SWISH";
    check(k, r);
    k = new Case(10, 10, 16, 300, 3, 3);
    k.sh = 2;
    k.padding = "SAME_LOWER";
    k.activation = "CLIP";
    check(k, r);
    // Wide outputs on small images take the packed-panel GEMM with im2col: strides, dilations,
    // padding and groups there too.
    k = new Case(6, 7, 5, 260, 3, 3);
    k.sh = 2;
    k.dh = 2;
    k.dw = 2;
    k.padding = "SAME_UPPER";
    k.bias = true;
    k.activation = "RELU";
    check(k, r);
    k = new Case(4, 4, 4, 512, 3, 2);
    k.group = 2;
    k.pads = new int[] {1, 0, 2, 1};
    check(k, r);
    // Narrow outputs over more than one tile of 256 pixels, depth within one block and beyond.
    k = new Case(23, 29, 3, 24, 3, 3);
    k.n = 2;
    k.sw = 2;
    k.padding = "SAME_LOWER";
    k.bias = true;
    k.activation = "CLIP";
    check(k, r);
    k = new Case(20, 20, 4, 8, 2, 2);
    k.dh = 2;
    check(k, r);
    // A kernel as large as the input, stride 1: one output pixel.
    k = new Case(7, 6, 5, 3, 7, 6);
    check(k, r);
  }

  @Test
  public void depthwiseRowsLongerThanOneChunkAndManyChannels() throws Exception {
    Random r = new Random(13);
    // 32 channels → 32 pixels per chunk; 75 columns need three chunks (the last one partial).
    Case k = new Case(4, 75, 32, 32, 3, 3);
    k.group = 32;
    k.padding = "SAME_UPPER";
    k.bias = true;
    k.activation = "RELU6";
    check(k, r);
    // 1030 channels: more than one channel chunk per pixel.
    k = new Case(3, 4, 1030, 1030, 3, 3);
    k.group = 1030;
    k.pads = new int[] {1, 1, 1, 1};
    k.bias = true;
    check(k, r);
    // Multiplier 2 with 600 channels → 1200 outputs, two chunks; stride 2, dilation 2.
    k = new Case(7, 7, 600, 1200, 3, 3);
    k.group = 600;
    k.sh = 2;
    k.sw = 2;
    k.dh = 2;
    k.dw = 2;
    k.padding = "SAME_LOWER";
    check(k, r);
  }

  @Test
  public void fastKernelsUseTheReferenceSummationOrder() throws Exception {
    // Fast paths add the same products in the same order as the reference, so outputs are equal
    // as values (only the sign of a zero may differ).
    Random r = new Random(14);
    Case[] cases = {new Case(8, 8, 17, 19, 3, 3), new Case(6, 5, 24, 24, 3, 3), new Case(5, 5, 33, 70, 1, 1)};
    cases[1].group = 24;
    cases[1].padding = "SAME_UPPER";
    for (Case k : cases) {
      k.bias = true;
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(1, k.h, k.w, k.c));
      int cg = k.c / k.group;
      int wi = g.constant("w", Shape.of(k.o, k.kh, k.kw, cg), random(r, k.o * k.kh * k.kw * cg));
      int bi = g.constant("b", Shape.of(k.o), random(r, k.o));
      g.output(g.node("Conv2D", "conv", x, wi, bi).attr("group", (long) k.group).attr("padding", k.padding)
          .output("y"));
      byte[] model = g.build();
      Map<String, Tensor> in = inputs("x", Tensor.ofFloats(Shape.of(1, k.h, k.w, k.c), random(r, k.h * k.w * k.c)));
      assertSameValues(k.toString(), run(model, true, 1, in), run(model, false, 2, in));
    }
  }

  private static int pick(Random r, int[] values) {
    return values[r.nextInt(values.length)];
  }
}
