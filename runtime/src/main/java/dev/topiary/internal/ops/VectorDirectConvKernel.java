package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * Ungrouped Conv2D with few input channels (network stems) on the {@link VectorKernels} direct
 * convolution, which reads the NHWC input in place instead of gathering im2col rows for a packed
 * GEMM. Work is split over (image, band of output rows); every output value is computed the same
 * way whatever the split.
 */
final class VectorDirectConvKernel implements Kernel, Parallel.Task<Frame> {
  /**
   * Most input channels this kernel takes. With depth {@code KH·KW·C} of 9–72 the im2col copies and
   * the GEMM's per-tile packing of A cost more than the multiply-adds they feed, and this kernel
   * has no copies at all. Measured on AVX-512, one thread, 3×3 convolutions to 16 and 32 outputs
   * (112×112 stride 2 and 56×56 stride 1): the same time as the GEMM path up to 4 channels (where
   * whole-model stems gain from the missing im2col of the larger images), 1.3–1.5× faster for 5–8
   * channels, and still 1.2–1.4× faster at 12. The bound stays at 8 so that the layers where the
   * GEMM's 6-row × 2-vector register block is known to win (16 channels and up) keep it.
   */
  static final int MAX_CHANNELS = 8;

  private final ConvParams p;
  private final VectorKernels.DirectConv conv;
  private final int x;
  private final int y;

  VectorDirectConvKernel(VectorKernels vk, ConvParams p, float[] w, float[] b, Activation act, int x, int y) {
    this.p = p;
    this.x = x;
    this.y = y;
    this.conv = vk.directConv(p.shape(), p.o, w, b, Epilogue.kind(act), act.min(), act.max());
  }

  /** Whether this kernel takes the convolution: ungrouped, at most {@link #MAX_CHANNELS} input channels. */
  static boolean accepts(ConvParams p) {
    return p.group == 1 && p.c <= MAX_CHANNELS;
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
    float[] in = f.f32(x);
    int xo = f.off(x);
    float[] out = f.f32(y);
    int yo = f.off(y);
    for (int u = from; u < to; u++) {
      conv.compute(in, xo, out, yo, p.bandImage(u), p.bandStart(u), p.bandEnd(u));
    }
  }
}
