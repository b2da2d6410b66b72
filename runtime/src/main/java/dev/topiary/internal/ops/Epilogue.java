package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Gemm;

/** Maps a node's {@link Activation} onto the fused epilogue of the fast kernels. */
final class Epilogue {
  private Epilogue() {}

  static Gemm.Act kind(Activation a) {
    switch (a.kind()) {
      case NONE:
        return Gemm.Act.NONE;
      case HARD_SWISH:
        return Gemm.Act.HARD_SWISH;
      default:
        return Gemm.Act.CLAMP;
    }
  }

  /** A GEMM of {@code m × k} by {@code k × n} with this activation. */
  static Gemm gemm(int m, int n, int k, Gemm.Packed packed, float[] bias, Activation a) {
    return new Gemm(m, n, k, packed, bias, kind(a), a.min(), a.max());
  }
}
