package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;

/**
 * Gather, NumPy {@code take}: {@code data} (any type, rank >= 1) and {@code indices} (INT32 or
 * INT64, any shape) give an output of {@code data}'s type and shape
 * {@code data.shape[:axis] + indices.shape + data.shape[axis+1:]} ({@code axis} default 0, may be
 * negative). An index {@code i} in {@code [-d, d)} selects slice {@code i} (or {@code d + i}) of
 * {@code data} along {@code axis}, where {@code d} is that dimension's size.
 *
 * <p>Constant indices are checked and normalized at bind: an out-of-range index fails the load with
 * a {@link ModelFormatException}. Computed indices are checked as the kernel reads them: an
 * out-of-range index fails the run with an {@link IndexOutOfBoundsException} naming the node, the
 * position in {@code indices} and the value. Each selected slice is {@code prod(data.shape[axis+1:])}
 * contiguous elements moved with {@link System#arraycopy}.
 */
final class GatherOp implements OpFactory {
  @Override
  public String opType() {
    return "Gather";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(2, 2);
    DataType indexType = ctx.inputType(1);
    if (indexType != DataType.INT32 && indexType != DataType.INT64) {
      throw ctx.error("input 1 '" + ctx.inputName(1) + "' (indices) must be INT32 or INT64, got " + indexType);
    }
    int[] data = ctx.inputShape(0);
    int[] idx = ctx.inputShape(1);
    int r = data.length;
    if (r == 0) {
      throw ctx.error("input 0 '" + ctx.inputName(0) + "' (data) is a scalar; Gather needs rank >= 1");
    }
    int axis = ctx.axis("axis", ctx.attrInt("axis", 0), r);
    int[] out = new int[r - 1 + idx.length];
    int o = 0;
    int outer = 1;
    int inner = 1;
    for (int k = 0; k < axis; k++) {
      out[o++] = data[k];
      outer *= data[k];
    }
    for (int d : idx) {
      out[o++] = d;
    }
    for (int k = axis + 1; k < r; k++) {
      out[o++] = data[k];
      inner *= data[k];
    }
    DataType type = ctx.inputType(0);
    Int8Checks.movesData(ctx);
    ctx.setOutput(0, type, out);
    int size = data[axis];
    int count = Shape.of(idx).elementCount();
    Mover m = Mover.of(type);
    int x = ctx.inputId(0);
    int y = ctx.outputId(0);
    if (ctx.isConstant(1)) {
      long[] values = ctx.constantLongs(1);
      int[] norm = new int[values.length];
      for (int k = 0; k < values.length; k++) {
        long v = values[k];
        if (v < -size || v >= size) {
          throw ctx.error("indices[" + k + "] = " + v + " is out of range for axis " + axis + " of size " + size
              + " in data " + Shape.of(data));
        }
        norm[k] = (int) (v < 0 ? v + size : v);
      }
      return new Constant(m, x, y, outer, size, inner, norm);
    }
    String where = "node '" + ctx.nodeName() + "' (" + ctx.opType() + "): ";
    return new Computed(m, x, ctx.inputId(1), indexType == DataType.INT64, y, outer, size, inner, count, axis,
        where);
  }

  /** Indices known at bind, already normalized to {@code [0, size)}. */
  private static final class Constant implements Kernel {
    private final Mover m;
    private final int x;
    private final int y;
    private final int outer;
    private final int size;
    private final int inner;
    private final int[] indices;

    Constant(Mover m, int x, int y, int outer, int size, int inner, int[] indices) {
      this.m = m;
      this.x = x;
      this.y = y;
      this.outer = outer;
      this.size = size;
      this.inner = inner;
      this.indices = indices;
    }

    @Override
    public void run(Frame f) {
      Object src = m.array(f, x);
      Object dst = m.array(f, y);
      int s = f.off(x);
      int d = f.off(y);
      for (int o = 0; o < outer; o++, s += size * inner) {
        for (int k = 0; k < indices.length; k++, d += inner) {
          System.arraycopy(src, s + indices[k] * inner, dst, d, inner);
        }
      }
    }
  }

  /** Indices computed by the graph, read and checked at run time. */
  private static final class Computed implements Kernel {
    private final Mover m;
    private final int x;
    private final int ind;
    private final boolean int64;
    private final int y;
    private final int outer;
    private final int size;
    private final int inner;
    private final int count;
    private final int axis;
    private final String where;

    Computed(Mover m, int x, int ind, boolean int64, int y, int outer, int size, int inner, int count, int axis,
        String where) {
      this.m = m;
      this.x = x;
      this.ind = ind;
      this.int64 = int64;
      this.y = y;
      this.outer = outer;
      this.size = size;
      this.inner = inner;
      this.count = count;
      this.axis = axis;
      this.where = where;
    }

    @Override
    public void run(Frame f) {
      long[] i64 = int64 ? f.i64(ind) : null;
      int[] i32 = int64 ? null : f.i32(ind);
      int io = f.off(ind);
      // Check every index before writing, so a failed run leaves the output untouched.
      for (int k = 0; k < count; k++) {
        long v = int64 ? i64[io + k] : i32[io + k];
        if (v < -size || v >= size) {
          throw new IndexOutOfBoundsException(where + "indices[" + k + "] = " + v + " is out of range for axis "
              + axis + " of size " + size);
        }
      }
      Object src = m.array(f, x);
      Object dst = m.array(f, y);
      int s = f.off(x);
      int d = f.off(y);
      for (int o = 0; o < outer; o++, s += size * inner) {
        for (int k = 0; k < count; k++, d += inner) {
          long v = int64 ? i64[io + k] : i32[io + k];
          int i = (int) (v < 0 ? v + size : v);
          System.arraycopy(src, s + i * inner, dst, d, inner);
        }
      }
    }
  }
}
