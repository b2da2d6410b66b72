package dev.topiary.internal.ops;

/** Relu: y = max(x, 0); NaN stays NaN. */
final class ReluOp extends UnaryOp {
  @Override
  public String opType() {
    return "Relu";
  }

  @Override
  Fn function(BindContext ctx) {
    return (x, xo, y, yo, n) -> {
      for (int i = 0; i < n; i++) {
        float v = x[xo + i];
        y[yo + i] = v < 0f ? 0f : v;
      }
    };
  }
}
