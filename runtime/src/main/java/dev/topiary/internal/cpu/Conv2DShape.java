package dev.topiary.internal.cpu;

/**
 * The geometry of a 2-D convolution on NHWC tensors, handed to {@link VectorKernels}: input
 * {@code [N,H,W,C]}, kernel {@code KH × KW}, strides, dilations, the padding before the first row
 * and column, and the output size {@code OH × OW} (already computed and checked by the op).
 */
public final class Conv2DShape {
  public final int h;
  public final int w;
  public final int c;
  public final int kh;
  public final int kw;
  public final int sh;
  public final int sw;
  public final int dh;
  public final int dw;
  public final int padTop;
  public final int padLeft;
  public final int oh;
  public final int ow;

  public Conv2DShape(int h, int w, int c, int kh, int kw, int sh, int sw, int dh, int dw, int padTop, int padLeft,
      int oh, int ow) {
    this.h = h;
    this.w = w;
    this.c = c;
    this.kh = kh;
    this.kw = kw;
    this.sh = sh;
    this.sw = sw;
    this.dh = dh;
    this.dw = dw;
    this.padTop = padTop;
    this.padLeft = padLeft;
    this.oh = oh;
    this.ow = ow;
  }
}
