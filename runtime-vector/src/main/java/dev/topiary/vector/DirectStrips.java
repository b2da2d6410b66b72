package dev.topiary.vector;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;

/**
 * An output row of a one-channel 3×3 convolution as strips of seven pixels × two channel vectors,
 * specialised to one shape: an instance of a hidden class defined from
 * {@link DirectStripsTemplate}'s bytes with the shape as its constants ({@link ShapeClasses}).
 * {@link VectorDirectConv} makes one per kernel at plan time through {@link #forShape}; a process
 * keeps one class per shape, at most {@link #MAX_SHAPES} (a stem's shape is one per model, so
 * there is no generic class here, unlike {@link DepthwiseStrips}). Where it has none to give,
 * {@link #forShape} returns {@code null} and the kernel runs those rows as groups of four pixels,
 * the same sums in the same order.
 *
 * <p><b>Thread-safe</b>: an instance holds only its kernel's packed weights, read-only.
 */
abstract class DirectStrips {
  /** Entries of the class data: output channels, padded output channels, input columns, output columns, stride, row dilation. */
  static final int SHAPE_LENGTH = 6;
  /** Distinct shapes specialised per process. */
  static final int MAX_SHAPES = 64;

  private static final MethodType CONSTRUCTOR = MethodType.methodType(void.class, float[].class, int.class,
      float[].class, int.class, float.class, float.class, float.class, float.class);
  /** The process's strip classes. */
  static final ShapeClasses SHARED = newClasses(MAX_SHAPES);

  /**
   * One output row, every whole pair of channel vectors; returns the first channel left over.
   *
   * @param imageBase offset of the image's first pixel in {@code in}
   * @param ih0 the input row of kernel row 0, which may be in the padding; kernel rows
   *     {@code [r0, r1)} are inside the image
   * @param outRow offset of the output row's first pixel in {@code out}
   */
  abstract int row(float[] in, int imageBase, int ih0, int r0, int r1, float[] out, int outRow);

  /** A set of strip classes of its own, for tests. */
  static ShapeClasses newClasses(int max) {
    return new ShapeClasses(DirectStripsTemplate.class, CONSTRUCTOR, SHAPE_LENGTH, max);
  }

  /**
   * A strip kernel for a one-channel 3×3 convolution to {@code o ≥ 2L} channels, {@code w} input
   * and {@code ow} (a multiple of 7) output columns at stride {@code sw}, kernel rows {@code dh}
   * apart; or {@code null} where none can be had.
   *
   * @param classes where the class for the shape is kept, normally {@link #SHARED}
   * @param wp packed taps {@code [9][op]} from {@code wo}
   * @param bias the padded bias (zeros without one) from {@code bo}
   */
  static DirectStrips forShape(ShapeClasses classes, int o, int op, int w, int ow, int sw, int dh, float[] wp,
      int wo, float[] bias, int bo, float lo, float hi, float loCmp, float hiCmp) {
    MethodHandle constructor = classes.constructor(o, op, w, ow, sw, dh);
    if (constructor == null) {
      return null;
    }
    try {
      return (DirectStrips) constructor.invoke(wp, wo, bias, bo, lo, hi, loCmp, hiCmp);
    } catch (Throwable e) {
      throw new IllegalStateException("direct strip class constructor", e);
    }
  }
}
