package dev.topiary.converter.onnx;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Shapes;
import dev.topiary.converter.ir.TensorValue;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongBinaryOperator;

/** Plain reference code evaluating ONNX ops over constants, for folding at conversion time. */
final class Eval {
  private Eval() {}

  /** For each output element, the flat index of the input element NumPy broadcasting reads. */
  static int[] broadcastIndex(int[] out, int[] in) {
    int n = (int) Shapes.count(out);
    int r = out.length;
    int off = r - in.length;
    int[] inStrides = Shapes.strides(in);
    int[] stride = new int[r];
    for (int k = 0; k < r; k++) {
      stride[k] = k < off || in[k - off] == 1 ? 0 : inStrides[k - off];
    }
    int[] map = new int[n];
    int[] idx = new int[r];
    int src = 0;
    for (int o = 0; o < n; o++) {
      map[o] = src;
      for (int k = r - 1; k >= 0; k--) {
        idx[k]++;
        src += stride[k];
        if (idx[k] < out[k]) {
          break;
        }
        src -= stride[k] * idx[k];
        idx[k] = 0;
      }
    }
    return map;
  }

  static TensorValue binary(TensorValue a, TensorValue b, Fact out, DoubleBinaryOperator f, LongBinaryOperator l)
      throws ConversionException {
    int[] shape = out.shape();
    int[] ia = broadcastIndex(shape, a.shape());
    int[] ib = broadcastIndex(shape, b.shape());
    int n = ia.length;
    DType t = out.dtype();
    if (t.isFloating()) {
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        v[i] = (float) f.applyAsDouble(a.floatAt(ia[i]), b.floatAt(ib[i]));
      }
      return TensorValue.ofFloats(t, shape, v);
    }
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = t.wrap(l.applyAsLong(a.longAt(ia[i]), b.longAt(ib[i])));
    }
    return TensorValue.ofLongs(t, shape, v);
  }

  static long intDiv(long a, long b) throws ArithmeticException {
    if (b == 0) {
      throw new ArithmeticException("integer division by zero");
    }
    return a / b;
  }

  /** Elements at {@code [start + step·i]} per axis, given {@code ShapeRules.slice} ranges. */
  static TensorValue slice(TensorValue x, long[][] ranges) {
    int[] in = x.shape();
    int r = in.length;
    int[] out = new int[r];
    for (int k = 0; k < r; k++) {
      out[k] = (int) ranges[k][2];
    }
    int n = (int) Shapes.count(out);
    int[] strides = Shapes.strides(in);
    int[] map = new int[n];
    int[] idx = new int[r];
    for (int o = 0; o < n; o++) {
      long src = 0;
      for (int k = 0; k < r; k++) {
        src += (ranges[k][0] + ranges[k][1] * idx[k]) * strides[k];
      }
      map[o] = (int) src;
      for (int k = r - 1; k >= 0; k--) {
        if (++idx[k] < out[k]) {
          break;
        }
        idx[k] = 0;
      }
    }
    return x.gatherFlat(out, map);
  }

  static TensorValue concat(TensorValue[] xs, int axis, int[] outShape) {
    int n = (int) Shapes.count(outShape);
    int outer = 1;
    for (int k = 0; k < axis; k++) {
      outer *= outShape[k];
    }
    DType t = xs[0].dtype();
    float[] f = t.isFloating() ? new float[n] : null;
    long[] l = t.isFloating() ? null : new long[n];
    int o = 0;
    for (int i = 0; i < outer; i++) {
      for (TensorValue x : xs) {
        int block = x.count() / Math.max(outer, 1);
        for (int j = 0; j < block; j++) {
          if (f != null) {
            f[o++] = x.floatAt(i * block + j);
          } else {
            l[o++] = x.longAt(i * block + j);
          }
        }
      }
    }
    return f != null ? TensorValue.ofFloats(t, outShape, f) : TensorValue.ofLongs(t, outShape, l);
  }

  static TensorValue gather(TensorValue data, TensorValue indices, int axis, int[] outShape)
      throws ConversionException {
    int[] d = data.shape();
    int outer = 1;
    for (int k = 0; k < axis; k++) {
      outer *= d[k];
    }
    int inner = 1;
    for (int k = axis + 1; k < d.length; k++) {
      inner *= d[k];
    }
    int dim = d[axis];
    int m = indices.count();
    int[] map = new int[outer * m * inner];
    int o = 0;
    for (int i = 0; i < outer; i++) {
      for (int j = 0; j < m; j++) {
        long ix = indices.longAt(j);
        if (ix < 0) {
          ix += dim;
        }
        if (ix < 0 || ix >= dim) {
          throw new ConversionException("index " + indices.longAt(j) + " is out of range for dimension " + dim);
        }
        for (int k = 0; k < inner; k++) {
          map[o++] = (int) ((i * (long) dim + ix) * inner + k);
        }
      }
    }
    return data.gatherFlat(outShape, map);
  }

  /** Constant-mode pad with {@code value}. */
  static TensorValue pad(TensorValue x, long[] pads, float value, int[] outShape) {
    int r = outShape.length;
    int n = (int) Shapes.count(outShape);
    int[] in = x.shape();
    int[] strides = Shapes.strides(in);
    DType t = x.dtype();
    float[] f = t.isFloating() ? new float[n] : null;
    long[] l = t.isFloating() ? null : new long[n];
    int[] idx = new int[r];
    for (int o = 0; o < n; o++) {
      long src = 0;
      boolean inside = true;
      for (int k = 0; k < r; k++) {
        long s = idx[k] - pads[k];
        if (s < 0 || s >= in[k]) {
          inside = false;
          break;
        }
        src += s * strides[k];
      }
      if (f != null) {
        f[o] = inside ? x.floatAt((int) src) : value;
      } else {
        l[o] = inside ? x.longAt((int) src) : (long) value;
      }
      for (int k = r - 1; k >= 0; k--) {
        if (++idx[k] < outShape[k]) {
          break;
        }
        idx[k] = 0;
      }
    }
    return f != null ? TensorValue.ofFloats(t, outShape, f) : TensorValue.ofLongs(t, outShape, l);
  }
}
