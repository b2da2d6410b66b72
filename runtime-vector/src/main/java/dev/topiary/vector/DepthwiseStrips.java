package dev.topiary.vector;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;

/**
 * One output row of a 3×3 depthwise convolution as strips of seven outputs: an instance of a
 * hidden class defined from {@link DepthwiseStripsTemplate}'s bytes ({@link ShapeClasses}), made
 * per kernel at plan time by {@link #forShape}. Small images get a class specialised to their
 * shape, its strides constants ({@link #SPECIALISED_MAX_FLOATS}, at most {@link #MAX_SHAPES} per
 * process); larger ones, and every shape once the bound is reached, share the generic class, whose
 * code reads the shape from the instance, as one shared method did before. Where no class can be
 * defined at all, {@link #forShape} returns {@code null} and the kernel runs those rows as pixel
 * groups. All three compute the same sums in the same order.
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
  /** Distinct shapes specialised per process (the Fashion-MNIST CNN has 3). */
  static final int MAX_SHAPES = 256;
  /**
   * The largest input image (floats, {@code h·w·c}) whose strips get a class of their own: 64 KiB,
   * the images of small models, whose layers run from L1 and L2, so that the integer work the
   * constants save is a large share (the CNN's 14×14×32 depthwise 1.90 → 1.53 µs). Larger images
   * share the generic class: there the gain was about 1 % (MobileNetV2's 14×14×384 to 7×7×960),
   * while each class is compiled on its own, so a model whose shapes no model before it had would
   * run its first inferences interpreted (MobileNetV2's first run after the CNN's, in
   * {@code load-probe}: 12 → 45 ms with all its strips specialised).
   */
  static final long SPECIALISED_MAX_FLOATS = 16 * 1024;

  private static final MethodType CONSTRUCTOR = MethodType.methodType(void.class, float[].class, int.class,
      float[].class, int.class, float.class, float.class, float.class, float.class, int[].class);
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

  /** Whether this instance runs code specialised to its shape (for tests). */
  abstract boolean specialised();

  /** A set of strip classes of its own, for tests: at most {@code max} specialised, and the generic one. */
  static ShapeClasses newClasses(int max) {
    return new ShapeClasses(DepthwiseStripsTemplate.class, CONSTRUCTOR, SHAPE_LENGTH, max);
  }

  /**
   * A strip kernel for a 3×3, dilation 1, left padding 1 depthwise convolution of {@code c ≥ L}
   * channels over an image of {@code h} rows, {@code w} input and {@code ow} (7 or 14) output
   * columns at stride {@code sw} (1 or 2): of the class specialised to this shape where the image
   * is at most {@link #SPECIALISED_MAX_FLOATS} and {@code classes} has room, else of the generic
   * class; {@code null} where neither can be had (see the class comment).
   *
   * @param classes where the classes are kept, normally {@link #SHARED}; {@code null} for none
   * @param wp packed taps {@code [9][cp]} from {@code wo}
   * @param fusedBias the padded bias (zeros without one) from {@code bo}
   * @param flags which epilogue steps run: {@link #FUSED}, {@link #BIAS}, {@link #LO}, {@link #HI}
   */
  static DepthwiseStrips forShape(ShapeClasses classes, int h, int c, int cp, int w, int ow, int sw, int flags,
      float[] wp, int wo, float[] fusedBias, int bo, float lo, float hi, float loCmp, float hiCmp) {
    if (classes == null) {
      return null;
    }
    int l = FloatVectorKernels.S.length();
    int[] shape = {c, cp, c / l * l, w, ow, sw, flags};
    MethodHandle constructor = (long) h * w * c <= SPECIALISED_MAX_FLOATS ? classes.constructor(shape) : null;
    if (constructor == null) {
      constructor = classes.generic();
    }
    if (constructor == null) {
      return null;
    }
    try {
      return (DepthwiseStrips) constructor.invoke(wp, wo, fusedBias, bo, lo, hi, loCmp, hiCmp, shape);
    } catch (Throwable e) {
      throw new IllegalStateException("depthwise strip class constructor", e);
    }
  }
}
