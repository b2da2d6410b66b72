package dev.topiary.vector;

import static org.junit.Assert.assertEquals;

import dev.topiary.internal.cpu.Conv2DShape;
import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.VectorKernels;
import java.util.Random;
import org.junit.Test;

/**
 * {@link VectorDepthwise} called directly, against a naive loop that states its rounding contract:
 * per output {@code acc = fma(x, w, acc)} from zero over the taps inside the image in kernel
 * order, then {@code + bias}, then the clamp. The bits must be equal, so a tap read from the wrong
 * column or in the wrong order fails. Arrays are exactly as long as the tensors (plus an offset),
 * so a load past the input's end throws: the whole-vector loads of a partial channel block must
 * not be taken next to the array's end.
 */
public class VectorDepthwiseTest {
  private static final VectorKernels VK = FloatVectorKernels.createIfUseful();

  @Test
  public void sharedColumnInteriorsAtStrideOneAndTwo() {
    Random r = new Random(7);
    int[] channels = {8, 16, 17, 24, 32, 40, 48, 88};
    for (int c : channels) {
      for (int stride = 1; stride <= 2; stride++) {
        check(r, 9, 23, c, 3, stride, 1, 1, 1, Gemm.Act.CLAMP, 0, 6, true, 0);
        check(r, 8, 16, c, 3, stride, 1, 1, 1, Gemm.Act.NONE, 0, 0, false, 5);
      }
    }
  }

  @Test
  public void stripsOfSevenOnSmallImages() {
    Random r = new Random(9);
    // 7 and 14 output columns (strip7, strip7s2), rows of any count, full and partial channel blocks,
    // row dilation.
    int[] channels = {16, 17, 32, 40, 128};
    for (int c : channels) {
      check(r, 7, 7, c, 3, 1, 1, 1, 1, Gemm.Act.CLAMP, 0, 6, true, 0);
      check(r, 14, 14, c, 3, 1, 1, 1, 1, Gemm.Act.NONE, 0, 0, false, 3);
      check(r, 5, 14, c, 3, 1, 1, 1, 1, Gemm.Act.CLAMP, -1, 1, true, 1);
      check(r, 9, 7, c, 3, 1, 1, 1, 1, Gemm.Act.CLAMP, -9, 9, true, 0);
      check(r, 7, 7, c, 3, 1, 1, 1, 1, Gemm.Act.NONE, 0, 0, true, 2);
      check(r, 9, 7, c, 3, 1, 2, 1, 1, Gemm.Act.CLAMP, 0, 6, true, 0);
      check(r, 2, 7, c, 3, 1, 1, 1, 1, Gemm.Act.CLAMP, 0, 6, false, 0);
      // Stride 2: 14 → 7, 13 → 7, 28 → 14 columns.
      check(r, 14, 14, c, 3, 2, 1, 1, 1, Gemm.Act.CLAMP, 0, 6, true, 0);
      check(r, 9, 13, c, 3, 2, 1, 1, 1, Gemm.Act.NONE, 0, 0, true, 1);
      check(r, 6, 28, c, 3, 2, 1, 1, 1, Gemm.Act.CLAMP, -1, 1, false, 0);
    }
  }

  @Test
  public void dilationOddShapesAndKernels() {
    Random r = new Random(8);
    // Row dilation only (still the 3×3 interior), column dilation, 5×5, tiny images, no padding.
    check(r, 11, 19, 24, 3, 1, 2, 1, 1, Gemm.Act.CLAMP, -1, 1, true, 3);
    check(r, 11, 19, 40, 3, 2, 2, 1, 2, Gemm.Act.NONE, 0, 0, true, 0);
    check(r, 10, 21, 24, 3, 1, 1, 2, 2, Gemm.Act.CLAMP, 0, 6, false, 1);
    check(r, 12, 13, 20, 5, 1, 1, 1, 2, Gemm.Act.CLAMP, 0, 6, true, 0);
    check(r, 12, 13, 36, 5, 2, 1, 1, 2, Gemm.Act.NONE, 0, 0, true, 2);
    check(r, 3, 3, 24, 3, 1, 1, 1, 1, Gemm.Act.CLAMP, 0, 6, true, 0);
    check(r, 7, 7, 128, 3, 1, 1, 1, 1, Gemm.Act.CLAMP, 0, 6, true, 0);
    check(r, 14, 14, 64, 3, 2, 1, 1, 1, Gemm.Act.CLAMP, 0, 6, true, 0);
    check(r, 6, 30, 24, 3, 1, 1, 1, 0, Gemm.Act.NONE, 0, 0, true, 0);
  }

