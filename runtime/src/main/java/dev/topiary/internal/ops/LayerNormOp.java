package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;

/**
 * LayerNorm: inputs {@code x}, {@code scale}, {@code bias} (optional), attributes {@code axis} (−1)
 * and {@code epsilon} (1e−5, ≥ 0). Each row of the normalized dimensions {@code [axis, rank)} (D
 * elements) becomes {@code (x − μ)/sqrt(σ² + ε)·scale + bias}, with μ and σ² (population
 * variance) computed in double by two passes. {@code scale} and {@code bias} may be constant or
 * computed; each must broadcast to the normalized dimensions (trailing alignment, size-1 dimensions
 * stretch, no extra leading dimensions beyond size 1): an index table built at bind maps each of
 * the D positions to its element. Rows are split across workers.
 */
final class LayerNormOp implements OpFactory {
  @Override
  public String opType() {
    return "LayerNorm";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(2, 3);
    ctx.requireType(0, DataType.FLOAT32);
    int[] shape = ctx.inputShape(0);
    if (shape.length == 0) {
      throw ctx.error("input 0 must have rank >= 1, got a scalar");
    }
    int axis = ctx.axis("axis", ctx.attrInt("axis", -1), shape.length);
    float eps = ctx.attrFloat("epsilon", 1e-5f);
    if (!(eps >= 0) || Float.isInfinite(eps)) {
      throw ctx.error("attribute 'epsilon' must be finite and >= 0, got " + eps);
    }
    int[] norm = java.util.Arrays.copyOfRange(shape, axis, shape.length);
    int outer = 1;
    for (int d = 0; d < axis; d++) {
      outer *= shape[d];
    }
    int len = Shape.of(norm).elementCount();
    final int[] scaleMap = indexMap(ctx, 1, "scale", norm);
    final boolean hasBias = ctx.hasInput(2);
    final int[] biasMap = hasBias ? indexMap(ctx, 2, "bias", norm) : null;
    ctx.setOutput(0, DataType.FLOAT32, shape);
    final int x = ctx.inputId(0);
    final int s = ctx.inputId(1);
    final int b = hasBias ? ctx.inputId(2) : -1;
    final int y = ctx.outputId(0);
    final int d = len;
    final double epsilon = eps;
    Chunks.Body rows = (f, from, to, w) -> {
      float[] xa = f.f32(x);
      float[] ya = f.f32(y);
      float[] sa = f.f32(s);
      float[] ba = hasBias ? f.f32(b) : null;
      int so = f.off(s);
      int bo = hasBias ? f.off(b) : 0;
      for (int r = from; r < to; r++) {
        row(xa, f.off(x) + r * d, ya, f.off(y) + r * d, d, epsilon, sa, so, scaleMap, ba, bo, biasMap);
      }
    };
    final long work = 4L * outer * len;
    final int rowCount = outer;
    return f -> Chunks.run(f, rowCount, work, rows);
  }

  /**
   * Checks that input {@code i} broadcasts to {@code norm}; returns null when it has exactly that
   * shape (up to leading size-1 dimensions: the identity map), else the element index for each of
   * the normalized positions.
   */
  private static int[] indexMap(BindContext ctx, int i, String what, int[] norm) throws ModelFormatException {
    ctx.requireType(i, DataType.FLOAT32);
    int[] s = ctx.inputShape(i);
    boolean ok = true;
    boolean same = true;
    for (int k = 1; k <= s.length; k++) {
      int dim = s[s.length - k];
      int target = k <= norm.length ? norm[norm.length - k] : 1;
      ok &= dim == target || dim == 1;
      same &= dim == target;
    }
    if (!ok) {
      throw ctx.error("input " + i + " (" + what + ") has shape " + Shape.of(s)
          + ", which does not broadcast to the normalized dimensions " + Shape.of(norm));
    }
    if (same && Shape.of(s).elementCount() == Shape.of(norm).elementCount()) {
      return null;
    }
    int[] str = Broadcast.strides(s, norm);
    int n = Shape.of(norm).elementCount();
    int[] map = new int[n];
    for (int j = 0; j < n; j++) {
      int rem = j;
      int off = 0;
      for (int d = norm.length - 1; d >= 0; d--) {
        off += (rem % norm[d]) * str[d];
        rem /= norm[d];
      }
      map[j] = off;
    }
    return map;
  }

  /** One row of {@code d} elements; {@code bias} may be null. Maps null mean identity. */
  static void row(float[] x, int xo, float[] y, int yo, int d, double eps, float[] scale, int so, int[] smap,
      float[] bias, int bo, int[] bmap) {
    double sum = 0;
    for (int i = 0; i < d; i++) {
      sum += x[xo + i];
    }
    double mean = sum / d;
    double sq = 0;
    for (int i = 0; i < d; i++) {
      double t = x[xo + i] - mean;
      sq += t * t;
    }
    double inv = 1.0 / Math.sqrt(sq / d + eps);
    for (int i = 0; i < d; i++) {
      double v = (x[xo + i] - mean) * inv * scale[so + (smap == null ? i : smap[i])];
      if (bias != null) {
        v += bias[bo + (bmap == null ? i : bmap[i])];
      }
      y[yo + i] = (float) v;
    }
  }
}
