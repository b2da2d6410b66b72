package dev.topiary.internal.ops;

/** Registers the normalizations and reductions: BatchNorm, LayerNorm, ReduceMean. */
final class NormOps {
  private NormOps() {}

  static void register(OpRegistry r) {
    r.add(new BatchNormOp());
    r.add(new LayerNormOp());
    r.add(new ReduceMeanOp());
  }
}
