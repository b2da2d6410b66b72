package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.LinearTestHelper.assertBuildFails;
import static dev.topiary.internal.ops.LinearTestHelper.inputs;
import static dev.topiary.internal.ops.LinearTestHelper.outputShape;
import static dev.topiary.internal.ops.LinearTestHelper.run;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import java.util.Map;
import org.junit.Test;

/** Hand-computed Conv2D cases (reference and fast kernels alike) and load-time errors. */
public class Conv2DTest {
  /** x[r][c] = 4r + c + 1 on a 4×4 single-channel image. */
  private static float[] ramp4x4() {
    float[] x = new float[16];
    for (int i = 0; i < 16; i++) {
      x[i] = i + 1;
    }
    return x;
  }

  private static final float[] KERNEL_3X3 = {1, 2, 0, 0, 1, 0, 0, 0, -1};

  /** Runs output "y" with the reference kernels and with the fast kernels on 1 and 2 threads. */
  private static void assertBothKernels(String what, byte[] model, Map<String, Tensor> in, float[] expected)
      throws Exception {
    assertArrayEquals(what + " (reference)", expected, run(model, true, 1, in), 1e-5f);
    assertArrayEquals(what + " (fast, 1 thread)", expected, run(model, false, 1, in), 1e-5f);
    assertArrayEquals(what + " (fast, 2 threads)", expected, run(model, false, 2, in), 1e-5f);
  }