  /**
   * One depthwise convolution of an {@code h × w × c} image with a square kernel {@code k}, equal
   * strides, dilations {@code dh, dw}, symmetric padding {@code pad}; tensors start at
   * {@code off} in arrays that end where the tensors end.
   */
  private static void check(Random r, int h, int w, int c, int k, int stride, int dh, int dw, int pad,
      Gemm.Act act, float lo, float hi, boolean withBias, int off) {
    int oh = (h + 2 * pad - (k - 1) * dh - 1) / stride + 1;
    int ow = (w + 2 * pad - (k - 1) * dw - 1) / stride + 1;
    Conv2DShape g = new Conv2DShape(h, w, c, k, k, stride, stride, dh, dw, pad, pad, oh, ow);
    float[] weights = new float[c * k * k];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) r.nextGaussian();
    }
    float[] bias = null;
    if (withBias) {
      bias = new float[c];
      for (int i = 0; i < c; i++) {
        bias[i] = (float) r.nextGaussian();
      }
    }
    float[] in = new float[off + h * w * c];
    for (int i = 0; i < in.length; i++) {
      in[i] = (float) r.nextGaussian();
    }
    String what = h + "x" + w + "x" + c + " k" + k + " s" + stride + " d" + dh + "," + dw + " p" + pad + " " + act;
    VectorKernels.Depthwise dw0 = VK.depthwise(g, weights, bias, act, lo, hi);
    check(what, dw0, g, in, weights, bias, act, lo, hi, off);
    // The generic strip class (a set with no room for specialised ones), and no strip class at
    // all (none can be defined): pixel groups.
    FloatVectorKernels.Epilog epilog = new FloatVectorKernels.Epilog(act, lo, hi);
    check(what + " (generic strips)", new VectorDepthwise(g, weights, bias, epilog, DepthwiseStrips.newClasses(0)),
        g, in, weights, bias, act, lo, hi, off);
    check(what + " (no strip classes)", new VectorDepthwise(g, weights, bias, epilog, null), g, in, weights, bias,
        act, lo, hi, off);
  }

  private static void check(String what, VectorKernels.Depthwise dw0, Conv2DShape g, float[] in, float[] weights,
      float[] bias, Gemm.Act act, float lo, float hi, int off) {
    int h = g.h;
    int w = g.w;
    int c = g.c;
    int k = g.kh;
    int stride = g.sh;
    int dh = g.dh;
    int dw = g.dw;
    int pad = g.padTop;
    int oh = g.oh;
    int ow = g.ow;
    float[] out = new float[off + oh * ow * c];
    int half = oh / 2;
    dw0.compute(in, off, out, off, 0, 0, half);
    dw0.compute(in, off, out, off, 0, half, oh);
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        for (int ch = 0; ch < c; ch++) {
          float acc = 0;
          for (int i = 0; i < k; i++) {
            int iy = y * stride - pad + i * dh;
            if (iy < 0 || iy >= h) {
              continue;
            }
            for (int j = 0; j < k; j++) {
              int ix = x * stride - pad + j * dw;
              if (ix < 0 || ix >= w) {
                continue;
              }
              acc = Math.fma(in[off + (iy * w + ix) * c + ch], weights[(ch * k + i) * k + j], acc);
            }
          }
          if (bias != null) {
            acc += bias[ch];
          }
          if (act == Gemm.Act.CLAMP) {
            acc = Math.min(Math.max(acc, lo), hi);
          }
          int o = off + (y * ow + x) * c + ch;
          assertEquals(what + " at " + y + "," + x + "," + ch, Float.floatToIntBits(acc),
              Float.floatToIntBits(out[o]));
        }
      }
    }
  }
}
