package dev.topiary.internal.format;

import dev.topiary.internal.format.proto.DataType;
import dev.topiary.internal.format.proto.TensorDesc;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * INT32 and INT64 constants stored with fewer bytes per element ({@code TensorDesc.stored_width},
 * format 1.3): each element a little-endian two's-complement integer of 1, 2 or 4 bytes,
 * sign-extended to the data type when loaded. An int8 model's INT32 biases usually fit 16 bits.
 */
public final class NarrowIntegers {
  private NarrowIntegers() {}

  /** True when {@code type} may be stored narrow. */
  static boolean narrowable(DataType type) {
    return type == DataType.INT32 || type == DataType.INT64;
  }

  /** Bytes per stored element of constant {@code t}: its stored width, or its element size. */
  public static int storedElementSize(TensorDesc t) {
    return t.getStoredWidth() != 0 ? t.getStoredWidth() : Types.byteSize(t.getDataType());
  }

  /**
   * The smallest width of 1, 2 or 4 bytes that holds every one of the {@code count} little-endian
   * integers of {@code size} bytes in {@code dense}, or {@code size} when none narrower does.
   */
  static int narrowestWidth(ByteBuffer dense, int count, int size) {
    ByteBuffer b = dense.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long min = 0;
    long max = 0;
    int p = b.position();
    for (int i = 0; i < count; i++) {
      long v = size == 8 ? b.getLong(p + 8 * i) : b.getInt(p + 4 * i);
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    for (int w = 1; w < size; w *= 2) {
      long lim = 1L << (8 * w - 1);
      if (min >= -lim && max < lim) {
        return w;
      }
    }
    return size;
  }

  /** The {@code count} integers of {@code size} bytes in {@code dense}, each stored in {@code width} bytes. */
  static ByteBuffer narrow(ByteBuffer dense, int count, int size, int width) {
    ByteBuffer in = dense.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer out = ByteBuffer.allocate(count * width).order(ByteOrder.LITTLE_ENDIAN);
    int p = in.position();
    for (int i = 0; i < count; i++) {
      long v = size == 8 ? in.getLong(p + 8 * i) : in.getInt(p + 4 * i);
      put(out, v, width);
    }
    ((java.nio.Buffer) out).flip();
    return out;
  }

  /**
   * The {@code count} integers of {@code width} bytes in {@code stored}, sign-extended to
   * {@code size} bytes each: a new little-endian buffer.
   */
  public static ByteBuffer widen(ByteBuffer stored, int count, int width, int size) {
    ByteBuffer in = stored.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer out = ByteBuffer.allocate(count * size).order(ByteOrder.LITTLE_ENDIAN);
    int p = in.position();
    for (int i = 0; i < count; i++) {
      long v;
      switch (width) {
        case 1: v = in.get(p + i); break;
        case 2: v = in.getShort(p + 2 * i); break;
        case 4: v = in.getInt(p + 4 * i); break;
        default: throw new IllegalArgumentException("stored width " + width);
      }
      put(out, v, size);
    }
    ((java.nio.Buffer) out).flip();
    return out;
  }

  private static void put(ByteBuffer out, long v, int width) {
    switch (width) {
      case 1: out.put((byte) v); break;
      case 2: out.putShort((short) v); break;
      case 4: out.putInt((int) v); break;
      case 8: out.putLong(v); break;
      default: throw new IllegalArgumentException("width " + width);
    }
  }
}
