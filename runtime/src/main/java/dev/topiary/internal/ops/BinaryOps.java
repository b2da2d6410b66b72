package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Precision.*;

import java.util.EnumSet;

/** Registers the elementwise Add, Sub, Mul, Div with NumPy broadcasting and a fused activation. */
final class BinaryOps {
  private BinaryOps() {}

  static void register(OpRegistry r) {
    r.add(new BinaryOp(BinaryOp.Kind.ADD), EnumSet.of(FLOAT32, INT8));
    r.add(new BinaryOp(BinaryOp.Kind.SUB));
    r.add(new BinaryOp(BinaryOp.Kind.MUL), EnumSet.of(FLOAT32, INT8));
    r.add(new BinaryOp(BinaryOp.Kind.DIV));
  }
}
