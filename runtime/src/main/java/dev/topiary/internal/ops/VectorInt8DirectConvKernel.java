package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * Ungrouped INT8 Conv2D with few input channels (network stems) on the
 * {@link VectorKernels#int8DirectConv} kernel: the float direct convolution of
 * {@link VectorDirectConvKernel} on the input minus its zero point, whose sums are exact integers,
 * then the int32 bias and the requantization. Work is split over (image, band of output rows);
 * the bytes equal {@link Int8Conv#reference}'s whatever the split.
 */
final class VectorInt8DirectConvKernel implements Kernel, Parallel.Task<Frame> {
  private final ConvParams p;
  private final VectorKernels.Int8DirectConv conv;
  private final int x;
  private final int y;

  VectorInt8DirectConvKernel(BindContext ctx, VectorKernels vk, Int8Conv.Bound b, int x, int y) {
    this.p = b.p;
    this.x = x;
    this.y = y;
    this.conv = vk.int8DirectConv(p.shape(), p.o, b.w, b.bias, b.zpIn, b.mult, b.shift, b.zpOut, b.lo, b.hi);
    ctx.requestScratch(conv.scratchFloats());
    ctx.requestScratchInts(conv.scratchInts());
  }

  /**
   * Whether this kernel takes the convolution: what {@link VectorDirectConvKernel} takes for
   * FLOAT32 (ungrouped, at most its number of input channels), with a depth whose float sums stay
   * exact.
   */
  static boolean accepts(ConvParams p) {
    return VectorDirectConvKernel.accepts(p) && p.depth() <= VectorKernels.INT8_DIRECT_MAX_DEPTH;
  }

  @Override
  public void run(Frame f) {
    if (p.o == 0) {
      return;
    }
    GemmKernel.dispatch(f, p.bandUnits(), p.macs(), this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    byte[] in = f.i8(x);
    int xo = f.off(x);
    byte[] out = f.i8(y);
    int yo = f.off(y);
    float[] fs = f.scratch(worker);
    int[] is = f.scratchInts(worker);
    for (int u = from; u < to; u++) {
      conv.compute(fs, is, in, xo, out, yo, p.bandImage(u), p.bandStart(u), p.bandEnd(u));
    }
  }
}
