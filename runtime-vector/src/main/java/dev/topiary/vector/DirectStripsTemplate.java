package dev.topiary.vector;

import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The source of {@link VectorDirectConv}'s strips of seven pixels for a one-channel 3×3
 * convolution (a grayscale stem), never used as itself: {@link DirectStrips#forShape} defines a
 * hidden class from this class's bytes per shape ({@link ShapeClasses}), whose {@code static final}
 * constants (output channels, columns, stride, row dilation) come from the class data, so the
 * offsets of a strip's 63 scalar input loads and fourteen stores are constant displacements and
 * their bounds checks merge.
 *
 * <p>Rounding is {@link VectorDirectConv}'s: per output, {@code fma} over the taps in kernel order
 * from zero, then {@code + bias}, then the clamp.
 */
final class DirectStripsTemplate extends DirectStrips {
  private static final VectorSpecies<Float> S = FloatVectorKernels.S;
  private static final int L = S.length();

  /** The class data, {@link DirectStrips#SHAPE_LENGTH} entries; all zero in this class itself, which is never run. */
  private static final int[] SHAPE = shape();
  /** Output channels, the output's channel stride. */
  private static final int O = SHAPE[0];
  /** Output channels rounded up to {@code L}: the stride of the packed taps. */
  private static final int OP = SHAPE[1];
  /** Input and output columns. */
  private static final int W = SHAPE[2];
  private static final int OW = SHAPE[3];
  /** Stride along the row. */
  private static final int SW = SHAPE[4];
  /** Dilation between kernel rows. */
  private static final int DH = SHAPE[5];

  private final float[] wp;
  private final int wo;
  private final float[] bias;
  private final int bo;
  private final float lo;
  private final float hi;
  private final float loCmp;
  private final float hiCmp;

  DirectStripsTemplate(float[] wp, int wo, float[] bias, int bo, float lo, float hi, float loCmp, float hiCmp) {
    this.wp = wp;
    this.wo = wo;
    this.bias = bias;
    this.bo = bo;
    this.lo = lo;
    this.hi = hi;
    this.loCmp = loCmp;
    this.hiCmp = hiCmp;
  }

  private static int[] shape() {
    int[] data = ShapeClasses.shapeOf(MethodHandles.lookup());
    return data == null ? new int[DirectStrips.SHAPE_LENGTH] : data;
  }

  /**
   * An output row of a one-channel 3×3 convolution (a grayscale stem) as strips of seven output
   * pixels × two channel vectors {@code [cb, cb + 2L)}, for every whole pair of vectors; returns the
   * first channel left over. A loop of strips, not a call each (see {@code DepthwiseStripsTemplate.strip7}).
   * Per strip: fourteen independent chains, and per
   * tap two weight loads for seven broadcasts. The first pixel's left tap and the last pixel's right
   * tap may fall in the padding; they broadcast 0 ({@code fma(0, w, acc)} is {@code acc} for finite
   * weights). Replaces {@code VectorDirectConv}'s groups of four and single-chain edge pixels on such rows.
   */
  @Override
  int row(float[] in, int imageBase, int ih0, int r0, int r1, float[] out, int outRow) {
    int cb = 0;
    for (; cb + 2 * L <= O; cb += 2 * L) {
      for (int ow = 0; ow < OW; ow += 7) {
        int dst = outRow + ow * O + cb;
        boolean left = ow > 0;
        boolean right = (ow + 6) * SW + 1 < W;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        FloatVector b4 = a0;
        FloatVector b5 = a0;
        FloatVector b6 = a0;
        for (int r = r0; r < r1; r++) {
          int x = imageBase + (ih0 + r * DH) * W + ow * SW - 1;
          int wk = r * 3 * OP + cb;
          for (int q = 0; q < 3; q++, x++, wk += OP) {
            FloatVector w0 = FloatVector.fromArray(S, wp, wo + wk);
            FloatVector w1 = FloatVector.fromArray(S, wp, wo + wk + L);
            FloatVector x0 = FloatVector.broadcast(S, q > 0 || left ? in[x] : 0f);
            FloatVector x1 = FloatVector.broadcast(S, in[x + SW]);
            FloatVector x2 = FloatVector.broadcast(S, in[x + 2 * SW]);
            FloatVector x3 = FloatVector.broadcast(S, in[x + 3 * SW]);
            FloatVector x4 = FloatVector.broadcast(S, in[x + 4 * SW]);
            FloatVector x5 = FloatVector.broadcast(S, in[x + 5 * SW]);
            FloatVector x6 = FloatVector.broadcast(S, q < 2 || right ? in[x + 6 * SW] : 0f);
            a0 = x0.fma(w0, a0);
            b0 = x0.fma(w1, b0);
            a1 = x1.fma(w0, a1);
            b1 = x1.fma(w1, b1);
            a2 = x2.fma(w0, a2);
            b2 = x2.fma(w1, b2);
            a3 = x3.fma(w0, a3);
            b3 = x3.fma(w1, b3);
            a4 = x4.fma(w0, a4);
            b4 = x4.fma(w1, b4);
            a5 = x5.fma(w0, a5);
            b5 = x5.fma(w1, b5);
            a6 = x6.fma(w0, a6);
            b6 = x6.fma(w1, b6);
          }
        }
        FloatVector bias0 = FloatVector.fromArray(S, bias, bo + cb);
        FloatVector bias1 = FloatVector.fromArray(S, bias, bo + cb + L);
        FloatVector lov = FloatVector.broadcast(S, lo);
        FloatVector hiv = FloatVector.broadcast(S, hi);
        a0 = a0.add(bias0);
        a0 = a0.blend(lov, a0.lt(loCmp));
        a0 = a0.blend(hiv, a0.compare(VectorOperators.GT, hiCmp));
        b0 = b0.add(bias1);
        b0 = b0.blend(lov, b0.lt(loCmp));
        b0 = b0.blend(hiv, b0.compare(VectorOperators.GT, hiCmp));
        a0.intoArray(out, dst);
        b0.intoArray(out, dst + L);
        a1 = a1.add(bias0);
        a1 = a1.blend(lov, a1.lt(loCmp));
        a1 = a1.blend(hiv, a1.compare(VectorOperators.GT, hiCmp));
        b1 = b1.add(bias1);
        b1 = b1.blend(lov, b1.lt(loCmp));
        b1 = b1.blend(hiv, b1.compare(VectorOperators.GT, hiCmp));
        a1.intoArray(out, dst + O);
        b1.intoArray(out, dst + O + L);
        a2 = a2.add(bias0);
        a2 = a2.blend(lov, a2.lt(loCmp));
        a2 = a2.blend(hiv, a2.compare(VectorOperators.GT, hiCmp));
        b2 = b2.add(bias1);
        b2 = b2.blend(lov, b2.lt(loCmp));
        b2 = b2.blend(hiv, b2.compare(VectorOperators.GT, hiCmp));
        a2.intoArray(out, dst + 2 * O);
        b2.intoArray(out, dst + 2 * O + L);
        a3 = a3.add(bias0);
        a3 = a3.blend(lov, a3.lt(loCmp));
        a3 = a3.blend(hiv, a3.compare(VectorOperators.GT, hiCmp));
        b3 = b3.add(bias1);
        b3 = b3.blend(lov, b3.lt(loCmp));
        b3 = b3.blend(hiv, b3.compare(VectorOperators.GT, hiCmp));
        a3.intoArray(out, dst + 3 * O);
        b3.intoArray(out, dst + 3 * O + L);
        a4 = a4.add(bias0);
        a4 = a4.blend(lov, a4.lt(loCmp));
        a4 = a4.blend(hiv, a4.compare(VectorOperators.GT, hiCmp));
        b4 = b4.add(bias1);
        b4 = b4.blend(lov, b4.lt(loCmp));
        b4 = b4.blend(hiv, b4.compare(VectorOperators.GT, hiCmp));
        a4.intoArray(out, dst + 4 * O);
        b4.intoArray(out, dst + 4 * O + L);
        a5 = a5.add(bias0);
        a5 = a5.blend(lov, a5.lt(loCmp));
        a5 = a5.blend(hiv, a5.compare(VectorOperators.GT, hiCmp));
        b5 = b5.add(bias1);
        b5 = b5.blend(lov, b5.lt(loCmp));
        b5 = b5.blend(hiv, b5.compare(VectorOperators.GT, hiCmp));
        a5.intoArray(out, dst + 5 * O);
        b5.intoArray(out, dst + 5 * O + L);
        a6 = a6.add(bias0);
        a6 = a6.blend(lov, a6.lt(loCmp));
        a6 = a6.blend(hiv, a6.compare(VectorOperators.GT, hiCmp));
        b6 = b6.add(bias1);
        b6 = b6.blend(lov, b6.lt(loCmp));
        b6 = b6.blend(hiv, b6.compare(VectorOperators.GT, hiCmp));
        a6.intoArray(out, dst + 6 * O);
        b6.intoArray(out, dst + 6 * O + L);
      }
    }
    return cb;
  }
}
