package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Precision.*;

import java.util.EnumSet;

/** Registers the Conv2D, FullyConnected, MatMul ops. */
final class LinearOps {
  private LinearOps() {}

  static void register(OpRegistry r) {
    r.add(new Conv2DOp(), EnumSet.of(FLOAT32, FLOAT16_WEIGHTS, DYNAMIC_RANGE, INT8), 1, 2);
    r.add(new FullyConnectedOp(), EnumSet.of(FLOAT32, FLOAT16_WEIGHTS, DYNAMIC_RANGE, INT8), 1, 2);
    r.add(new MatMulOp(), EnumSet.of(FLOAT32, DYNAMIC_RANGE, INT8));
  }
}
