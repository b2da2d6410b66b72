package dev.topiary.converter.ir;

import java.util.Arrays;
import java.util.Objects;

/**
 * What is known about one outlet: element type, shape ({@code null} when even the rank is unknown,
 * −1 for an unknown dimension) and the value when it is a constant.
 */
public final class Fact {
  private final DType dtype;
  private final int[] shape;
  private final TensorValue value;

  private Fact(DType dtype, int[] shape, TensorValue value) {
    this.dtype = Objects.requireNonNull(dtype, "dtype");
    this.shape = shape == null ? null : shape.clone();
    this.value = value;
  }

  public static Fact of(DType dtype, int[] shape) {
    return new Fact(dtype, shape, null);
  }

  public static Fact of(TensorValue value) {
    return new Fact(value.dtype(), value.shape(), value);
  }

  public DType dtype() {
    return dtype;
  }

  /** The shape (a copy), or null when the rank is unknown. */
  public int[] shape() {
    return shape == null ? null : shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public int dim(int i) {
    return shape[i];
  }

  /** True when every dimension is known. */
  public boolean isConcrete() {
    return Shapes.isKnown(shape);
  }

  /** The constant value, or null when it is only known at run time. */
  public TensorValue value() {
    return value;
  }

  public boolean isConstant() {
    return value != null;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Fact)) {
      return false;
    }
    Fact f = (Fact) o;
    return dtype == f.dtype && Arrays.equals(shape, f.shape) && Objects.equals(value, f.value);
  }

  @Override
  public int hashCode() {
    return dtype.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return dtype + Shapes.format(shape) + (value != null ? " = " + value : "");
  }
}
