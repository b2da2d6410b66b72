package dev.topiary;

/** Name, element type and shape of a model input or output. Immutable. */
public final class TensorInfo {
  private final String name;
  private final DataType dataType;
  private final Shape shape;

  /** Creates a descriptor; all arguments are required. */
  public TensorInfo(String name, DataType dataType, Shape shape) {
    if (name == null || dataType == null || shape == null) {
      throw new NullPointerException("name, dataType and shape are required");
    }
    this.name = name;
    this.dataType = dataType;
    this.shape = shape;
  }

  /** The tensor's name, as in the source model. */
  public String name() {
    return name;
  }

  /** The element type. */
  public DataType dataType() {
    return dataType;
  }

  /** The static shape. */
  public Shape shape() {
    return shape;
  }

  /** Formats as {@code input [1,28,28,1] FLOAT32}. */
  @Override
  public String toString() {
    return name + " " + shape + " " + dataType;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TensorInfo)) {
      return false;
    }
    TensorInfo t = (TensorInfo) o;
    return name.equals(t.name) && dataType == t.dataType && shape.equals(t.shape);
  }

  @Override
  public int hashCode() {
    return (name.hashCode() * 31 + dataType.hashCode()) * 31 + shape.hashCode();
  }
}
