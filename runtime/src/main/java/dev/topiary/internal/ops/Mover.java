package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.internal.plan.Storage;
import java.util.Arrays;

/**
 * The element loops of the data-movement ops, once per storage class ({@code float[]},
 * {@code int[]}, {@code long[]}, {@code byte[]}). Contiguous copies need no mover: they go through
 * {@link System#arraycopy}, which is type-generic over the {@code Object} arrays a {@link Frame}
 * holds. What cannot be written generically lives here: strided copies (a step other than 1 on
 * either side, negative steps included), the blocked 2-D transpose, and filling with a constant.
 *
 * <p>Callers choose the mover at bind time from the tensor's data type; arrays passed in must be
 * of the mover's storage class.
 */
abstract class Mover {
  /** Side of the square tile of {@link #transpose}: 32×32 ints or floats are 4 KB, in L1 twice. */
  static final int TILE = 32;
  /**
   * Below this many columns {@link #transpose} skips tiling and walks each column down the rows:
   * contiguous reads, and the few interleaved writes share cache lines (NCHW→NHWC with C = 3).
   */
  static final int NARROW = 8;

  static final Mover F32 = new F32Mover();
  static final Mover I32 = new I32Mover();
  static final Mover I64 = new I64Mover();
  static final Mover I8 = new I8Mover();

  /** The mover of the storage class holding {@code type}. */
  static Mover of(DataType type) {
    switch (Storage.of(type)) {
      case F32: return F32;
      case I32: return I32;
      case I64: return I64;
      default: return I8;
    }
  }

  /** The storage array of tensor {@code id}. */
  abstract Object array(Frame f, int id);

  /** {@code dst[d + i·ds] = src[s + i·ss]} for {@code i < n}; strides may be negative. */
  abstract void strided(Object src, int s, int ss, Object dst, int d, int ds, int n);

  /**
   * {@code dst[d + r·dRow + c] = src[s + r + c·sCol]} for {@code r < rows}, {@code c < cols}, in
   * {@link #TILE}-sized tiles so that both the contiguous writes and the strided reads stay in cache
   * (column by column when there are fewer than {@link #NARROW} columns).
   */
  abstract void transpose(Object src, int s, int sCol, Object dst, int d, int dRow, int rows, int cols);

  /**
   * Sets {@code n} elements from {@code d} to {@code value} converted to the element type: rounded
   * toward zero and then truncated to the storage width for integer types (so 255 is UINT8 255).
   */
  abstract void fill(Object dst, int d, int n, double value);

  private static final class F32Mover extends Mover {
    @Override
    Object array(Frame f, int id) {
      return f.f32(id);
    }

    @Override
    void strided(Object src, int s, int ss, Object dst, int d, int ds, int n) {
      float[] a = (float[]) src;
      float[] b = (float[]) dst;
      for (int i = 0; i < n; i++, s += ss, d += ds) {
        b[d] = a[s];
      }
    }

    @Override
    void transpose(Object src, int s, int sCol, Object dst, int d, int dRow, int rows, int cols) {
      float[] a = (float[]) src;
      float[] b = (float[]) dst;
      if (cols < NARROW) {
        for (int c = 0; c < cols; c++) {
          int bi = d + c;
          int ai = s + c * sCol;
          for (int r = 0; r < rows; r++, bi += dRow, ai++) {
            b[bi] = a[ai];
          }
        }
        return;
      }
      for (int r0 = 0; r0 < rows; r0 += TILE) {
        int r1 = Math.min(rows, r0 + TILE);
        for (int c0 = 0; c0 < cols; c0 += TILE) {
          int c1 = Math.min(cols, c0 + TILE);
          for (int r = r0; r < r1; r++) {
            int bi = d + r * dRow + c0;
            int ai = s + r + c0 * sCol;
            for (int c = c0; c < c1; c++, bi++, ai += sCol) {
              b[bi] = a[ai];
            }
          }
        }
      }
    }

    @Override
    void fill(Object dst, int d, int n, double value) {
      Arrays.fill((float[]) dst, d, d + n, (float) value);
    }
  }

  private static final class I32Mover extends Mover {
    @Override
    Object array(Frame f, int id) {
      return f.i32(id);
    }

    @Override
    void strided(Object src, int s, int ss, Object dst, int d, int ds, int n) {
      int[] a = (int[]) src;
      int[] b = (int[]) dst;
      for (int i = 0; i < n; i++, s += ss, d += ds) {
        b[d] = a[s];
      }
    }

