package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;

/**
 * Softmax along {@code axis} (−1): {@code y = exp(x − max) / Σ exp(x − max)}. Subtracting the
 * line's maximum keeps every exponent ≤ 0, so large inputs neither overflow nor give NaN; the sum
 * is accumulated in double. The tensor is viewed as {@code [outer, L, inner]} with {@code L} the
 * axis length: the reference kernel walks each line with stride {@code inner}; the fast kernel
 * (innermost axis, {@code inner = 1}) walks contiguous rows split across workers. Both do the same
 * arithmetic in the same order, so their results are identical. A scalar input gives 1.
 */
final class SoftmaxOp implements OpFactory {
  @Override
  public String opType() {
    return "Softmax";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(1, 1);
    ctx.requireType(0, DataType.FLOAT32);
    ctx.setOutput(0, DataType.FLOAT32, ctx.inputShape(0));
    // A scalar is softmaxed as [1].
    int[] shape = ctx.inputShape(0).length == 0 ? new int[] {1} : ctx.inputShape(0);
    int axis = ctx.axis("axis", ctx.attrInt("axis", -1), shape.length);
    int outer = 1;
    int inner = 1;
    int len = shape[axis];
    for (int d = 0; d < axis; d++) {
      outer *= shape[d];
    }
    for (int d = axis + 1; d < shape.length; d++) {
      inner *= shape[d];
    }
    final int x = ctx.inputId(0);
    final int y = ctx.outputId(0);
    final int fOuter = outer;
    final int fInner = inner;
    final int fLen = len;
    if (inner == 1 && !ctx.referenceKernels()) {
      final long work = 24L * outer * len;
      final Chunks.Body rows = (f, from, to, w) -> {
        float[] xa = f.f32(x);
        float[] ya = f.f32(y);
        for (int r = from; r < to; r++) {
          row(xa, f.off(x) + r * fLen, ya, f.off(y) + r * fLen, fLen);
        }
      };
      return f -> Chunks.run(f, fOuter, work, rows);
    }
    return f -> reference(f.f32(x), f.off(x), f.f32(y), f.off(y), fOuter, fLen, fInner);
  }

  /** Every line {@code (o, i)}: elements {@code o·L·inner + k·inner + i}, k in [0, L). */
  static void reference(float[] x, int xo, float[] y, int yo, int outer, int len, int inner) {
    for (int o = 0; o < outer; o++) {
      for (int i = 0; i < inner; i++) {
        int base = o * len * inner + i;
        float m = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < len; k++) {
          m = Math.max(m, x[xo + base + k * inner]);
        }
        double sum = 0;
        for (int k = 0; k < len; k++) {
          float e = (float) Math.exp(x[xo + base + k * inner] - m);
          y[yo + base + k * inner] = e;
          sum += e;
        }
        for (int k = 0; k < len; k++) {
          y[yo + base + k * inner] = (float) (y[yo + base + k * inner] / sum);
        }
      }
    }
  }

  /** One contiguous line of {@code len} elements. */
  static void row(float[] x, int xo, float[] y, int yo, int len) {
    float m = Float.NEGATIVE_INFINITY;
    for (int k = 0; k < len; k++) {
      m = Math.max(m, x[xo + k]);
    }
    double sum = 0;
    for (int k = 0; k < len; k++) {
      float e = (float) Math.exp(x[xo + k] - m);
      y[yo + k] = e;
      sum += e;
    }
    for (int k = 0; k < len; k++) {
      y[yo + k] = (float) (y[yo + k] / sum);
    }
  }
}
