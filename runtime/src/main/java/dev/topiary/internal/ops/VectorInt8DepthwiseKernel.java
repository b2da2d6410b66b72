package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Conv2DShape;
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
  private final int band;
  private final int x;
  private final int y;

  VectorInt8DepthwiseKernel(BindContext ctx, VectorKernels vk, Int8Conv.Bound b, int x, int y) {
    this.p = b.p;
    this.x = x;
    this.y = y;
    Conv2DShape shape = new Conv2DShape(p.h, p.w, p.c, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.padTop, p.padLeft,
        p.oh, p.ow);
    this.dw = vk.int8Depthwise(shape, b.w, b.bias, b.zpIn, b.mult, b.shift, b.zpOut, b.lo, b.hi);
    this.band = Math.max(1, Math.min(4, p.oh / 8));
    ctx.requestScratchInts(dw.scratchInts());
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
    byte[] in = f.i8(x);
    int xo = f.off(x);
    byte[] out = f.i8(y);
    int yo = f.off(y);
    int[] s = f.scratchInts(worker);
    int bands = bands();
    for (int u = from; u < to; u++) {
      int oh0 = u % bands * band;
      dw.compute(s, in, xo, out, yo, u / bands, oh0, Math.min(p.oh, oh0 + band));
    }
  }
}
