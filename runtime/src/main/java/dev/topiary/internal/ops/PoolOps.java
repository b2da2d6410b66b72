package dev.topiary.internal.ops;

/** Registers the MaxPool, AvgPool, GlobalAvgPool ops. */
final class PoolOps {
  private PoolOps() {}

  static void register(OpRegistry r) {
  }
}
