package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;

/**
 * Pad with ONNX semantics, for any data type. {@code pads} (required) is
 * {@code [b_0..b_{r-1}, e_0..e_{r-1}]}: {@code b_k} elements before and {@code e_k} after dimension
 * {@code k}; output dimension {@code k} is {@code d_k + b_k + e_k}. {@code mode}:
 * <ul>
 *   <li>{@code constant} (default): new elements are {@code value} (float, default 0; for integer
 *       types rounded toward zero and truncated to the storage width; for a quantized INT8 input,
 *       {@code value} is a real number quantized with the input's parameters, so 0 pads with the
 *       zero point);
 *   <li>{@code edge}: new elements repeat the nearest edge element;
 *   <li>{@code reflect}: new elements mirror the input about its edge element without repeating it
 *       ({@code [1,2,3]} padded by 2 before is {@code [3,2,1,2,3]}). Pads wider than {@code d_k − 1}
 *       keep reflecting, as NumPy's {@code pad} does (period {@code 2(d_k − 1)}); a dimension of size 1
 *       reflects as {@code edge}.
 * </ul>
 * A negative pad crops: the input is cropped first and the kept region is padded, so edge and
 * reflect use the cropped input's edges. Cropping more than a dimension holds is an error, and
 * {@code edge}/{@code reflect} cannot pad a dimension that is empty after cropping.
 *
 * <p>The kernel fills the output ({@code constant}) and copies the kept input region into place
 * with a {@link StridedCopy}; for {@code edge}/{@code reflect} it then fills the border one axis
 * at a time, copying whole hyperplanes of the output onto the pad positions (axis {@code k} copies
 * planes that span the full output along axes before {@code k} and the kept region along axes after
 * it, so corners come out right).
 */
final class PadOp implements OpFactory {
  @Override
  public String opType() {
    return "Pad";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(1, 1);
    int[] in = ctx.inputShape(0);
    int r = in.length;
    long[] pads = ctx.attrInts("pads", null);
    if (pads == null) {
      throw ctx.error("attribute 'pads' is required");
    }
    if (pads.length != 2 * r) {
      throw ctx.error("attribute 'pads' needs " + 2 * r + " values (begin and end for each dimension of "
          + Shape.of(in) + "), got " + pads.length);
    }
    String mode = ctx.attrString("mode", "constant");
    if (!mode.equals("constant") && !mode.equals("edge") && !mode.equals("reflect")) {
      throw ctx.error("attribute 'mode' is '" + mode + "', expected constant, reflect or edge");
    }
    final double value = ctx.attrFloat("value", 0f);
    int[] out = new int[r];
    int[] keep = new int[r];
    int[] cropStart = new int[r];
    int[] at = new int[r];
    for (int k = 0; k < r; k++) {
      long b = pads[k];
      long e = pads[k + r];
      long o = in[k] + b + e;
      long kept = in[k] - Math.max(0, -b) - Math.max(0, -e);
      if (kept < 0 || o < 0) {
        throw ctx.error("pads " + ShapeOps.format(pads) + " crop " + -(Math.min(0, b) + Math.min(0, e))
            + " elements from dimension " + k + " of " + Shape.of(in) + ", which has " + in[k]);
      }
      if (o > Integer.MAX_VALUE) {
        throw ctx.error("pads " + ShapeOps.format(pads) + " make dimension " + k + " larger than 2^31-1");
      }
      if (!mode.equals("constant") && kept == 0 && o > 0) {
        throw ctx.error("cannot pad dimension " + k + " of " + Shape.of(in) + " in '" + mode
            + "' mode: it has no elements" + (in[k] > 0 ? " after cropping" : ""));
      }
      out[k] = (int) o;
      keep[k] = (int) kept;
      cropStart[k] = (int) Math.max(0, -b);
      at[k] = (int) Math.max(0, b);
    }
    DataType type = ctx.inputType(0);
    Int8Checks.movesData(ctx);
    ctx.setOutput(0, type, out);
    // A quantized INT8 input pads with the quantized value: real 0 (the default) is the zero point.
    dev.topiary.quantization.QuantParams xq = ctx.inputQuant(0);
    final double fill = type == DataType.INT8 && xq != null && xq.isPerTensor()
        ? xq.quantize((float) value, 0, -128, 127) : value;
    final Mover m = Mover.of(type);
    int[] inStrides = StridedCopy.contiguousStrides(in);
    int[] outStrides = StridedCopy.contiguousStrides(out);
    final int count = Shape.of(out).elementCount();
    final StridedCopy interior = StridedCopy.plan(m, keep, inStrides, outStrides, false);
    final int srcBase = dot(cropStart, inStrides);
    final int dstBase = dot(at, outStrides);
    final boolean constant = mode.equals("constant");
    final StridedCopy[] planes = new StridedCopy[r];
    final int[][] from = new int[r][];
    final int[][] to = new int[r][];
    if (!constant && count > 0) {
      boolean reflect = mode.equals("reflect");
      for (int k = 0; k < r; k++) {
        int padCount = out[k] - keep[k];
        from[k] = new int[padCount];
        to[k] = new int[padCount];
        int[] dims = new int[r];
        int base = 0;
        for (int e = 0; e < r; e++) {
          dims[e] = e < k ? out[e] : e == k ? 1 : keep[e];
          base += e > k ? at[e] * outStrides[e] : 0;
        }
        planes[k] = StridedCopy.plan(m, dims, outStrides, outStrides, false);
        int p = 0;
        for (int q = 0; q < out[k]; q++) {
          if (q >= at[k] && q < at[k] + keep[k]) {
            continue;
          }
          int src = at[k] + source(q - at[k], keep[k], reflect);
          from[k][p] = base + src * outStrides[k];
          to[k][p] = base + q * outStrides[k];
          p++;
        }
      }
    }
    final int x = ctx.inputId(0);
    final int y = ctx.outputId(0);
    return f -> {
      Object dst = m.array(f, y);
      int yo = f.off(y);
      if (constant) {
        m.fill(dst, yo, count, fill);
      }
      interior.run(m.array(f, x), f.off(x) + srcBase, dst, yo + dstBase);
      if (!constant && count > 0) {
        for (int k = 0; k < planes.length; k++) {
          for (int p = 0; p < from[k].length; p++) {
            planes[k].run(dst, yo + from[k][p], dst, yo + to[k][p]);
          }
        }
      }
    };
  }

  /**
   * The kept-region index that pad position {@code i} (relative to the kept region's start, so
   * negative before it and {@code >= n} after it) copies in edge or reflect mode.
   */
  static int source(int i, int n, boolean reflect) {
    if (!reflect || n == 1) {
      return Math.min(Math.max(i, 0), n - 1);
    }
    int period = 2 * (n - 1);
    int t = Math.floorMod(i, period);
    return t < n ? t : period - t;
  }

  private static int dot(int[] a, int[] b) {
    int s = 0;
    for (int k = 0; k < a.length; k++) {
      s += a[k] * b[k];
    }
    return s;
  }
}
