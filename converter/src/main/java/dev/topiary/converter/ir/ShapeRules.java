package dev.topiary.converter.ir;

import dev.topiary.converter.ConversionException;

/**
 * Output-shape arithmetic shared by the ONNX-level and runtime-level op rules. Each method checks
 * its arguments and throws {@link ConversionException} with a message naming the offending value.
 */
public final class ShapeRules {
  private ShapeRules() {}

  /** Normalizes a possibly negative axis against {@code rank}. */
  public static int axis(String what, long axis, int rank) throws ConversionException {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= Math.max(rank, 1)) {
      throw new ConversionException(what + " " + axis + " is out of range for rank " + rank);
    }
    return (int) a;
  }

  public static int[] broadcast(String what, int[] a, int[] b) throws ConversionException {
    int[] s = Shapes.broadcast(a, b);
    if (s == null) {
      throw new ConversionException(what + ": shapes " + Shapes.format(a) + " and " + Shapes.format(b)
          + " do not broadcast");
    }
    return s;
  }

  /** Per spatial dim: pads [begin..., end...] resolved for SAME_* or VALID, else the explicit ones. */
  public static long[] resolvePads(String padding, int[] in, int[] kernel, int[] strides, int[] dilations,
      long[] explicit) throws ConversionException {
    int n = in.length;
    long[] pads = new long[2 * n];
    switch (padding) {
      case "EXPLICIT":
      case "NOTSET":
        if (explicit != null) {
          if (explicit.length != 2 * n) {
            throw new ConversionException("pads needs " + 2 * n + " values, got " + explicit.length);
          }
          for (long p : explicit) {
            if (p < 0 || p > 1 << 20) {
              throw new ConversionException("pad " + p + " is out of range");
            }
          }
          return explicit.clone();
        }
        return pads;
      case "VALID":
        return pads;
      case "SAME_UPPER":
      case "SAME_LOWER":
        for (int i = 0; i < n; i++) {
          long out = (in[i] + strides[i] - 1) / strides[i];
          long total = Math.max(0, (out - 1) * strides[i] + (long) (kernel[i] - 1) * dilations[i] + 1 - in[i]);
          long small = total / 2;
          long big = total - small;
          pads[i] = padding.equals("SAME_UPPER") ? small : big;
          pads[i + n] = padding.equals("SAME_UPPER") ? big : small;
        }
        return pads;
      default:
        throw new ConversionException("unknown padding '" + padding + "'");
    }
  }

  /** Output size of a convolution or pooling window along one dim. */
  public static int windowOut(String what, int in, long padBegin, long padEnd, int kernel, int stride, int dilation,
      boolean ceil) throws ConversionException {
    if (kernel < 1 || stride < 1 || dilation < 1) {
      throw new ConversionException(what + ": kernel, stride and dilation must be positive, got " + kernel + ", "
          + stride + ", " + dilation);
    }
    long span = (long) (kernel - 1) * dilation + 1;
    long room = in + padBegin + padEnd - span;
    if (room < 0) {
      throw new ConversionException(what + ": window of " + span + " does not fit input " + in + " with pads "
          + padBegin + "+" + padEnd);
    }
    long out = ceil ? (room + stride - 1) / stride + 1 : room / stride + 1;
    if (ceil && (out - 1) * stride >= in + padBegin) {
      out--;
    }
    return (int) out;
  }

  /** Resolves a Reshape target: 0 copies the input dim (unless allowzero), one −1 is inferred. */
  public static int[] reshape(int[] in, long[] target, boolean allowZero) throws ConversionException {
    int[] out = new int[target.length];
    long known = 1;
    int infer = -1;
    for (int i = 0; i < target.length; i++) {
      long t = target[i];
      if (t == -1) {
        if (infer >= 0) {
          throw new ConversionException("shape " + java.util.Arrays.toString(target) + " has more than one -1");
        }
        infer = i;
        continue;
      }
      if (t == 0 && !allowZero) {
        if (i >= in.length) {
          throw new ConversionException("shape " + java.util.Arrays.toString(target) + ": 0 at " + i
              + " copies a dimension the input " + Shapes.format(in) + " does not have");
        }
        t = in[i];
      }
      if (t < 0 || t > Integer.MAX_VALUE) {
        throw new ConversionException("shape " + java.util.Arrays.toString(target) + " has invalid dimension " + t);
      }
      out[i] = (int) t;
      known *= t;
      if (known > Integer.MAX_VALUE) {
        throw new ConversionException("shape " + java.util.Arrays.toString(target) + " is too large");
      }
    }
    long count = Shapes.count(in);
    if (infer >= 0) {
      if (known == 0 || count % known != 0) {
        throw new ConversionException("cannot reshape " + Shapes.format(in) + " to "
            + java.util.Arrays.toString(target));
      }
      out[infer] = (int) (count / known);
    } else if (known != count) {
      throw new ConversionException("cannot reshape " + Shapes.format(in) + " (" + count + " elements) to "
          + Shapes.format(out));
    }
    return out;
  }

  public static int[] flatten(int[] in, long axisAttr) throws ConversionException {
    long a = axisAttr < 0 ? axisAttr + in.length : axisAttr;
    if (a < 0 || a > in.length) {
      throw new ConversionException("axis " + axisAttr + " is out of range for rank " + in.length);
    }
    long outer = 1;
    long inner = 1;
    for (int i = 0; i < in.length; i++) {
      if (i < a) {
        outer *= in[i];
      } else {
        inner *= in[i];
      }
    }
    return new int[] {(int) outer, (int) inner};
  }

  /** Normalized, sorted, distinct axes. */
  public static int[] axes(String what, long[] axes, int rank) throws ConversionException {
    int[] out = new int[axes.length];
    boolean[] seen = new boolean[Math.max(rank, 1)];
    for (int i = 0; i < axes.length; i++) {
      out[i] = axis(what, axes[i], rank);
      if (seen[out[i]]) {
        throw new ConversionException(what + " " + java.util.Arrays.toString(axes) + " repeats an axis");
      }
      seen[out[i]] = true;
    }
    java.util.Arrays.sort(out);
    return out;
  }

  public static int[] squeeze(int[] in, long[] axesOrNull) throws ConversionException {
    boolean[] drop = new boolean[in.length];
    if (axesOrNull == null) {
      for (int i = 0; i < in.length; i++) {
        drop[i] = in[i] == 1;
      }
    } else {
      for (int a : axes("axes", axesOrNull, in.length)) {
        if (in[a] != 1) {
          throw new ConversionException("cannot squeeze axis " + a + " of " + Shapes.format(in) + ": size is not 1");
        }
        drop[a] = true;
      }
    }
    int n = 0;
    for (boolean d : drop) {
      n += d ? 0 : 1;
    }
    int[] out = new int[n];
    int k = 0;
    for (int i = 0; i < in.length; i++) {
      if (!drop[i]) {
        out[k++] = in[i];
      }
    }
    return out;
  }

  public static int[] unsqueeze(int[] in, long[] axes) throws ConversionException {
    int rank = in.length + axes.length;
    int[] ax = axes("axes", axes, rank);
    int[] out = new int[rank];
    boolean[] ins = new boolean[rank];
    for (int a : ax) {
      ins[a] = true;
    }
    int k = 0;
    for (int i = 0; i < rank; i++) {
      out[i] = ins[i] ? 1 : in[k++];
    }
    return out;
  }

  public static int[] concat(int[][] ins, long axisAttr) throws ConversionException {
    if (ins.length == 0) {
      throw new ConversionException("needs at least one input");
    }
    int rank = ins[0].length;
    int axis = axis("axis", axisAttr, rank);
    int[] out = ins[0].clone();
    for (int k = 1; k < ins.length; k++) {
      if (ins[k].length != rank) {
        throw new ConversionException("input " + k + " " + Shapes.format(ins[k]) + " has a different rank than "
            + Shapes.format(ins[0]));
      }
      for (int i = 0; i < rank; i++) {
        if (i == axis) {
          out[i] += ins[k][i];
        } else if (ins[k][i] != out[i]) {
          throw new ConversionException("input " + k + " " + Shapes.format(ins[k]) + " does not match "
              + Shapes.format(ins[0]) + " outside axis " + axis);
        }
      }
    }
    return out;
  }

  public static int[] gather(int[] data, int[] indices, long axisAttr) throws ConversionException {
    int axis = axis("axis", axisAttr, data.length);
    int[] out = new int[data.length - 1 + indices.length];
    int k = 0;
    for (int i = 0; i < axis; i++) {
      out[k++] = data[i];
    }
    for (int d : indices) {
      out[k++] = d;
    }
    for (int i = axis + 1; i < data.length; i++) {
      out[k++] = data[i];
    }
    return out;
  }

  public static int[] pad(int[] in, long[] pads) throws ConversionException {
    if (pads.length != 2 * in.length) {
      throw new ConversionException("pads needs " + 2 * in.length + " values for rank " + in.length + ", got "
          + pads.length);
    }
    int[] out = new int[in.length];
    for (int i = 0; i < in.length; i++) {
      long d = in[i] + pads[i] + pads[i + in.length];
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw new ConversionException("pads " + java.util.Arrays.toString(pads) + " give dimension " + d);
      }
      out[i] = (int) d;
    }
    return out;
  }

  /**
   * ONNX Slice: per axis {start, step, count} after clamping. Returns {@code [rank][3]}; axes not
   * sliced get {0, 1, dim}.
   */
  public static long[][] slice(int[] in, long[] starts, long[] ends, long[] axesOrNull, long[] stepsOrNull)
      throws ConversionException {
    int n = starts.length;
    if (ends.length != n || (axesOrNull != null && axesOrNull.length != n)
        || (stepsOrNull != null && stepsOrNull.length != n)) {
      throw new ConversionException("starts, ends, axes and steps must have the same length");
    }
    long[][] r = new long[in.length][];
    for (int i = 0; i < in.length; i++) {
      r[i] = new long[] {0, 1, in[i]};
    }
    long[] ax = axesOrNull;
    if (ax == null) {
      ax = new long[n];
      for (int i = 0; i < n; i++) {
        ax[i] = i;
      }
    }
    int[] axes = axes("axes", ax, in.length);
    for (int i = 0; i < n; i++) {
      int a = axis("axes", ax[i], in.length);
      long d = in[a];
      long step = stepsOrNull == null ? 1 : stepsOrNull[i];
      if (step == 0) {
        throw new ConversionException("steps must not be 0");
      }
      long s = starts[i];
      long e = ends[i];
      s = s < 0 ? s + d : s;
      e = e < 0 ? e + d : e;
      long count;
      if (step > 0) {
        s = Math.max(0, Math.min(d, s));
        e = Math.max(0, Math.min(d, e));
        count = e > s ? (e - s + step - 1) / step : 0;
      } else {
        s = Math.max(0, Math.min(d - 1, s));
        e = Math.max(-1, Math.min(d - 1, e));
        count = s > e ? (s - e + (-step) - 1) / (-step) : 0;
      }
      r[a] = new long[] {count == 0 ? 0 : s, step, count};
    }
    if (axes.length != n) {
      throw new ConversionException("axes repeat");
    }
    return r;
  }

  public static int[] sliceShape(long[][] r) {
    int[] out = new int[r.length];
    for (int i = 0; i < r.length; i++) {
      out[i] = (int) r[i][2];
    }
    return out;
  }

  /** Reduced shape over {@code axes} (all when null or empty and {@code noopWithEmpty} is false). */
  public static int[] reduce(int[] in, int[] axes, boolean keepDims) {
    boolean[] red = new boolean[in.length];
    for (int a : axes) {
      red[a] = true;
    }
    int n = 0;
    for (int i = 0; i < in.length; i++) {
      n += red[i] && !keepDims ? 0 : 1;
    }
    int[] out = new int[n];
    int k = 0;
    for (int i = 0; i < in.length; i++) {
      if (red[i]) {
        if (keepDims) {
          out[k++] = 1;
        }
      } else {
        out[k++] = in[i];
      }
    }
    return out;
  }

  /** NumPy matmul output shape. */
  public static int[] matmul(int[] a, int[] b) throws ConversionException {
    if (a.length == 0 || b.length == 0) {
      throw new ConversionException("matmul inputs must have rank >= 1");
    }
    int[] aa = a.length == 1 ? new int[] {1, a[0]} : a;
    int[] bb = b.length == 1 ? new int[] {b[0], 1} : b;
    int k1 = aa[aa.length - 1];
    int k2 = bb[bb.length - 2];
    if (k1 != k2) {
      throw new ConversionException("matmul inner dimensions differ: " + Shapes.format(a) + " x " + Shapes.format(b));
    }
    int[] batch = broadcast("matmul batch", java.util.Arrays.copyOf(aa, aa.length - 2),
        java.util.Arrays.copyOf(bb, bb.length - 2));
    int[] out = Shapes.concat(batch, new int[] {aa[aa.length - 2], bb[bb.length - 1]});
    if (a.length == 1) {
      out = Shapes.concat(java.util.Arrays.copyOf(out, out.length - 2), new int[] {out[out.length - 1]});
    }
    if (b.length == 1) {
      out = java.util.Arrays.copyOf(out, out.length - 1);
    }
    return out;
  }
}
