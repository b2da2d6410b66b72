package dev.topiary.vector;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.topiary.internal.cpu.Conv2DShape;
import dev.topiary.internal.cpu.Gemm;
import java.util.Random;
import org.junit.Test;

/**
 * {@link VectorDirectConv}'s grayscale-stem strips ({@link DirectStrips}), specialised per shape
 * and, with no strip class to hand, as groups of four pixels: both bit for bit against a naive
 * loop that states the rounding contract ({@code acc = fma(x, w, acc)} from zero over the taps
 * inside the image in kernel order, then {@code + bias}, then the clamp).
 */
public class DirectStripsTest {
  @Test
  public void stemStripsMatchTheNaiveLoopWithAndWithoutSpecialisedCode() {
    Random r = new Random(41);
    // {h, w, stride, outputs}: 28 → 14 and 27 → 14 at stride 2, 14 and 7 at stride 1, 21 → 21.
    int[][] cases = {{28, 28, 2, 32}, {13, 27, 2, 48}, {14, 14, 1, 32}, {9, 7, 1, 40}, {7, 21, 1, 64}};
    for (int[] k : cases) {
      for (Gemm.Act act : new Gemm.Act[] {Gemm.Act.NONE, Gemm.Act.CLAMP}) {
        check(r, k[0], k[1], k[2], k[3], act, 0);
        check(r, k[0], k[1], k[2], k[3], act, 3);
      }
    }
  }

  @Test
  public void onlyStemShapesAreSpecialised() {
    assertTrue(kernel(28, 28, 1, 2, 32).stripsSpecialised());
    assertTrue(kernel(14, 14, 1, 1, 48).stripsSpecialised());
    // Three input channels, 15 output columns, or a single output vector: no strips.
    assertFalse(kernel(28, 28, 3, 2, 32).stripsSpecialised());
    assertFalse(kernel(15, 15, 1, 1, 32).stripsSpecialised());
    assertFalse(kernel(14, 14, 1, 1, 16).stripsSpecialised());
  }

  private static VectorDirectConv kernel(int h, int w, int c, int stride, int o) {
    Conv2DShape g = shape(h, w, c, stride);
    return new VectorDirectConv(g, o, new float[o * 9 * c], new float[o], epilog(Gemm.Act.NONE));
  }

  private static Conv2DShape shape(int h, int w, int c, int stride) {
    return new Conv2DShape(h, w, c, 3, 3, stride, stride, 1, 1, 1, 1, (h - 1) / stride + 1, (w - 1) / stride + 1);
  }

  private static FloatVectorKernels.Epilog epilog(Gemm.Act act) {
    return act == Gemm.Act.CLAMP ? new FloatVectorKernels.Epilog(act, -0.5f, 0.5f)
        : new FloatVectorKernels.Epilog(act, 0f, 0f);
  }

  private static void check(Random r, int h, int w, int stride, int o, Gemm.Act act, int off) {
    Conv2DShape g = shape(h, w, 1, stride);
    float[] weights = new float[o * 9];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) r.nextGaussian();
    }
    float[] bias = new float[o];
    for (int i = 0; i < o; i++) {
      bias[i] = (float) r.nextGaussian();
    }
    float[] in = new float[off + h * w];
    for (int i = 0; i < in.length; i++) {
      in[i] = (float) r.nextGaussian();
    }
    VectorDirectConv strips = new VectorDirectConv(g, o, weights, bias, epilog(act));
    assertTrue(strips.stripsSpecialised());
    VectorDirectConv groups = new VectorDirectConv(g, o, weights, bias, epilog(act), DirectStrips.newClasses(0));
    assertFalse(groups.stripsSpecialised());
    String what = h + "x" + w + " s" + stride + " o" + o + " " + act;
    for (VectorDirectConv kernel : new VectorDirectConv[] {strips, groups}) {
      float[] out = new float[off + g.oh * g.ow * o];
      kernel.compute(in, off, out, off, 0, 0, g.oh / 2);
      kernel.compute(in, off, out, off, 0, g.oh / 2, g.oh);
      for (int y = 0; y < g.oh; y++) {
        for (int x = 0; x < g.ow; x++) {
          for (int j = 0; j < o; j++) {
            float acc = 0;
            for (int i = 0; i < 3; i++) {
              int iy = y * stride - 1 + i;
              for (int q = 0; q < 3; q++) {
                int ix = x * stride - 1 + q;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                  acc = Math.fma(in[off + iy * w + ix], weights[j * 9 + i * 3 + q], acc);
                }
              }
            }
            acc += bias[j];
            if (act == Gemm.Act.CLAMP) {
              acc = Math.min(Math.max(acc, -0.5f), 0.5f);
            }
            assertEquals(what + (kernel == strips ? "" : " (groups)") + " at " + y + "," + x + "," + j,
                Float.floatToIntBits(acc), Float.floatToIntBits(out[off + (y * g.ow + x) * o + j]));
          }
        }
      }
    }
  }
}
