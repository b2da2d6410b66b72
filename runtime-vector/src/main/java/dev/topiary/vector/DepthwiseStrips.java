package dev.topiary.vector;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;

/**
 * One output row of a 3×3 depthwise convolution as strips of seven outputs, specialised to one
 * shape: an instance of a hidden class defined from {@link DepthwiseStripsTemplate}'s bytes with
 * the shape as its constants ({@link ShapeClasses}). {@link VectorDepthwise} makes one per kernel
 * at plan time through {@link #forShape}; a process keeps one class per shape, at most
 * {@link #MAX_SHAPES}. Where it has none to give, {@link #forShape} returns {@code null} and the
 * kernel runs those rows as pixel groups, the same sums in the same order.
 *
 * <p><b>Thread-safe</b>: an instance holds only its kernel's packed weights, read-only.
 */
abstract class DepthwiseStrips {
  /**
   * Entries of the class data: channels, padded channels, whole channel blocks, input columns,
   * output columns, stride, flags.
   */
  static final int SHAPE_LENGTH = 7;
  static final int FUSED = 1;
  static final int BIAS = 2;
  static final int LO = 4;
  static final int HI = 8;
  /** Distinct shapes specialised per process; MobileNetV2 has 4, the Fashion-MNIST CNN 3. */
  static final int MAX_SHAPES = 256;

  private static final MethodType CONSTRUCTOR = MethodType.methodType(void.class, float[].class, int.class,
      float[].class, int.class, float.class, float.class, float.class, float.class);
  /** The process's strip classes. */
  static final ShapeClasses SHARED = newClasses(MAX_SHAPES);

  /**
   * One output row: for each full channel block and each strip of seven output columns, the nine
   * taps over the three kernel rows, the fused epilogue where there is one, and the stores.
   *
   * @param a0 array of kernel row 0 (the input, or the kernel's zero row for a row in the padding),
   *     {@code b0} the offset of its column 0, channel 0; likewise rows 1 and 2
   * @param out the output, {@code outRow} the offset of this output row's column 0, channel 0
   */
  abstract void row(float[] a0, int b0, float[] a1, int b1, float[] a2, int b2, float[] out, int outRow);

  /**
   * A strip kernel for a 3×3, dilation 1, left padding 1 depthwise convolution of {@code c ≥ L}
   * channels, {@code w} input and {@code ow} (7 or 14) output columns at stride {@code sw} (1 or
   * 2), or {@code null} where none can be had (see the class comment).
   *
   * @param classes where the class for the shape is kept, normally {@link #SHARED}
   * @param wp packed taps {@code [9][cp]} from {@code wo}
   * @param fusedBias the padded bias (zeros without one) from {@code bo}
   * @param flags which epilogue steps run: {@link #FUSED}, {@link #BIAS}, {@link #LO}, {@link #HI}
   */
  /** A set of strip classes of its own, for tests. */
  static ShapeClasses newClasses(int max) {
    return new ShapeClasses(DepthwiseStripsTemplate.class, CONSTRUCTOR, max);
  }

  static DepthwiseStrips forShape(ShapeClasses classes, int c, int cp, int w, int ow, int sw, int flags, float[] wp,
      int wo, float[] fusedBias, int bo, float lo, float hi, float loCmp, float hiCmp) {
    int l = FloatVectorKernels.S.length();
    MethodHandle constructor = classes.constructor(c, cp, c / l * l, w, ow, sw, flags);
    if (constructor == null) {
      return null;
    }
    try {
      return (DepthwiseStrips) constructor.invoke(wp, wo, fusedBias, bo, lo, hi, loCmp, hiCmp);
    } catch (Throwable e) {
      throw new IllegalStateException("depthwise strip class constructor", e);
    }
  }
}