    @Override
    void transpose(Object src, int s, int sCol, Object dst, int d, int dRow, int rows, int cols) {
      int[] a = (int[]) src;
      int[] b = (int[]) dst;
      if (cols < NARROW) {
        for (int c = 0; c < cols; c++) {
          int bi = d + c;
          int ai = s + c * sCol;
          for (int r = 0; r < rows; r++, bi += dRow, ai++) {
            b[bi] = a[ai];
          }
        }
        return;
      }
      for (int r0 = 0; r0 < rows; r0 += TILE) {
        int r1 = Math.min(rows, r0 + TILE);
        for (int c0 = 0; c0 < cols; c0 += TILE) {
          int c1 = Math.min(cols, c0 + TILE);
          for (int r = r0; r < r1; r++) {
            int bi = d + r * dRow + c0;
            int ai = s + r + c0 * sCol;
            for (int c = c0; c < c1; c++, bi++, ai += sCol) {
              b[bi] = a[ai];
            }
          }
        }
      }
    }

    @Override
    void fill(Object dst, int d, int n, double value) {
      Arrays.fill((int[]) dst, d, d + n, (int) (long) value);
    }
  }

  private static final class I64Mover extends Mover {
    @Override
    Object array(Frame f, int id) {
      return f.i64(id);
    }

    @Override
    void strided(Object src, int s, int ss, Object dst, int d, int ds, int n) {
      long[] a = (long[]) src;
      long[] b = (long[]) dst;
      for (int i = 0; i < n; i++, s += ss, d += ds) {
        b[d] = a[s];
      }
    }

    @Override
    void transpose(Object src, int s, int sCol, Object dst, int d, int dRow, int rows, int cols) {
      long[] a = (long[]) src;
      long[] b = (long[]) dst;
      if (cols < NARROW) {
        for (int c = 0; c < cols; c++) {
          int bi = d + c;
          int ai = s + c * sCol;
          for (int r = 0; r < rows; r++, bi += dRow, ai++) {
            b[bi] = a[ai];
          }
        }
        return;
      }
      for (int r0 = 0; r0 < rows; r0 += TILE) {
        int r1 = Math.min(rows, r0 + TILE);
        for (int c0 = 0; c0 < cols; c0 += TILE) {
          int c1 = Math.min(cols, c0 + TILE);
          for (int r = r0; r < r1; r++) {
            int bi = d + r * dRow + c0;
            int ai = s + r + c0 * sCol;
            for (int c = c0; c < c1; c++, bi++, ai += sCol) {
              b[bi] = a[ai];
            }
          }
        }
      }
    }

    @Override
    void fill(Object dst, int d, int n, double value) {
      Arrays.fill((long[]) dst, d, d + n, (long) value);
    }
  }

  private static final class I8Mover extends Mover {
    @Override
    Object array(Frame f, int id) {
      return f.i8(id);
    }

    @Override
    void strided(Object src, int s, int ss, Object dst, int d, int ds, int n) {
      byte[] a = (byte[]) src;
      byte[] b = (byte[]) dst;
      for (int i = 0; i < n; i++, s += ss, d += ds) {
        b[d] = a[s];
      }
    }

    @Override
    void transpose(Object src, int s, int sCol, Object dst, int d, int dRow, int rows, int cols) {
      byte[] a = (byte[]) src;
      byte[] b = (byte[]) dst;
      if (cols < NARROW) {
        for (int c = 0; c < cols; c++) {
          int bi = d + c;
          int ai = s + c * sCol;
          for (int r = 0; r < rows; r++, bi += dRow, ai++) {
            b[bi] = a[ai];
          }
        }
        return;
      }
      for (int r0 = 0; r0 < rows; r0 += TILE) {
        int r1 = Math.min(rows, r0 + TILE);
        for (int c0 = 0; c0 < cols; c0 += TILE) {
          int c1 = Math.min(cols, c0 + TILE);
          for (int r = r0; r < r1; r++) {
            int bi = d + r * dRow + c0;
            int ai = s + r + c0 * sCol;
            for (int c = c0; c < c1; c++, bi++, ai += sCol) {
              b[bi] = a[ai];
            }
          }
        }
      }
    }

    @Override
    void fill(Object dst, int d, int n, double value) {
      Arrays.fill((byte[]) dst, d, d + n, (byte) (long) value);
    }
  }
}