  @Test
  public void valid3x3On4x4ComputedByHand() throws Exception {
    // y[oh][ow] = x[oh][ow] + 2·x[oh][ow+1] + x[oh+1][ow+1] − x[oh+2][ow+2] = 12·oh + 3·ow, + bias 0.5.
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4, 4, 1));
    int w = g.constant("w", Shape.of(1, 3, 3, 1), KERNEL_3X3);
    int b = g.constant("b", Shape.of(1), new float[] {0.5f});
    g.output(g.node("Conv2D", "conv", x, w, b).output("y"));
    byte[] model = g.build();
    assertEquals(Shape.of(1, 2, 2, 1), outputShape(model));
    assertBothKernels("valid", model, inputs("x", Tensor.ofFloats(Shape.of(1, 4, 4, 1), ramp4x4())),
        new float[] {0.5f, 3.5f, 12.5f, 15.5f});
  }

  @Test
  public void samePaddingKeepsSizeAndPadsWithZeros() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4, 4, 1));
    int w = g.constant("w", Shape.of(1, 3, 3, 1), KERNEL_3X3);
    g.output(g.node("Conv2D", "conv", x, w).attr("padding", "SAME_UPPER").output("y"));
    byte[] model = g.build();
    assertEquals(Shape.of(1, 4, 4, 1), outputShape(model));
    // Corner (0,0): taps (0,0) and (0,1) fall in the padding; x[0][0]·1 + x[1][1]·(−1) = 1 − 6.
    // Corner (3,3): x[2][2] + 2·x[2][3] + x[3][3] − 0 = 11 + 24 + 16.
    assertBothKernels("same", model, inputs("x", Tensor.ofFloats(Shape.of(1, 4, 4, 1), ramp4x4())),
        new float[] {-5, -5, -5, 4, -3, 0, 3, 19, 5, 12, 15, 35, 31, 43, 47, 51});
  }

  @Test
  public void sameUpperAndLowerPlaceOddPaddingDifferently() throws Exception {
    // 6×6 input, 3×3 kernel of ones, stride 2: out = ceil(6/2) = 3, total padding 1 per axis.
    float[] x = new float[36];
    for (int i = 0; i < 36; i++) {
      x[i] = i + 1;
    }
    float[] ones = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (String mode : new String[] {"SAME_UPPER", "SAME_LOWER"}) {
      GraphBuilder g = new GraphBuilder();
      int xi = g.input("x", DataType.FLOAT32, Shape.of(1, 6, 6, 1));
      int w = g.constant("w", Shape.of(1, 3, 3, 1), ones);
      g.output(g.node("Conv2D", "conv", xi, w).attr("padding", mode).attrInts("strides", 2, 2).output("y"));
      byte[] model = g.build();
      assertEquals(mode, Shape.of(1, 3, 3, 1), outputShape(model));
      float[] ref = run(model, true, 1, inputs("x", Tensor.ofFloats(Shape.of(1, 6, 6, 1), x)));
      float[] fast = run(model, false, 1, inputs("x", Tensor.ofFloats(Shape.of(1, 6, 6, 1), x)));
      assertArrayEquals(mode, ref, fast, 0f);
      // SAME_UPPER pads at the end: window of (0,0) is rows 0..2 × cols 0..2 = 6 + 24 + 42.
      // SAME_LOWER pads at the start: window is rows -1..1 × cols -1..1 = 1 + 2 + 7 + 8.
      assertEquals(mode, mode.equals("SAME_UPPER") ? 72f : 18f, ref[0], 0f);
    }
  }

  @Test
  public void sameOutputSizesAreCeilOfInputOverStride() throws Exception {
    int[][] cases = {{5, 1, 3, 5}, {5, 2, 3, 3}, {6, 2, 3, 3}, {7, 3, 2, 3}, {1, 3, 5, 1}, {8, 2, 4, 4}};
    for (int[] c : cases) {
      for (String mode : new String[] {"SAME_UPPER", "SAME_LOWER"}) {
        GraphBuilder g = new GraphBuilder();
        int x = g.input("x", DataType.FLOAT32, Shape.of(1, c[0], c[0], 1));
        int w = g.constant("w", Shape.of(1, c[2], c[2], 1), new float[c[2] * c[2]]);
        g.output(g.node("Conv2D", "conv", x, w).attr("padding", mode).attrInts("strides", c[1], c[1])
            .attrInts("dilations", 1, 1).output("y"));
        assertEquals(mode + " in " + c[0] + " stride " + c[1] + " kernel " + c[2],
            Shape.of(1, c[3], c[3], 1), outputShape(g.build()));
      }
    }
  }

  @Test
  public void dilationSkipsInputPixels() throws Exception {
    // 3×3 input, 2×2 kernel with dilation 2: a single output x00·w00 + x02·w01 + x20·w10 + x22·w11.
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 3, 3, 1));
    int w = g.constant("w", Shape.of(1, 2, 2, 1), new float[] {1, 10, 100, 1000});
    g.output(g.node("Conv2D", "conv", x, w).attrInts("dilations", 2, 2).output("y"));
    byte[] model = g.build();
    assertEquals(Shape.of(1, 1, 1, 1), outputShape(model));
    assertBothKernels("dilation", model,
        inputs("x", Tensor.ofFloats(Shape.of(1, 3, 3, 1), 1, 2, 3, 4, 5, 6, 7, 8, 9)),
        new float[] {1 + 30 + 700 + 9000});
  }

  @Test
  public void depthwiseComputedByHand() throws Exception {
    // Channel 0 holds v = 3r + c + 1, channel 1 holds 10·v. Kernels: [[1,2],[3,4]] and [[-1,0],[0,1]].
    float[] xv = new float[18];
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 3; c++) {
        xv[(r * 3 + c) * 2] = r * 3 + c + 1;
        xv[(r * 3 + c) * 2 + 1] = 10 * (r * 3 + c + 1);
      }
    }
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 3, 3, 2));
    int w = g.constant("w", Shape.of(2, 2, 2, 1), new float[] {1, 2, 3, 4, -1, 0, 0, 1});
    int b = g.constant("b", Shape.of(2), new float[] {0.5f, -0.5f});
    g.output(g.node("Conv2D", "dw", x, w, b).attr("group", 2L).output("y"));
    byte[] model = g.build();
    assertEquals(Shape.of(1, 2, 2, 2), outputShape(model));
    // (0,0): 1·1 + 2·2 + 3·4 + 4·5 + 0.5 = 37.5 and −10 + 50 − 0.5 = 39.5; channel 1 is constant
    // (−10v + 10(v + 4)); channel 0 grows by 10 per column and 30 per row.
    assertBothKernels("depthwise", model, inputs("x", Tensor.ofFloats(Shape.of(1, 3, 3, 2), xv)),
        new float[] {37.5f, 39.5f, 47.5f, 39.5f, 67.5f, 39.5f, 77.5f, 39.5f});
  }

  @Test
  public void depthwiseMultiplierTwoAndGroupsComputedByHand() throws Exception {
    // Depthwise with 2 outputs per channel on a 1×1 image: y[o] = x[o / 2]·w[o].
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 1, 1, 2));
    int w = g.constant("w", Shape.of(4, 1, 1, 1), new float[] {1, 2, 3, 4});
    g.output(g.node("Conv2D", "dw2", x, w).attr("group", 2L).output("y"));
    assertBothKernels("multiplier 2", g.build(), inputs("x", Tensor.ofFloats(Shape.of(1, 1, 1, 2), 10, 100)),
        new float[] {10, 20, 300, 400});

    // Two groups of two channels: y0 = x0 + x1, y1 = x2 − x3.
    g = new GraphBuilder();
    x = g.input("x", DataType.FLOAT32, Shape.of(1, 1, 1, 4));
    w = g.constant("w", Shape.of(2, 1, 1, 2), new float[] {1, 1, 1, -1});
    g.output(g.node("Conv2D", "g2", x, w).attr("group", 2L).attr("activation", "RELU").output("y"));
    assertBothKernels("groups", g.build(), inputs("x", Tensor.ofFloats(Shape.of(1, 1, 1, 4), 1, 2, 3, 4)),
        new float[] {3, 0});
  }

  @Test
  public void explicitAsymmetricPadsAndStrides() throws Exception {
    // 1×3 input, 1×2 kernel [1, 1], pads left 1 right 0, stride 2: windows (-1,0) and (1,2).
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 1, 3, 1));
    int w = g.constant("w", Shape.of(1, 1, 2, 1), new float[] {1, 1});
    g.output(g.node("Conv2D", "conv", x, w).attrInts("pads", 0, 1, 0, 0).attrInts("strides", 1, 2).output("y"));
    byte[] model = g.build();
    assertEquals(Shape.of(1, 1, 2, 1), outputShape(model));
    assertBothKernels("pads", model, inputs("x", Tensor.ofFloats(Shape.of(1, 1, 3, 1), 1, 2, 4)),
        new float[] {1, 6});
  }

  // ---- errors ----

  private static GraphBuilder withWeights(Shape x, Shape w) {
    GraphBuilder g = new GraphBuilder();
    g.input("x", DataType.FLOAT32, x);
    g.constant("w", w, new float[w.elementCount()]);
    return g;
  }

  @Test
  public void weightChannelsMustMatchInputOverGroup() {
    GraphBuilder g = withWeights(Shape.of(1, 5, 5, 6), Shape.of(4, 3, 3, 6));
    g.output(g.node("Conv2D", "c1", 0, 1).attr("group", 2L).output("y"));
    assertBuildFails(g, "node 'c1' (Conv2D)", "weights [4,3,3,6] must be [O,KH,KW,C/group] with C/group = 3");
  }

  @Test
  public void groupMustDivideChannels() {
    GraphBuilder g = withWeights(Shape.of(1, 5, 5, 6), Shape.of(4, 3, 3, 1));
    g.output(g.node("Conv2D", "c2", 0, 1).attr("group", 4L).output("y"));
    assertBuildFails(g, "node 'c2' (Conv2D)", "input channels 6 are not divisible by group 4");

    g = withWeights(Shape.of(1, 5, 5, 6), Shape.of(5, 3, 3, 3));
    g.output(g.node("Conv2D", "c3", 0, 1).attr("group", 2L).output("y"));
    assertBuildFails(g, "output channels 5 (weights dim 0) are not divisible by group 2");
  }

  @Test
  public void biasMustHaveOneValuePerOutputChannel() {
    GraphBuilder g = withWeights(Shape.of(1, 5, 5, 3), Shape.of(4, 3, 3, 3));
    int b = g.constant("b", Shape.of(3), new float[3]);
    g.output(g.node("Conv2D", "c4", 0, 1, b).output("y"));
    assertBuildFails(g, "node 'c4' (Conv2D)", "bias must have shape [4]", "got [3]");
  }

  @Test
  public void weightsMustBeConstant() {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 5, 5, 3));
    int w = g.input("w", DataType.FLOAT32, Shape.of(4, 3, 3, 3));
    g.output(g.node("Conv2D", "c5", x, w).output("y"));
    assertBuildFails(g, "node 'c5' (Conv2D)", "weights (input 1) must be a constant");
  }

  @Test
  public void biasMustBeAConstantFloatVector() {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 5, 5, 3));
    int w = g.constant("w", Shape.of(4, 3, 3, 3), new float[108]);
    int b = g.input("b", DataType.FLOAT32, Shape.of(4));
    g.output(g.node("Conv2D", "c14", x, w, b).output("y"));
    assertBuildFails(g, "node 'c14' (Conv2D)", "bias (input 2) must be a constant");

    g = withWeights(Shape.of(1, 5, 5, 3), Shape.of(4, 3, 3, 3));
    int bi = g.constantInts("b", Shape.of(4), new int[4]);
    g.output(g.node("Conv2D", "c15", 0, 1, bi).output("y"));
    assertBuildFails(g, "bias (input 2) must be FLOAT32 or FLOAT16, got INT32");
  }

  @Test
  public void kernelLargerThanPaddedInputIsRejected() {
    GraphBuilder g = withWeights(Shape.of(1, 4, 4, 1), Shape.of(1, 3, 3, 1));
    g.output(g.node("Conv2D", "c6", 0, 1).attrInts("dilations", 2, 1).output("y"));
    assertBuildFails(g, "node 'c6' (Conv2D)",
        "window 5 (kernel 3, dilation 2) is larger than the padded input 4 along spatial dimension 0");
  }

  @Test
  public void attributesAreChecked() {
    GraphBuilder g = withWeights(Shape.of(1, 4, 4, 1), Shape.of(1, 3, 3, 1));
    g.output(g.node("Conv2D", "c7", 0, 1).attrInts("strides", 0, 1).output("y"));
    assertBuildFails(g, "node 'c7' (Conv2D)", "attribute 'strides'[0] is 0");

    g = withWeights(Shape.of(1, 4, 4, 1), Shape.of(1, 3, 3, 1));
    g.output(g.node("Conv2D", "c8", 0, 1).attrInts("pads", 1, 1).output("y"));
    assertBuildFails(g, "attribute 'pads' needs 4 values, got 2");

    g = withWeights(Shape.of(1, 4, 4, 1), Shape.of(1, 3, 3, 1));
    g.output(g.node("Conv2D", "c9", 0, 1).attr("padding", "SAME").output("y"));
    assertBuildFails(g, "unknown padding 'SAME' (expected EXPLICIT, VALID, SAME_UPPER or SAME_LOWER)");

    g = withWeights(Shape.of(1, 4, 4, 1), Shape.of(1, 3, 3, 1));
    g.output(g.node("Conv2D", "c10", 0, 1).attr("padding", "SAME_UPPER").attrInts("pads", 1, 1, 1, 1)
        .output("y"));
    assertBuildFails(g, "pads [1, 1, 1, 1] are only allowed with padding EXPLICIT, got SAME_UPPER");

    g = withWeights(Shape.of(1, 4, 4, 1), Shape.of(1, 3, 3, 1));
    g.output(g.node("Conv2D", "c11", 0, 1).attr("activation", "SWISH").output("y"));
    assertBuildFails(g, "node 'c11' (Conv2D)", "unknown activation 'SWISH'");
  }

  @Test
  public void inputRanksAndCountsAreChecked() {
    GraphBuilder g = withWeights(Shape.of(4, 4, 1), Shape.of(1, 3, 3, 1));
    g.output(g.node("Conv2D", "c12", 0, 1).output("y"));
    assertBuildFails(g, "node 'c12' (Conv2D)", "must have rank 4, got [4,4,1]");

    g = withWeights(Shape.of(1, 4, 4, 1), Shape.of(1, 3, 3, 1));
    g.output(g.node("Conv2D", "c13", 0).output("y"));
    assertBuildFails(g, "node 'c13' (Conv2D)", "expects 2 to 3 inputs, got 1");
  }
}
