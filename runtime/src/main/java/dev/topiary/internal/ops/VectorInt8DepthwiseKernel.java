package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * INT8 depthwise Conv2D with one output per channel ({@code group == C == O}) on the
 * {@link VectorKernels#int8Depthwise} kernel, vectorised across channels. Work is split over
 * (image, band of output rows); every output value is computed the same way whatever the split,
 * and equals {@link Int8Conv#reference}'s.
 */
final class VectorInt8DepthwiseKernel implements Kernel, Parallel.Task<Frame> {
  private final ConvParams p;
  private final VectorKernels.Int8Depthwise dw;
  private final int x;
  private final int y;

  VectorInt8DepthwiseKernel(BindContext ctx, VectorKernels vk, Int8Conv.Bound b, int x, int y) {
    this.p = b.p;
    this.x = x;
    this.y = y;
    this.dw = vk.int8Depthwise(p.shape(), b.w, b.bias, b.zpIn, b.mult, b.shift, b.zpOut, b.lo, b.hi);
    ctx.requestScratchInts(dw.scratchInts());
  }

  @Override
  public void run(Frame f) {
    GemmKernel.dispatch(f, p.bandUnits(), GemmKernel.depthwiseWork(p), this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    byte[] in = f.i8(x);
    int xo = f.off(x);
    byte[] out = f.i8(y);
    int yo = f.off(y);
    int[] s = f.scratchInts(worker);
    for (int u = from; u < to; u++) {
      dw.compute(s, in, xo, out, yo, p.bandImage(u), p.bandStart(u), p.bandEnd(u));
    }
  }
}
