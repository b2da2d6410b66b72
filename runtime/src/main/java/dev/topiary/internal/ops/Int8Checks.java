package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.quantization.FixedPoint;
import dev.topiary.quantization.QuantParams;

/**
 * The bind-time checks and derived constants shared by the int8 kernels (docs/OPS.md, "Quantized
 * execution"): activations are INT8 per tensor with a zero point in {@code [−128, 127]}; weights are
 * constant INT8, per tensor or per output channel along axis 0, with zero point 0; biases are
 * constant INT32 with {@code scale[c] = input_scale × weight_scale[c]} (relative tolerance 1e−6)
 * and zero point 0, or without parameters (format 1.2), which then are exactly those. Every failure names the node, the tensor and what was expected.
 */
final class Int8Checks {
  /** Relative tolerance of the bias scale check. */
  static final double BIAS_SCALE_RTOL = 1e-6;

  private Int8Checks() {}

  /** Input {@code i} must be an INT8 activation: per-tensor parameters, zero point in int8. */
  static QuantParams input(BindContext ctx, int i) throws ModelFormatException {
    ctx.requireType(i, DataType.INT8);
    return activation(ctx, "input " + i + " '" + ctx.inputName(i) + "'", ctx.inputQuant(i));
  }

  /** Output {@code i} must be declared INT8 with per-tensor activation parameters. */
  static QuantParams output(BindContext ctx, int i) throws ModelFormatException {
    String what = "output " + i + " '" + ctx.outputName(i) + "'";
    if (ctx.declaredOutputType(i) != DataType.INT8) {
      throw ctx.error(what + " must be INT8 for " + ctx.opType() + " with INT8 inputs, got "
          + ctx.declaredOutputType(i));
    }
    return activation(ctx, what, ctx.outputQuant(i));
  }

  private static QuantParams activation(BindContext ctx, String what, QuantParams q) throws ModelFormatException {
    if (q == null) {
      throw ctx.error(what + " is INT8 but has no quantization parameters");
    }
    if (!q.isPerTensor()) {
      throw ctx.error(what + " has per-axis quantization parameters (axis " + q.axis() + ", " + q.channels()
          + " channels); activations must be quantized per tensor");
    }
    int zp = q.zeroPoint(0);
    if (zp < -128 || zp > 127) {
      throw ctx.error(what + " has zero point " + zp + ", outside the INT8 range [-128, 127]");
    }
    return q;
  }

  /**
   * Input {@code i} must be constant INT8 weights with {@code channels} output channels along axis
   * 0: per-tensor or per-axis (axis 0) parameters, every zero point 0.
   */
  static QuantParams weights(BindContext ctx, int i, int channels) throws ModelFormatException {
    return weights(ctx, i, channels, 0);
  }

  /** As {@link #weights(BindContext, int, int)} with the output channels along {@code axis}. */
  static QuantParams weights(BindContext ctx, int i, int channels, int axis) throws ModelFormatException {
    String what = "weights (input " + i + " '" + ctx.inputName(i) + "')";
    if (!ctx.isConstant(i)) {
      throw ctx.error(what + " must be a constant");
    }
    if (ctx.inputType(i) != DataType.INT8) {
      throw ctx.error(what + " must be INT8 with an INT8 input, got " + ctx.inputType(i));
    }
    QuantParams q = ctx.inputQuant(i);
    if (q == null) {
      throw ctx.error(what + " are INT8 but have no quantization parameters");
    }
    if (!q.isPerTensor() && (q.axis() != axis || q.channels() != channels)) {
      throw ctx.error(what + " must be quantized per tensor or per output channel (axis " + axis + ", " + channels
          + " channels), got axis " + q.axis() + " with " + q.channels() + " channels");
    }
    for (int c = 0; c < q.channels(); c++) {
      if (q.zeroPoint(c) != 0) {
        throw ctx.error(what + " have zero point " + q.zeroPoint(c) + (q.isPerTensor() ? "" : " at channel " + c)
            + "; INT8 weights must be symmetric (zero point 0)");
      }
    }
    return q;
  }

  /** Weight scale of output channel {@code c} (per tensor or per channel). */
  static float weightScale(QuantParams w, int c) {
    return w.scale(w.isPerTensor() ? 0 : c);
  }

