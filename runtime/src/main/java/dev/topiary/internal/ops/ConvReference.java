package dev.topiary.internal.ops;

/**
 * Reference Conv2D: the formula as plain loops, the oracle for the fast kernels. Padding is
 * explicit zeros (a padded tap adds {@code 0·w}), the sum runs over {@code kh, kw, c} in that order
 * from 0, then the bias is added and the activation applied. Single-threaded.
 */
final class ConvReference implements Kernel {
  private final ConvParams p;
  private final float[] w;
  private final float[] b;
  private final Activation act;
  private final int x;
  private final int y;

  ConvReference(ConvParams p, float[] w, float[] b, Activation act, int x, int y) {
    this.p = p;
    this.w = w;
    this.b = b;
    this.act = act;
    this.x = x;
    this.y = y;
  }

  @Override
  public void run(Frame f) {
    float[] in = f.f32(x);
    int xo = f.off(x);
    float[] out = f.f32(y);
    int yo = f.off(y);
    for (int n = 0; n < p.n; n++) {
      for (int oh = 0; oh < p.oh; oh++) {
        for (int ow = 0; ow < p.ow; ow++) {
          for (int oc = 0; oc < p.o; oc++) {
            int g = oc / p.og;
            float s = 0f;
            for (int i = 0; i < p.kh; i++) {
              int ih = oh * p.sh - p.padTop + i * p.dh;
              for (int j = 0; j < p.kw; j++) {
                int iw = ow * p.sw - p.padLeft + j * p.dw;
                boolean inside = ih >= 0 && ih < p.h && iw >= 0 && iw < p.w;
                for (int ci = 0; ci < p.cg; ci++) {
                  float xv = inside ? in[xo + ((n * p.h + ih) * p.w + iw) * p.c + g * p.cg + ci] : 0f;
                  s += xv * w[((oc * p.kh + i) * p.kw + j) * p.cg + ci];
                }
              }
            }
            if (b != null) {
              s += b[oc];
            }
            out[yo + ((n * p.oh + oh) * p.ow + ow) * p.o + oc] = act.apply(s);
          }
        }
      }
    }
  }
}
