package dev.topiary.vector;

import static dev.topiary.vector.VectorTesting.assertVectorMatchesReference;
import static dev.topiary.vector.VectorTesting.kernelNames;
import static dev.topiary.vector.VectorTesting.random;
import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * Conv2D on the vector kernels (GEMM on the NHWC input for 1×1, im2col GEMM otherwise, and the
 * depthwise kernel) against the reference kernel: 1, primes, channel counts around the vector
 * width, strides 1–3, dilations, every padding mode, groups, MobileNetV2's shapes, on 1–3 threads.
 */
public class VectorConvTest {
  private static final String[] PADDINGS = {"EXPLICIT", "VALID", "SAME_UPPER", "SAME_LOWER"};
  static final String[] ACTIVATIONS = {"NONE", "RELU", "RELU6", "CLIP", "HARD_SWISH"};

  /** One convolution (also {@link VectorDirectConvTest}'s). */
  static final class Case {
    int n = 1;
    final int h;
    final int w;
    int c;
    int o;
    final int kh;
    final int kw;
    int sh = 1;
    int sw = 1;
    int dh = 1;
    int dw = 1;
    int[] pads = {0, 0, 0, 0};
    String padding = "EXPLICIT";
    int group = 1;
    boolean bias = true;
    String activation = "RELU6";

    Case(int h, int w, int c, int o, int kh, int kw) {
      this.h = h;
      this.w = w;
      this.c = c;
      this.o = o;
      this.kh = kh;
      this.kw = kw;
    }

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

    byte[] artifact(Random r) throws Exception {
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(n, h, w, c));
      int cg = c / group;
      int wi = g.constant("w", Shape.of(o, kh, kw, cg), random(r, o * kh * kw * cg));
      GraphBuilder.NodeBuilder node = bias
          ? g.node("Conv2D", "conv", x, wi, g.constant("b", Shape.of(o), random(r, o)))
          : g.node("Conv2D", "conv", x, wi);
      node.attrInts("strides", sh, sw).attrInts("dilations", dh, dw).attr("padding", padding).attr("group", (long) group);
      if (padding.equals("EXPLICIT")) {
        node.attrInts("pads", pads);
      }
      VectorGemmTest.activation(node, activation);
      g.output(node.output("y"));
      return g.build();
    }

