package dev.topiary;

import java.util.Arrays;

/**
 * An immutable, fully static tensor shape, outermost dimension first.
 *
 * <pre>{@code
 * Shape s = Shape.of(1, 28, 28, 1);
 * s.rank();          // 4
 * s.elementCount();  // 784
 * s.toString();      // "[1,28,28,1]"
 * }</pre>
 *
 * <p>A shape of rank 0 is a scalar with one element. Dimensions are non-negative and the element
 * count fits in an {@code int}: Java arrays bound every tensor the runtime can hold.
 */
public final class Shape {
  private static final Shape SCALAR = new Shape(new int[0]);

  private final int[] dims;
  private final int elementCount;

  private Shape(int[] dims) {
    this.dims = dims;
    long count = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new IllegalArgumentException("dimension " + i + " is negative: " + Arrays.toString(dims));
      }
      count *= dims[i];
      if (count > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("shape " + format(dims) + " has more than 2^31-1 elements");
      }
    }
    this.elementCount = (int) count;
  }

  /**
   * Returns the shape with these dimensions.
   *
   * @throws IllegalArgumentException if a dimension is negative or the element count overflows an int
   */
  public static Shape of(int... dims) {
    return dims.length == 0 ? SCALAR : new Shape(dims.clone());
  }

  /**
   * Returns the shape with these dimensions, checking that each fits in an int.
   *
   * @throws IllegalArgumentException if a dimension is negative, too large, or the count overflows
   */
  public static Shape of(long... dims) {
    int[] d = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("dimension " + i + " out of range: " + Arrays.toString(dims));
      }
      d[i] = (int) dims[i];
    }
    return d.length == 0 ? SCALAR : new Shape(d);
  }

  /** The scalar shape {@code []}. */
  public static Shape scalar() {
    return SCALAR;
  }

  /** Number of dimensions. */
  public int rank() {
    return dims.length;
  }

  /** Dimension {@code axis}; negative axes count from the end. */
  public int dim(int axis) {
    int a = axis < 0 ? axis + dims.length : axis;
    if (a < 0 || a >= dims.length) {
      throw new IndexOutOfBoundsException("axis " + axis + " out of range for rank " + dims.length);
    }
    return dims[a];
  }

  /** A copy of the dimensions. */
  public int[] dims() {
    return dims.clone();
  }

  /** Product of the dimensions (1 for a scalar). */
  public int elementCount() {
    return elementCount;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Formats as {@code [1,28,28,1]}. */
  @Override
  public String toString() {
    return format(dims);
  }

  static String format(int[] dims) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(dims[i]);
    }
    return sb.append(']').toString();
  }
}
