package dev.topiary.internal.format;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The {@code BITMAP} sparse encoding of a constant (docs/FORMAT.md, "Sparse constants"):
 *
 * <pre>
 *  bytes                      content
 *  [0, B)                     bitmap, B = ceil(count / 8); bit (i % 8) of byte (i / 8) set ⇔ element i ≠ 0
 *  [B, B + nnz·size)          the nnz non-zero elements in ascending element order, little-endian
 * </pre>
 *
 * Bits past element {@code count − 1} in the last bitmap byte must be zero. "Non-zero" is bitwise:
 * a stored {@code −0.0f} is a non-zero element, so decoding restores every value bit for bit.
 */
public final class SparseBitmap {
  private SparseBitmap() {}

  /** Bytes of bitmap for {@code count} elements. */
  public static long bitmapBytes(long count) {
    return (count + 7) / 8;
  }

  /** Encoded length of {@code count} elements of which {@code nonZero} are non-zero. */
  public static long encodedLength(long count, long nonZero, int elementSize) {
    return bitmapBytes(count) + nonZero * elementSize;
  }

  /**
   * Encodes densely packed little-endian values ({@code count} elements of {@code elementSize}
   * bytes). Returns the encoded bytes, position 0, little-endian.
   */
  public static ByteBuffer encode(ByteBuffer dense, int count, int elementSize) {
    ByteBuffer d = dense.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int start = d.position();
    int nnz = 0;
    for (int i = 0; i < count; i++) {
      nnz += isZero(d, start + i * elementSize, elementSize) ? 0 : 1;
    }
    int bitmap = (int) bitmapBytes(count);
    ByteBuffer out = ByteBuffer.allocate(bitmap + nnz * elementSize).order(ByteOrder.LITTLE_ENDIAN);
    int v = bitmap;
    for (int i = 0; i < count; i++) {
      int at = start + i * elementSize;
      if (!isZero(d, at, elementSize)) {
        out.put(i >>> 3, (byte) (out.get(i >>> 3) | (1 << (i & 7))));
        for (int b = 0; b < elementSize; b++) {
          out.put(v++, d.get(at + b));
        }
      }
    }
    ((Buffer) out).position(0);
    return out;
  }

  /** Number of non-zero elements of densely packed values. */
  public static int nonZeroCount(ByteBuffer dense, int count, int elementSize) {
    int nnz = 0;
    for (int i = 0; i < count; i++) {
      nnz += isZero(dense, dense.position() + i * elementSize, elementSize) ? 0 : 1;
    }
    return nnz;
  }

  /**
   * Checks an encoded constant: exact length, bitmap population equal to {@code nonZero}, no bit set
   * past the last element.
   *
   * @param what the tensor, for messages
   */
  public static void check(ByteBuffer encoded, long count, long nonZero, int elementSize, String what)
      throws ModelFormatException {
    long bitmap = bitmapBytes(count);
    if (nonZero > count) {
      throw new ModelFormatException(what + ": sparse nonzero_count " + nonZero + " exceeds its " + count + " elements");
    }
    if (encoded.remaining() != bitmap + nonZero * elementSize) {
      throw new ModelFormatException(what + ": sparse data length " + encoded.remaining() + " is not " + bitmap
          + " bitmap bytes + " + nonZero + " × " + elementSize + " value bytes");
    }
    int base = encoded.position();
    long pop = 0;
    for (int i = 0; i < bitmap; i++) {
      pop += Integer.bitCount(encoded.get(base + i) & 0xFF);
    }
    if (count % 8 != 0 && bitmap > 0) {
      int tail = (encoded.get(base + (int) bitmap - 1) & 0xFF) >>> (count % 8);
      if (tail != 0) {
        throw new ModelFormatException(what + ": sparse bitmap marks elements past its " + count + " elements");
      }
    }
    if (pop != nonZero) {
      throw new ModelFormatException(
          what + ": sparse bitmap has " + pop + " bits set but nonzero_count is " + nonZero);
    }
  }

  /**
   * Decodes a checked encoding ({@link #check}) into densely packed little-endian bytes.
   */
  public static ByteBuffer decode(ByteBuffer encoded, int count, int elementSize) {
    ByteBuffer e = encoded.duplicate();
    int base = e.position();
    int bitmap = (int) bitmapBytes(count);
    ByteBuffer out = ByteBuffer.allocate(count * elementSize).order(ByteOrder.LITTLE_ENDIAN);
    int v = base + bitmap;
    for (int i = 0; i < count; i++) {
      if ((e.get(base + (i >>> 3)) & (1 << (i & 7))) != 0) {
        for (int b = 0; b < elementSize; b++) {
          out.put(i * elementSize + b, e.get(v++));
        }
      }
    }
    return out;
  }

  /** Element size of a data type, for callers outside this package. */
  public static int elementSize(DataType t) {
    return t.byteSize();
  }

  private static boolean isZero(ByteBuffer d, int at, int size) {
    for (int b = 0; b < size; b++) {
      if (d.get(at + b) != 0) {
        return false;
      }
    }
    return true;
  }
}