  /**
   * Optional input {@code i}: constant INT32 bias {@code [channels]} whose scales are
   * {@code inputScale × weight_scale[c]} and zero points 0, or without parameters (format 1.2: the
   * runtime derives exactly those). Returns its values, or null without bias.
   */
  static int[] bias(BindContext ctx, int i, int channels, float inputScale, QuantParams w)
      throws ModelFormatException {
    if (!ctx.hasInput(i)) {
      return null;
    }
    String what = "bias (input " + i + " '" + ctx.inputName(i) + "')";
    if (!ctx.isConstant(i)) {
      throw ctx.error(what + " must be a constant");
    }
    if (ctx.inputType(i) != DataType.INT32) {
      throw ctx.error(what + " must be INT32 with an INT8 input, got " + ctx.inputType(i));
    }
    int[] s = ctx.inputShape(i);
    if (s.length != 1 || s[0] != channels) {
      throw ctx.error(what + " must have shape [" + channels + "], got " + dev.topiary.Shape.of(s));
    }
    QuantParams q = ctx.inputQuant(i);
    if (q == null) {
      // Format 1.2: parameters omitted, derived as scale[c] = input_scale × weight_scale[c], zero point 0.
      return values(ctx, i);
    }
    if (!q.isPerTensor() && q.channels() != channels) {
      throw ctx.error(what + " has " + q.channels() + " scales, expected 1 or " + channels);
    }
    for (int c = 0; c < channels; c++) {
      int k = q.isPerTensor() ? 0 : c;
      double expected = (double) inputScale * weightScale(w, c);
      double got = q.scale(k);
      if (Math.abs(got - expected) > BIAS_SCALE_RTOL * expected) {
        throw ctx.error(what + " scale " + got + " at channel " + c + " does not match input_scale × weight_scale = "
            + inputScale + " × " + weightScale(w, c) + " = " + expected);
      }
      if (q.zeroPoint(k) != 0) {
        throw ctx.error(what + " has zero point " + q.zeroPoint(k) + "; INT32 biases must have zero point 0");
      }
    }
    return values(ctx, i);
  }

  private static int[] values(BindContext ctx, int i) throws ModelFormatException {
    long[] v = ctx.constantLongs(i);
    int[] b = new int[v.length];
    for (int c = 0; c < v.length; c++) {
      b[c] = (int) v[c];
    }
    return b;
  }

  /**
   * Per-output-channel multipliers {@code input_scale × weight_scale[c] / output_scale}, each
   * product computed in double as TFLite's {@code PopulateConvolutionQuantizationParams}; returned
   * as {@code [multipliers, shifts]}.
   */
  static int[][] channelMultipliers(BindContext ctx, int channels, float inputScale, QuantParams w, float outputScale)
      throws ModelFormatException {
    int[][] ms = new int[2][channels];
    for (int c = 0; c < channels; c++) {
      double real = (double) inputScale * weightScale(w, c) / outputScale;
      FixedPoint.Multiplier m = multiplier(ctx, real);
      ms[0][c] = m.multiplier;
      ms[1][c] = m.shift;
    }
    return ms;
  }

  /** A quantized multiplier whose shift {@link FixedPoint#multiplyByQuantizedMultiplier} accepts. */
  static FixedPoint.Multiplier multiplier(BindContext ctx, double real) throws ModelFormatException {
    FixedPoint.Multiplier m = FixedPoint.quantizeMultiplier(real);
    if (m.shift > 30) {
      throw ctx.error("requantization multiplier " + real + " is too large (at most 2^30)");
    }
    return m;
  }

  /**
   * The fused activation as a clamp range in the output's quantized domain, as TFLite's
   * {@code CalculateActivationRangeQuantized}: each bound {@code zp + round_half_away(bound / scale)}
   * intersected with {@code [−128, 127]}. HARD_SWISH is not a clamp and is rejected.
   */
  static int[] activationRange(BindContext ctx, Activation act, QuantParams out) throws ModelFormatException {
    if (act.kind() == Activation.Kind.HARD_SWISH) {
      throw ctx.error("activation HARD_SWISH is not supported with INT8 inputs (use a separate HardSwish op)");
    }
    int lo = -128;
    int hi = 127;
    if (act.min() != Float.NEGATIVE_INFINITY) {
      lo = (int) Math.max(lo, Math.min(hi, quantizeBound(act.min(), out)));
    }
    if (act.max() != Float.POSITIVE_INFINITY) {
      hi = (int) Math.min(hi, Math.max(-128, quantizeBound(act.max(), out)));
    }
    if (lo > hi) {
      throw ctx.error("activation " + act + " is empty in the output's quantized range");
    }
    return new int[] {lo, hi};
  }

  private static long quantizeBound(float v, QuantParams q) {
    return q.zeroPoint(0) + QuantParams.roundHalfAwayFromZero(v / q.scale(0));
  }

  /** Requires output {@code i} to carry exactly input {@code in}'s parameters (data movement). */
  static void sameAsInput(BindContext ctx, int in, int out) throws ModelFormatException {
    QuantParams a = ctx.inputQuant(in);
    QuantParams b = ctx.outputQuant(out);
    if (a == null ? b != null : !a.equals(b)) {
      throw ctx.error("output " + out + " '" + ctx.outputName(out) + "' has quantization " + b + ", but "
          + ctx.opType() + " moves data and needs the input's " + a + " (input " + in + " '"
          + ctx.inputName(in) + "')");
    }
  }

  /**
   * For the data-movement ops: an INT8 input 0 with per-tensor parameters (or none) needs output 0
   * to carry exactly the same parameters. Per-axis inputs (constant weights) are not checked: the
   * channel axis may move with the data.
   */
  static void movesData(BindContext ctx) throws ModelFormatException {
    if (ctx.inputType(0) != DataType.INT8) {
      return;
    }
    QuantParams in = ctx.inputQuant(0);
    if (in != null && !in.isPerTensor()) {
      return;
    }
    sameAsInput(ctx, 0, 0);
  }
}
