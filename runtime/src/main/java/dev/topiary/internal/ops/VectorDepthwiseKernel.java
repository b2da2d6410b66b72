package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Conv2DShape;
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
  /** Output rows per work unit: a few rows, so small images still give every worker work. */
  private final int band;
  private final int x;
  private final int y;

  VectorDepthwiseKernel(VectorKernels vk, ConvParams p, float[] w, float[] b, Activation act, int x, int y) {
    this.p = p;
    this.x = x;
    this.y = y;
    Conv2DShape shape = new Conv2DShape(p.h, p.w, p.c, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.padTop, p.padLeft,
        p.oh, p.ow);
    this.dw = vk.depthwise(shape, w, b, Epilogue.kind(act), act.min(), act.max());
    this.band = Math.max(1, Math.min(4, p.oh / 8));
  }

  /** Whether this kernel takes the convolution: depthwise with multiplier 1. */
  static boolean accepts(ConvParams p) {
    return p.depthwise() && p.og == 1;
  }

  private int bands() {
    return (p.oh + band - 1) / band;
  }

  @Override
  public void run(Frame f) {
    GemmKernel.dispatch(f, p.n * bands(), GemmKernel.depthwiseWork(p), this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    float[] in = f.f32(x);
    int xo = f.off(x);
    float[] out = f.f32(y);
    int yo = f.off(y);
    int bands = bands();
    for (int u = from; u < to; u++) {
      int oh0 = u % bands * band;
      dw.compute(in, xo, out, yo, u / bands, oh0, Math.min(p.oh, oh0 + band));
    }
  }
}
