package dev.topiary.differential;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Small float ONNX models built in code for {@link OnnxRuntimeDifferentialTest}, each exercising one
 * family of conversions: convolutions (padding, stride, groups, depthwise), BatchNorm folded and
 * unfolded, Gemm, pooling and Softmax. Weights are seeded, so every run sees the same models.
 */
final class DifferentialModels {
  private static final int OPSET = 14;

  private DifferentialModels() {}

  /** Every model by name. */
  static Map<String, OnnxRuntimeDifferentialTest.Fixture> all() {
    Map<String, OnnxRuntimeDifferentialTest.Fixture> m = new LinkedHashMap<>();
    m.put("conv_relu", () -> OnnxRuntimeDifferentialTest.Source.of(convRelu()));
    m.put("conv_strided_asymmetric_clip", () -> OnnxRuntimeDifferentialTest.Source.of(convStridedAsymmetric()));
    m.put("depthwise_separable_bn", () -> OnnxRuntimeDifferentialTest.Source.of(depthwiseSeparable()));
    m.put("grouped_conv_dilated", () -> OnnxRuntimeDifferentialTest.Source.of(groupedDilated()));
    m.put("batchnorm_standalone", () -> OnnxRuntimeDifferentialTest.Source.of(batchNormStandalone()));
    m.put("gemm_softmax", () -> OnnxRuntimeDifferentialTest.Source.of(gemmSoftmax()));
    m.put("pooling_softmax", () -> OnnxRuntimeDifferentialTest.Source.of(pooling()));
    m.put("mobile_block", () -> OnnxRuntimeDifferentialTest.Source.of(mobileBlock()));
    return m;
  }

  /** 3×3 same-padded convolution with bias, then Relu. */
  static byte[] convRelu() {
    return new OnnxGraph(OPSET, new Random(1)).input("x", 1, 3, 17, 15)
        .conv("conv", "x", "c", 3, 8, 3, 1, 1, 1)
        .unary("Relu", "relu", "c", "y").output("y").bytes();
  }

  /** 5×5 stride-2 convolution with asymmetric pads, then Clip(0, 6) with constant bounds. */
  static byte[] convStridedAsymmetric() {
    OnnxGraph g = new OnnxGraph(OPSET, new Random(2)).input("x", 1, 4, 19, 20);
    g.random("w", -0.2f, 0.2f, 6, 4, 5, 5).random("b", -0.1f, 0.1f, 6)
        .node("Conv", "conv", new String[] {"x", "w", "b"}, "c").ints("kernel_shape", 5, 5).ints("strides", 2, 2)
        .ints("pads", 1, 2, 2, 0).add();
    g.floats("lo", new int[0], new float[] {0f}).floats("hi", new int[0], new float[] {6f});
    return g.node("Clip", "relu6", new String[] {"c", "lo", "hi"}, "y").add().output("y").bytes();
  }

  /** MobileNet's depthwise 3×3 → BN → Relu → pointwise 1×1 → BN, both BNs foldable into the convs. */
  static byte[] depthwiseSeparable() {
    return new OnnxGraph(OPSET, new Random(3)).input("x", 1, 8, 16, 16)
        .conv("dw", "x", "d", 8, 8, 3, 2, 1, 8)
        .batchNorm("dw_bn", "d", "dn", 8)
        .unary("Relu", "dw_relu", "dn", "da")
        .conv("pw", "da", "p", 8, 16, 1, 1, 0, 1)
        .batchNorm("pw_bn", "p", "y", 16).output("y").bytes();
  }

  /** Grouped (4 groups) 3×3 convolution with dilation 2, stride 2 and asymmetric pads. */
  static byte[] groupedDilated() {
    OnnxGraph g = new OnnxGraph(OPSET, new Random(4)).input("x", 1, 8, 13, 11);
    g.random("w", -0.3f, 0.3f, 12, 2, 3, 3)
        .node("Conv", "conv", new String[] {"x", "w"}, "y").ints("kernel_shape", 3, 3).ints("dilations", 2, 2)
        .ints("strides", 2, 2).ints("pads", 2, 1, 1, 2).i("group", 4).add();
    return g.output("y").bytes();
  }

  /** A BatchNormalization reading a graph input (nothing to fold it into), then Sigmoid. */
  static byte[] batchNormStandalone() {
    return new OnnxGraph(OPSET, new Random(5)).input("x", 2, 6, 5, 7)
        .batchNorm("bn", "x", "b", 6)
        .unary("Sigmoid", "sig", "b", "y").output("y").bytes();
  }

  /** Flatten → Gemm → Relu → Gemm (alpha, beta) → Softmax. */
  static byte[] gemmSoftmax() {
    OnnxGraph g = new OnnxGraph(OPSET, new Random(6)).input("x", 3, 4, 5, 6)
        .unary("Flatten", "flatten", "x", "f")
        .dense("fc1", "f", "h", 120, 32)
        .unary("Relu", "relu", "h", "a");
    g.random("w2", -0.2f, 0.2f, 32, 10).random("b2", -0.1f, 0.1f, 10)
        .node("Gemm", "fc2", new String[] {"a", "w2", "b2"}, "z").f("alpha", 0.5f).f("beta", 2f).add();
    return g.node("Softmax", "softmax", new String[] {"z"}, "y").i("axis", -1).add().output("y").bytes();
  }

  /** MaxPool 3×3/2 padded → AveragePool 2×2/2 (ceil mode, pads excluded) → GlobalAveragePool → Softmax. */
  static byte[] pooling() {
    OnnxGraph g = new OnnxGraph(OPSET, new Random(7)).input("x", 1, 5, 23, 21);
    g.node("MaxPool", "max", new String[] {"x"}, "m").ints("kernel_shape", 3, 3).ints("strides", 2, 2)
        .ints("pads", 1, 1, 1, 1).add();
    g.node("AveragePool", "avg", new String[] {"m"}, "a").ints("kernel_shape", 2, 2).ints("strides", 2, 2)
        .i("ceil_mode", 1).add();
    g.unary("GlobalAveragePool", "gap", "a", "g");
    return g.node("Softmax", "softmax", new String[] {"g"}, "y").i("axis", 1).add().output("y").bytes();
  }

  /**
   * An inverted-residual block: 1×1 expand → BN → HardSwish → depthwise 3×3 → BN → Relu → 1×1
   * project → residual Add → GlobalAveragePool → Flatten → Gemm → Softmax.
   */
  static byte[] mobileBlock() {
    OnnxGraph g = new OnnxGraph(OPSET, new Random(8)).input("x", 1, 8, 12, 12)
        .conv("expand", "x", "e", 8, 24, 1, 1, 0, 1)
        .batchNorm("expand_bn", "e", "en", 24)
        .unary("HardSwish", "hswish", "en", "ea")
        .conv("dw", "ea", "d", 24, 24, 3, 1, 1, 24)
        .batchNorm("dw_bn", "d", "dn", 24)
        .unary("Relu", "dw_relu", "dn", "da")
        .conv("project", "da", "p", 24, 8, 1, 1, 0, 1);
    g.node("Add", "residual", new String[] {"x", "p"}, "r").add();
    g.unary("GlobalAveragePool", "gap", "r", "gp")
        .unary("Flatten", "flatten", "gp", "f")
        .dense("fc", "f", "z", 8, 10);
    return g.node("Softmax", "softmax", new String[] {"z"}, "y").i("axis", -1).add().output("y").bytes();
  }
}