    void check(Random r) throws Exception {
      byte[] a = artifact(r);
      Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(Shape.of(n, h, w, c), random(r, n * h * w * c)));
      assertVectorMatchesReference(toString(), a, in, kh * kw * (c / group), 1, 1);
    }

    @Override
    public String toString() {
      return "x[" + n + "," + h + "," + w + "," + c + "] w[" + o + "," + kh + "," + kw + "," + c / group + "] stride "
          + sh + "x" + sw + " dilation " + dh + "x" + dw + " " + padding
          + (padding.equals("EXPLICIT") ? Arrays.toString(pads) : "") + " group " + group + (bias ? " bias" : "")
          + " " + activation;
    }
  }

  private static int pick(Random r, int[] v) {
    return v[r.nextInt(v.length)];
  }

  @Test
  public void randomShapes() throws Exception {
    Random r = new Random(0x5eed);
    int[] sizes = {1, 2, 3, 5, 7, 11, 13, 17};
    int[] channels = {1, 2, 3, 5, 8, 15, 16, 17, 31, 33};
    int[] kernels = {1, 2, 3, 5};
    int done = 0;
    while (done < 120) {
      Case k = new Case(pick(r, sizes), pick(r, sizes), pick(r, channels), pick(r, channels), pick(r, kernels),
          pick(r, kernels));
      k.n = 1 + r.nextInt(2);
      k.sh = 1 + r.nextInt(3);
      k.sw = 1 + r.nextInt(3);
      k.dh = 1 + r.nextInt(2);
      k.dw = 1 + r.nextInt(2);
      k.padding = PADDINGS[r.nextInt(PADDINGS.length)];
      k.pads = new int[] {r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3)};
      switch (r.nextInt(3)) {
        case 0:
          break;
        case 1: // two groups
          k.c = 2 * (1 + r.nextInt(20));
          k.o = 2 * (1 + r.nextInt(20));
          k.group = 2;
          break;
        default: // depthwise
          k.group = k.c = 2 + r.nextInt(50);
          k.o = k.c;
          break;
      }
      k.bias = r.nextBoolean();
      k.activation = ACTIVATIONS[r.nextInt(ACTIVATIONS.length)];
      if (!k.valid()) {
        continue;
      }
      k.check(r);
      done++;
    }
  }

  @Test
  public void pointwiseMultipliesTheInputInPlace() throws Exception {
    Random r = new Random(21);
    int[][] shapes = {{1, 1, 1, 1}, {5, 7, 3, 4}, {13, 11, 17, 29}, {9, 9, 64, 33}, {4, 5, 40, 300}, {7, 7, 160, 960}};
    for (int[] s : shapes) {
      Case k = new Case(s[0], s[1], s[2], s[3], 1, 1);
      k.n = 2;
      k.check(r);
      // Up to eight input channels the direct kernel, which reads the input in place too, takes it.
      assertEquals(Collections.singletonList(s[2] <= 8 ? "VectorDirectConvKernel" : "VectorConvKernel"),
          kernelNames(k.artifact(new Random(1)), VectorTesting.Kernels.VECTOR));
    }
  }

  @Test
  public void mobileNetV2Layers() throws Exception {
    Random r = new Random(22);
    // The stem (3×3 stride 2 on 3 channels), expansions, projections to 16 and 24 channels, and
    // depthwise 3×3 at stride 1 and 2 with 32, 144 and 96 channels (smaller images than the model's).
    Case stem = new Case(33, 31, 3, 32, 3, 3);
    stem.sh = 2;
    stem.sw = 2;
    stem.padding = "SAME_UPPER";
    stem.check(r);
    new Case(19, 19, 16, 96, 1, 1).check(r);
    Case project = new Case(17, 18, 144, 24, 1, 1);
    project.activation = "NONE";
    project.check(r);
    Case project16 = new Case(12, 12, 32, 16, 1, 1);
    project16.activation = "NONE";
    project16.check(r);
    int[][] dws = {{32, 1}, {144, 2}, {96, 2}, {144, 1}, {24, 1}};
    for (int[] d : dws) {
      Case dw = new Case(21, 22, d[0], d[0], 3, 3);
      dw.group = d[0];
      dw.sh = d[1];
      dw.sw = d[1];
      dw.pads = new int[] {1, 1, 1, 1};
      dw.check(r);
      assertEquals(Collections.singletonList("VectorDepthwiseKernel"),
          kernelNames(dw.artifact(new Random(1)), VectorTesting.Kernels.VECTOR));
    }
    // ResNet18's deepest 3×3: depth 3·3·256 = 2304, 512 outputs.
    Case deep = new Case(5, 5, 256, 512, 3, 3);
    deep.pads = new int[] {1, 1, 1, 1};
    deep.check(r);
  }

  @Test
  public void depthwiseEdgesAndMultipliers() throws Exception {
    Random r = new Random(23);
    // Wide rows (several four-pixel blocks and both edges), large kernels with dilation, padding
    // wider than the kernel reach, a channel count just above the vector width.
    Case k = new Case(4, 75, 17, 17, 3, 3);
    k.group = 17;
    k.padding = "SAME_UPPER";
    k.check(r);
    k = new Case(9, 30, 40, 40, 5, 5);
    k.group = 40;
    k.dh = 2;
    k.dw = 2;
    k.pads = new int[] {3, 4, 0, 5};
    k.check(r);
    k = new Case(3, 3, 8, 8, 3, 3);
    k.group = 8;
    k.sw = 3;
    k.pads = new int[] {2, 2, 2, 2};
    k.check(r);
    // Multiplier 2 stays on the C2 depthwise kernel.
    k = new Case(6, 6, 10, 20, 3, 3);
    k.group = 10;
    k.pads = new int[] {1, 1, 1, 1};
    k.check(r);
    assertEquals(Collections.singletonList("DepthwiseConvKernel"),
        kernelNames(k.artifact(new Random(1)), VectorTesting.Kernels.VECTOR));
  }
}
