package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;

/**
 * Concat: joins 1 or more inputs along {@code axis} (required, may be negative). Inputs share the
 * data type (any) and the rank (at least 1) and agree on every dimension but {@code axis}; an input
 * may be empty along {@code axis}. Each input is copied into its slot of the output as a
 * {@link StridedCopy}, which for a dense input is {@code prod(d[0:axis])} runs of
 * {@code prod(d[axis:])} elements moved with {@link System#arraycopy}. Quantized INT8 inputs whose
 * parameters differ from the output's are requantized after their copy:
 * {@code q' = clamp(round_half_away(q·s + b) + zp_y)} with {@code s = s_i·(1/s_y)},
 * {@code b = −zp_i·s} in float (TFLite's {@code ConcatenationWithScaling}).
 */
final class ConcatOp implements OpFactory {
  @Override
  public String opType() {
    return "Concat";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    int n = ctx.inputCount();
    ctx.requireInputs(1, Math.max(1, n));
    for (int i = 0; i < n; i++) {
      if (!ctx.hasInput(i)) {
        throw ctx.error("input " + i + " is omitted; every Concat input is required");
      }
    }
    DataType type = ctx.inputType(0);
    int[] first = ctx.inputShape(0);
    int r = first.length;
    if (r == 0) {
      throw ctx.error("input 0 '" + ctx.inputName(0) + "' is a scalar; Concat needs rank >= 1");
    }
    if (!ctx.hasAttr("axis")) {
      throw ctx.error("attribute 'axis' is required");
    }
    int axis = ctx.axis("axis", ctx.attrInt("axis", 0), r);
    int[] out = first.clone();
    out[axis] = 0;
    for (int i = 0; i < n; i++) {
      if (ctx.inputType(i) != type) {
        throw ctx.error("input " + i + " '" + ctx.inputName(i) + "' is " + ctx.inputType(i) + ", but input 0 '"
            + ctx.inputName(0) + "' is " + type);
      }
      int[] s = ctx.inputShape(i);
      if (s.length != r) {
        throw ctx.error("input " + i + " '" + ctx.inputName(i) + "' " + Shape.of(s) + " has rank " + s.length
            + ", but input 0 '" + ctx.inputName(0) + "' " + Shape.of(first) + " has rank " + r);
      }
      for (int k = 0; k < r; k++) {
        if (k != axis && s[k] != first[k]) {
          throw ctx.error("input " + i + " '" + ctx.inputName(i) + "' " + Shape.of(s) + " differs from input 0 '"
              + ctx.inputName(0) + "' " + Shape.of(first) + " in dimension " + k + " (only axis " + axis
              + " may differ)");
        }
      }
      if ((long) out[axis] + s[axis] > Integer.MAX_VALUE) {
        throw ctx.error("output dimension " + axis + " exceeds 2^31-1");
      }
      out[axis] += s[axis];
    }
    // Quantized INT8: inputs whose parameters differ from the output's are requantized in place
    // after their copy (TFLite's ConcatenationWithScaling, with the int8 range).
    float[] rqScale = new float[n];
    float[] rqBias = new float[n];
    boolean[] requant = new boolean[n];
    int zpOut = 0;
    boolean anyRequant = false;
    if (type == DataType.INT8 && (ctx.outputQuant(0) != null || ctx.inputQuant(0) != null)) {
      dev.topiary.quantization.QuantParams qy = Int8Checks.output(ctx, 0);
      zpOut = qy.zeroPoint(0);
      float inv = 1f / qy.scale(0);
      for (int i = 0; i < n; i++) {
        dev.topiary.quantization.QuantParams qi = Int8Checks.input(ctx, i);
        if (!qi.equals(qy)) {
          requant[i] = true;
          anyRequant = true;
          rqScale[i] = qi.scale(0) * inv;
          rqBias[i] = -qi.zeroPoint(0) * rqScale[i];
        }
      }
    }
    ctx.setOutput(0, type, out);
    Mover m = Mover.of(type);
    int[] outStrides = StridedCopy.contiguousStrides(out);
    int[] ids = new int[n];
    int[] bases = new int[n];
    StridedCopy[] copies = new StridedCopy[n];
    int at = 0;
    for (int i = 0; i < n; i++) {
      int[] s = ctx.inputShape(i);
      ids[i] = ctx.inputId(i);
      bases[i] = at * outStrides[axis];
      copies[i] = StridedCopy.plan(m, s, StridedCopy.contiguousStrides(s), outStrides, false);
      at += s[axis];
    }
    int y = ctx.outputId(0);
    if (anyRequant) {
      int outer = 1;
      for (int k = 0; k < axis; k++) {
        outer *= out[k];
      }
      int outRow = outer == 0 ? 0 : Shape.of(out).elementCount() / outer;
      int[] runs = new int[n];
      for (int i = 0; i < n; i++) {
        runs[i] = ctx.inputShape(i)[axis] * outStrides[axis];
      }
      int outerF = outer;
      int zy = zpOut;
      return f -> {
        byte[] dst = f.i8(y);
        int yo = f.off(y);
        for (int i = 0; i < ids.length; i++) {
          copies[i].run(m.array(f, ids[i]), f.off(ids[i]), dst, yo + bases[i]);
          if (requant[i]) {
            float sc = rqScale[i];
            float bi = rqBias[i];
            for (int o = 0; o < outerF; o++) {
              int start = yo + o * outRow + bases[i];
              for (int j = start; j < start + runs[i]; j++) {
                long v = dev.topiary.quantization.QuantParams.roundHalfAwayFromZero(dst[j] * sc + bi) + zy;
                dst[j] = (byte) Math.max(-128, Math.min(127, v));
              }
            }
          }
        }
      };
    }
    return f -> {
      Object dst = m.array(f, y);
      int yo = f.off(y);
      for (int i = 0; i < ids.length; i++) {
        copies[i].run(m.array(f, ids[i]), f.off(ids[i]), dst, yo + bases[i]);
      }
    };
  }
}
