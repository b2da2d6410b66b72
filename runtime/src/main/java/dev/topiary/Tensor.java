package dev.topiary;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An immutable n-dimensional array: element type, static shape and values.
 *
 * <pre>{@code
 * Tensor image = Tensor.ofFloats(Shape.of(1, 28, 28, 1), pixels);
 * float[] scores = session.run(Map.of("input", image)).get("logits").toFloatArray();
 * }</pre>
 *
 * <p>Values are held little-endian in a {@link ByteBuffer}. The {@code of*} factories copy the
 * caller's array; {@link #wrap} adopts a buffer without copying (the caller must not change it
 * while the tensor is in use).
 */
public final class Tensor {
  private final DataType dataType;
  private final Shape shape;
  private final ByteBuffer data;

  private Tensor(DataType dataType, Shape shape, ByteBuffer data) {
    this.dataType = dataType;
    this.shape = shape;
    this.data = data;
  }

  /**
   * A FLOAT32 tensor holding a copy of {@code values}.
   *
   * @throws IllegalArgumentException if {@code values.length} is not the shape's element count
   */
  public static Tensor ofFloats(Shape shape, float... values) {
    checkCount(shape, values.length);
    ByteBuffer b = allocate(DataType.FLOAT32, shape);
    b.asFloatBuffer().put(values);
    return new Tensor(DataType.FLOAT32, shape, b);
  }

  /**
   * An INT32 tensor holding a copy of {@code values}.
   *
   * @throws IllegalArgumentException if {@code values.length} is not the shape's element count
   */
  public static Tensor ofInts(Shape shape, int... values) {
    checkCount(shape, values.length);
    ByteBuffer b = allocate(DataType.INT32, shape);
    b.asIntBuffer().put(values);
    return new Tensor(DataType.INT32, shape, b);
  }

  /**
   * An INT64 tensor holding a copy of {@code values}.
   *
   * @throws IllegalArgumentException if {@code values.length} is not the shape's element count
   */
  public static Tensor ofLongs(Shape shape, long... values) {
    checkCount(shape, values.length);
    ByteBuffer b = allocate(DataType.INT64, shape);
    b.asLongBuffer().put(values);
    return new Tensor(DataType.INT64, shape, b);
  }

  /**
   * A one-byte-per-element tensor (INT8, UINT8 or BOOL) holding a copy of {@code values}.
   *
   * @throws IllegalArgumentException if the type is not one byte wide or the count is wrong
   */
  public static Tensor ofBytes(DataType dataType, Shape shape, byte... values) {
    if (dataType.byteSize() != 1) {
      throw new IllegalArgumentException("ofBytes needs a one-byte type, got " + dataType);
    }
    checkCount(shape, values.length);
    ByteBuffer b = allocate(dataType, shape);
    b.put(values);
    ((Buffer) b).rewind();
    return new Tensor(dataType, shape, b);
  }

  /**
   * A tensor over {@code buffer}'s remaining bytes, without copying. Values are read little-endian
   * whatever the buffer's own byte order; direct buffers are read in place.
   *
   * @throws IllegalArgumentException if the remaining bytes are not exactly count × element size
   */
  public static Tensor wrap(DataType dataType, Shape shape, ByteBuffer buffer) {
    long expected = (long) shape.elementCount() * dataType.byteSize();
    if (buffer.remaining() != expected) {
      throw new IllegalArgumentException(
          "buffer for " + shape + " " + dataType + ": expected " + expected + " bytes, got "
              + buffer.remaining());
    }
    ByteBuffer b = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
    return new Tensor(dataType, shape, b);
  }

  /** The element type. */
  public DataType dataType() {
    return dataType;
  }

  /** The shape. */
  public Shape shape() {
    return shape;
  }

  /** A read-only little-endian view of the values, positioned at 0. */
  public ByteBuffer buffer() {
    return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * The values as a new float array.
   *
   * @throws IllegalStateException if the type is not FLOAT32
   */
  public float[] toFloatArray() {
    requireType(DataType.FLOAT32);
    float[] out = new float[shape.elementCount()];
    data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /**
   * The values as a new int array.
   *
   * @throws IllegalStateException if the type is not INT32
   */
  public int[] toIntArray() {
    requireType(DataType.INT32);
    int[] out = new int[shape.elementCount()];
    data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
    return out;
  }

  /**
   * The values as a new long array.
   *
   * @throws IllegalStateException if the type is not INT64
   */
  public long[] toLongArray() {
    requireType(DataType.INT64);
    long[] out = new long[shape.elementCount()];
    data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
    return out;
  }

  /** The raw little-endian bytes as a new array. */
  public byte[] toByteArray() {
    byte[] out = new byte[data.remaining()];
    data.duplicate().get(out);
    return out;
  }

  /** Formats as {@code Tensor[1,10] FLOAT32}. */
  @Override
  public String toString() {
    return "Tensor" + shape + " " + dataType;
  }

  private void requireType(DataType t) {
    if (dataType != t) {
      throw new IllegalStateException("tensor is " + dataType + ", not " + t);
    }
  }

  private static void checkCount(Shape shape, int count) {
    if (count != shape.elementCount()) {
      throw new IllegalArgumentException(
          "shape " + shape + " needs " + shape.elementCount() + " values, got " + count);
    }
  }

  private static ByteBuffer allocate(DataType t, Shape s) {
    return ByteBuffer.allocate(s.elementCount() * t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
  }
}
