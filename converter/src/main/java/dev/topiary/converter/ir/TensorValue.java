package dev.topiary.converter.ir;

import java.util.Arrays;

/**
 * An immutable constant tensor: element type, static shape and row-major values. Floating types
 * keep their values as {@code float} (FLOAT64 is narrowed), integer and boolean types as
 * {@code long}. Equality compares type, shape and values.
 */
public final class TensorValue {
  private final DType dtype;
  private final int[] shape;
  private final float[] floats;
  private final long[] longs;

  private TensorValue(DType dtype, int[] shape, float[] floats, long[] longs) {
    this.dtype = dtype;
    this.shape = shape.clone();
    this.floats = floats;
    this.longs = longs;
    long n = Shapes.count(shape);
    int have = floats != null ? floats.length : longs.length;
    if (n != have) {
      throw new IllegalArgumentException(Shapes.format(shape) + " needs " + n + " values, got " + have);
    }
  }

  /** A floating tensor; {@code values} is taken, not copied. */
  public static TensorValue ofFloats(DType dtype, int[] shape, float[] values) {
    if (!dtype.isFloating()) {
      throw new IllegalArgumentException(dtype + " is not a floating type");
    }
    return new TensorValue(dtype, shape, values, null);
  }

  public static TensorValue ofFloats(int[] shape, float... values) {
    return ofFloats(DType.FLOAT32, shape, values);
  }

  /** An integer or boolean tensor; {@code values} is taken, not copied. */
  public static TensorValue ofLongs(DType dtype, int[] shape, long[] values) {
    if (dtype.isFloating()) {
      throw new IllegalArgumentException(dtype + " is not an integer type");
    }
    return new TensorValue(dtype, shape, null, values);
  }

  public static TensorValue ofLongs(int[] shape, long... values) {
    return ofLongs(DType.INT64, shape, values);
  }

  /** A 1-D INT64 tensor. */
  public static TensorValue vector(long... values) {
    return ofLongs(DType.INT64, new int[] {values.length}, values);
  }

  public static TensorValue scalar(float v) {
    return ofFloats(DType.FLOAT32, new int[0], new float[] {v});
  }

  public DType dtype() {
    return dtype;
  }

  public int[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public int count() {
    return floats != null ? floats.length : longs.length;
  }

  /** The values as floats (a copy for integer types; the backing array otherwise — do not modify). */
  public float[] floats() {
    if (floats != null) {
      return floats;
    }
    float[] out = new float[longs.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = longs[i];
    }
    return out;
  }

  /** The values as longs (truncated toward zero for floating types; the backing array otherwise). */
  public long[] longs() {
    if (longs != null) {
      return longs;
    }
    long[] out = new long[floats.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (long) floats[i];
    }
    return out;
  }

  public float floatAt(int i) {
    return floats != null ? floats[i] : longs[i];
  }

  public long longAt(int i) {
    return longs != null ? longs[i] : (long) floats[i];
  }

  /** Same values, new shape with the same element count. */
  public TensorValue reshape(int[] newShape) {
    return new TensorValue(dtype, newShape, floats, longs);
  }

  /** Converts to {@code to} with ONNX Cast semantics for the types the IR holds. */
  public TensorValue cast(DType to) {
    if (to == dtype) {
      return this;
    }
    int n = count();
    if (to.isFloating()) {
      float[] out = new float[n];
      for (int i = 0; i < n; i++) {
        out[i] = floatAt(i);
      }
      return ofFloats(to, shape, out);
    }
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      if (floats != null) {
        float f = floats[i];
        out[i] = to == DType.BOOL ? (f != 0 ? 1 : 0) : to.wrap((long) f);
      } else {
        out[i] = to.wrap(longs[i]);
      }
    }
    return ofLongs(to, shape, out);
  }

  /** Transposes: output dim k is input dim perm[k]. */
  public TensorValue transpose(int[] perm) {
    int r = shape.length;
    int[] outShape = Shapes.permute(shape, perm);
    int[] inStrides = Shapes.strides(shape);
    int[] stride = new int[r];
    for (int k = 0; k < r; k++) {
      stride[k] = inStrides[perm[k]];
    }
    int n = count();
    int[] idx = new int[r];
    float[] f = floats != null ? new float[n] : null;
    long[] l = longs != null ? new long[n] : null;
    int src = 0;
    for (int o = 0; o < n; o++) {
      if (f != null) {
        f[o] = floats[src];
      } else {
        l[o] = longs[src];
      }
      for (int k = r - 1; k >= 0; k--) {
        idx[k]++;
        src += stride[k];
        if (idx[k] < outShape[k]) {
          break;
        }
        src -= stride[k] * idx[k];
        idx[k] = 0;
      }
    }
    return new TensorValue(dtype, outShape, f, l);
  }

  /** A new tensor of this type and {@code shape} filled from {@code index → source index}. */
  public TensorValue gatherFlat(int[] newShape, int[] sourceIndex) {
    int n = sourceIndex.length;
    if (floats != null) {
      float[] out = new float[n];
      for (int i = 0; i < n; i++) {
        out[i] = floats[sourceIndex[i]];
      }
      return new TensorValue(dtype, newShape, out, null);
    }
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = longs[sourceIndex[i]];
    }
    return new TensorValue(dtype, newShape, null, out);
  }

  /** True when every element equals {@code v}. */
  public boolean allEqual(double v) {
    for (int i = 0; i < count(); i++) {
      if (floatAt(i) != v) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TensorValue)) {
      return false;
    }
    TensorValue t = (TensorValue) o;
    return dtype == t.dtype && Arrays.equals(shape, t.shape) && Arrays.equals(floats, t.floats)
        && Arrays.equals(longs, t.longs);
  }

  @Override
  public int hashCode() {
    return dtype.hashCode() * 31 + Arrays.hashCode(shape) * 17
        + (floats != null ? Arrays.hashCode(floats) : Arrays.hashCode(longs));
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(dtype.name()).append(Shapes.format(shape)).append('{');
    int n = Math.min(count(), 8);
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",");
      if (floats != null) {
        sb.append(floats[i]);
      } else {
        sb.append(longs[i]);
      }
    }
    return sb.append(count() > n ? ",...}" : "}").toString();
  }
}
