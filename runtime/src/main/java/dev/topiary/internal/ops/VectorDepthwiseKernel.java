package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * Depthwise Conv2D with one output per channel ({@code group == C == O}) on the
 * {@link VectorKernels} depthwise kernel, vectorised across channels. Work is split over
 * (image, band of output rows); every output value is computed the same way whatever the split.
 */
final class VectorDepthwiseKernel implements Kernel, Parallel.Task<Frame> {
  private final ConvParams p;
  private final VectorKernels.Depthwise dw;
  private final int x;
  private final int y;

  VectorDepthwiseKernel(VectorKernels vk, ConvParams p, float[] w, float[] b, Activation act, int x, int y) {
    this.p = p;
    this.x = x;
    this.y = y;
    this.dw = vk.depthwise(p.shape(), w, b, Epilogue.kind(act), act.min(), act.max());
  }

  /** Whether this kernel takes the convolution: depthwise with multiplier 1. */
  static boolean accepts(ConvParams p) {
    return p.depthwise() && p.og == 1;
  }

  @Override
  public void run(Frame f) {
    GemmKernel.dispatch(f, p.bandUnits(), GemmKernel.depthwiseWork(p), this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    float[] in = f.f32(x);
    int xo = f.off(x);
    float[] out = f.f32(y);
    int yo = f.off(y);
    for (int u = from; u < to; u++) {
      dw.compute(in, xo, out, yo, p.bandImage(u), p.bandStart(u), p.bandEnd(u));
    }
  }
}
