package dev.topiary.internal.ops;

/** Registers the elementwise Add, Sub, Mul, Div with NumPy broadcasting and a fused activation. */
final class BinaryOps {
  private BinaryOps() {}

  static void register(OpRegistry r) {
    r.add(new BinaryOp(BinaryOp.Kind.ADD));
    r.add(new BinaryOp(BinaryOp.Kind.SUB));
    r.add(new BinaryOp(BinaryOp.Kind.MUL));
    r.add(new BinaryOp(BinaryOp.Kind.DIV));
  }
}
