package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * Conv2D (docs/OPS.md): NHWC 2-D cross-correlation with weights {@code [O,KH,KW,C/group]}, optional
 * bias, strides, dilations, explicit or SAME/VALID padding, groups and a fused activation. Binds
 * {@link ConvReference} when the plan asks for reference kernels, otherwise {@link DepthwiseConvKernel}
 * for depthwise convolutions, {@link SparseLinearKernel} for sparse 1×1 stride-1 unpadded ungrouped
 * convolutions (a FullyConnected over the pixels) and {@link ConvGemmKernel} for the rest; when the
 * plan has {@link VectorKernels}, {@link VectorDepthwiseKernel} and {@link VectorConvKernel} take
 * the place of the last two (depthwise with multiplier 1, and every non-depthwise case), except that
 * ungrouped convolutions with few input channels (stems) go to {@link VectorDirectConvKernel}. INT8
 * inputs go to {@link Int8Conv}, FLOAT32 inputs with INT8 weights to {@link DynamicRange}.
 * {@link VectorConvKernel} takes the residual Add the planner offers ({@link BindContext.Residual})
 * when at most one of the convolution and the Add has an activation.
 */
final class Conv2DOp implements OpFactory {
  @Override
  public String opType() {
    return "Conv2D";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    if (ctx.inputCount() >= 2 && ctx.hasInput(0) && ctx.inputType(0) == DataType.INT8) {
      return Int8Conv.bind(ctx);
    }
    if (ctx.inputCount() >= 2 && ctx.hasInput(1) && ctx.inputType(1) == DataType.INT8) {
      return DynamicRange.conv(ctx);
    }
    ConvParams p = ConvParams.of(ctx);
    Activation act = Activation.fromNode(ctx);
    float[] w = ctx.constantFloats(1);
    float[] b = ctx.hasInput(2) ? ctx.constantFloats(2) : null;
    return floatKernel(ctx, p, w, b, act);
  }

  /** The FLOAT32 kernel for weights {@code w} ([O,KH,KW,I/group]) and bias {@code b} (or null). */
  static Kernel floatKernel(BindContext ctx, ConvParams p, float[] w, float[] b, Activation act)
      throws ModelFormatException {
    int x = ctx.inputId(0);
    int y = ctx.outputId(0);
    if (ctx.referenceKernels()) {
      return new ConvReference(p, w, b, act, x, y);
    }
    if (p.pointwise() && p.group == 1 && SparseLinearKernel.preferred(ctx, 1)) {
      return new SparseLinearKernel(p.n * p.h * p.w, p.o, p.c, w, b, act, x, y);
    }
    VectorKernels vk = ctx.vectorKernels();
    if (vk != null && VectorDepthwiseKernel.accepts(p)) {
      return new VectorDepthwiseKernel(vk, p, w, b, act, x, y);
    }
    if (vk != null && VectorDirectConvKernel.accepts(p)) {
      return new VectorDirectConvKernel(vk, p, w, b, act, x, y);
    }
    if (vk != null && !p.depthwise()) {
      BindContext.Residual r = ctx.residualOffer();
      if (r != null && (act.isNone() || r.activation().isNone())) {
        // act(conv) + r, or act'(conv + r) with the Add's activation: the order of the unfused pair
        ctx.takeResidual();
        boolean first = act.isNone();
        return new VectorConvKernel(ctx, vk, p, w, b, first ? r.activation() : act, x, r.output(), r.tensor(), first);
      }
      return new VectorConvKernel(ctx, vk, p, w, b, act, x, y, -1, false);
    }
    if (p.depthwise()) {
      return new DepthwiseConvKernel(ctx, p, w, b, act, x, y);
    }
    return new ConvGemmKernel(ctx, p, w, b, act, x, y);
  }
}
