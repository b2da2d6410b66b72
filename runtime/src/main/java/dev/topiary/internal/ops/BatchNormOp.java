package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;

/**
 * Inference BatchNorm: inputs {@code x}, {@code scale}, {@code bias}, {@code mean}, {@code var}
 * (the last four constant, shape {@code [C]} with C = x's {@code axis} dimension), attributes
 * {@code epsilon} (1e−5, ≥ 0) and {@code axis} (−1: channels last). At bind the four vectors fold
 * (in double) into {@code y = x·a[c] + b[c]} with {@code a = scale/sqrt(var + ε)},
 * {@code b = bias − mean·a}; {@code var + ε} must be positive. The kernel walks
 * {@code [outer, C, inner]}: contiguous channel rows when channels are last, runs of {@code inner}
 * elements per channel otherwise; work split across workers by rows.
 */
final class BatchNormOp implements OpFactory {
  private static final String[] PARAMS = {"scale", "bias", "mean", "var"};

  @Override
  public String opType() {
    return "BatchNorm";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(5, 5);
    for (int i = 0; i < 5; i++) {
      ctx.requireType(i, DataType.FLOAT32);
    }
    int[] shape = ctx.inputShape(0);
    if (shape.length == 0) {
      throw ctx.error("input 0 must have rank >= 1, got a scalar");
    }
    int axis = ctx.axis("axis", ctx.attrInt("axis", -1), shape.length);
    float eps = ctx.attrFloat("epsilon", 1e-5f);
    if (!(eps >= 0) || Float.isInfinite(eps)) {
      throw ctx.error("attribute 'epsilon' must be finite and >= 0, got " + eps);
    }
    int c = shape[axis];
    float[][] p = new float[4][];
    for (int i = 0; i < 4; i++) {
      int[] s = ctx.inputShape(i + 1);
      if (s.length != 1 || s[0] != c) {
        throw ctx.error("input " + (i + 1) + " (" + PARAMS[i] + ") has shape " + Shape.of(s) + ", expected [" + c
            + "] (dimension " + axis + " of x " + Shape.of(shape) + ")");
      }
      if (!ctx.isConstant(i + 1)) {
        throw ctx.error("input " + (i + 1) + " (" + PARAMS[i] + ") must be a constant");
      }
      p[i] = ctx.constantFloats(i + 1);
    }
    final float[] a = new float[c];
    final float[] b = new float[c];
    for (int k = 0; k < c; k++) {
      double v = (double) p[3][k] + eps;
      if (!(v > 0) || Double.isInfinite(v)) {
        throw ctx.error("var[" + k + "] + epsilon must be positive and finite, got " + p[3][k] + " + " + eps);
      }
      double inv = 1.0 / Math.sqrt(v);
      a[k] = (float) (p[0][k] * inv);
      b[k] = (float) (p[1][k] - p[2][k] * (p[0][k] * inv));
    }
    ctx.setOutput(0, DataType.FLOAT32, shape);
    int outer = 1;
    int inner = 1;
    for (int d = 0; d < axis; d++) {
      outer *= shape[d];
    }
    for (int d = axis + 1; d < shape.length; d++) {
      inner *= shape[d];
    }
    final int x = ctx.inputId(0);
    final int y = ctx.outputId(0);
    final int fi = inner;
    final int fo = outer;
    final long work = (long) outer * c * inner;
    if (inner == 1) {
      Chunks.Body rows = (f, from, to, w) -> {
        float[] xa = f.f32(x);
        float[] ya = f.f32(y);
        for (int r = from; r < to; r++) {
          int xp = f.off(x) + r * c;
          int yp = f.off(y) + r * c;
          for (int k = 0; k < c; k++) {
            ya[yp + k] = xa[xp + k] * a[k] + b[k];
          }
        }
      };
      return f -> Chunks.run(f, fo, work, rows);
    }
    Chunks.Body runs = (f, from, to, w) -> {
      float[] xa = f.f32(x);
      float[] ya = f.f32(y);
      for (int r = from; r < to; r++) {
        int k = r % c;
        float ak = a[k];
        float bk = b[k];
        int xp = f.off(x) + r * fi;
        int yp = f.off(y) + r * fi;
        for (int i = 0; i < fi; i++) {
          ya[yp + i] = xa[xp + i] * ak + bk;
        }
      }
    };
    final int items = outer * c;
    return f -> Chunks.run(f, items, work, runs);
  }
}
