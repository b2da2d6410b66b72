package dev.topiary.internal.ops;

/** Registers the Conv2D, FullyConnected, MatMul ops. */
final class LinearOps {
  private LinearOps() {}

  static void register(OpRegistry r) {
    r.add(new Conv2DOp());
    r.add(new FullyConnectedOp());
    r.add(new MatMulOp());
  }
}
