package dev.topiary.internal.ops;

/** Registers the Reshape, Flatten, Transpose, Concat, Pad, Slice, Squeeze, Unsqueeze, Gather ops. */
final class ShapeOps {
  private ShapeOps() {}

  static void register(OpRegistry r) {
  }
}
