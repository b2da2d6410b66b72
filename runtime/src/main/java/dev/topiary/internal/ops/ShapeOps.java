package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Precision.*;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import java.util.EnumSet;

/**
 * Registers the Reshape, Flatten, Transpose, Concat, Pad, Slice, Squeeze, Unsqueeze, Gather ops,
 * and holds the four that only relabel the shape ({@code Reshape}, {@code Flatten}, {@code Squeeze},
 * {@code Unsqueeze}): their output has the input's elements in the same order and the input's data
 * type, so the kernel is one {@link System#arraycopy} for every storage class, and the planner
 * usually drops even that, placing the output on the input's memory ({@link BindContext#relabelsInput}). Semantics are those
 * of {@code docs/OPS.md}; every check happens at bind.
 */
final class ShapeOps {
  private ShapeOps() {}

  static void register(OpRegistry r) {
    r.add(new Reshape(), EnumSet.of(FLOAT32, INT8));
    r.add(new Flatten(), EnumSet.of(FLOAT32, INT8));
    r.add(new TransposeOp(), EnumSet.of(FLOAT32, INT8));
    r.add(new ConcatOp(), EnumSet.of(FLOAT32, INT8));
    r.add(new PadOp(), EnumSet.of(FLOAT32, INT8));
    r.add(new SliceOp(), EnumSet.of(FLOAT32, INT8));
    r.add(new Squeeze(), EnumSet.of(FLOAT32, INT8));
    r.add(new Unsqueeze(), EnumSet.of(FLOAT32, INT8));
    r.add(new GatherOp(), EnumSet.of(FLOAT32, INT8));
  }

  /** Declares output 0 as input 0's type with {@code shape} and returns a dense copy kernel. */
  static Kernel relabel(BindContext ctx, int[] shape) throws ModelFormatException {
    DataType type = ctx.inputType(0);
    Int8Checks.movesData(ctx);
    ctx.setOutput(0, type, shape);
    ctx.relabelsInput();
    final int x = ctx.inputId(0);
    final int y = ctx.outputId(0);
    final int n = Shape.of(shape).elementCount();
    final Mover m = Mover.of(type);
    return f -> System.arraycopy(m.array(f, x), f.off(x), m.array(f, y), f.off(y), n);
  }

  /** Formats dims as {@code [a,b,c]}, like {@link Shape#toString}, for values that may be negative. */
  static String format(long[] dims) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      sb.append(i == 0 ? "" : ",").append(dims[i]);
    }
    return sb.append(']').toString();
  }

  /** Product of {@code dims}, saturating at {@code Long.MAX_VALUE} instead of overflowing. */
  static long product(long[] dims) {
    long p = 1;
    for (long d : dims) {
      p = d != 0 && p > Long.MAX_VALUE / d ? Long.MAX_VALUE : p * d;
    }
    return p;
  }

  /**
   * Normalizes an axis list against {@code rank} (negative values count from the end), rejecting
   * out-of-range values and duplicates; returns a flag per axis.
   */
  static boolean[] axisSet(BindContext ctx, String attr, long[] axes, int rank) throws ModelFormatException {
    boolean[] set = new boolean[rank];
    for (int k = 0; k < axes.length; k++) {
      long a = axes[k] < 0 ? axes[k] + rank : axes[k];
      if (a < 0 || a >= rank) {
        throw ctx.error("attribute '" + attr + "' = " + format(axes) + ": " + axes[k]
            + " is out of range for rank " + rank);
      }
      if (set[(int) a]) {
        throw ctx.error("attribute '" + attr + "' = " + format(axes) + " names axis " + a + " twice");
      }
      set[(int) a] = true;
    }
    return set;
  }

  /**
   * Reshape: {@code shape} (required) gives the new dims; {@code 0} copies the input dimension at the
   * same index, one {@code -1} is inferred from the element count.
   */
  static final class Reshape implements OpFactory {
    @Override
    public String opType() {
      return "Reshape";
    }

    @Override
    public Kernel bind(BindContext ctx) throws ModelFormatException {
      ctx.requireInputs(1, 1);
      int[] in = ctx.inputShape(0);
      long count = Shape.of(in).elementCount();
      long[] spec = ctx.attrInts("shape", null);
      if (spec == null) {
        throw ctx.error("attribute 'shape' is required");
      }
      boolean allowZero = ctx.attrInt("allowzero", 0, 0, 1) == 1;
      long[] dims = new long[spec.length];
      int infer = -1;
      for (int k = 0; k < spec.length; k++) {
        long v = spec[k];
        if (v == 0 && !allowZero) {
          if (k >= in.length) {
            throw ctx.error("shape " + format(spec) + ": 0 at index " + k + " copies an input dimension, but the input "
                + Shape.of(in) + " has rank " + in.length);
          }
          v = in[k];
        } else if (v == -1) {
          if (infer >= 0) {
            throw ctx.error("shape " + format(spec) + " has more than one -1");
          }
          infer = k;
          v = 1;
        } else if (v < -1 || v > Integer.MAX_VALUE) {
          throw ctx.error("shape " + format(spec) + ": dimension " + k + " = " + v + " is out of range");
        }
        dims[k] = v;
      }
      long known = product(dims);
      if (infer >= 0) {
        if (known == 0) {
          throw ctx.error("cannot reshape " + Shape.of(in) + " (" + count + " elements) to " + format(spec)
              + ": -1 is ambiguous when the other dimensions have 0 elements");
        }
        if (count % known != 0) {
          throw ctx.error("cannot reshape " + Shape.of(in) + " (" + count + " elements) to " + format(spec)
              + ": " + count + " is not a multiple of " + known);
        }
        dims[infer] = count / known;
      } else if (known != count) {
        throw ctx.error("cannot reshape " + Shape.of(in) + " (" + count + " elements) to " + format(spec) + " ("
            + (known == Long.MAX_VALUE ? "too many" : "" + known) + " elements)");
      }
      int[] out = new int[dims.length];
      for (int k = 0; k < out.length; k++) {
        out[k] = (int) dims[k];
      }
      return relabel(ctx, out);
    }
  }

  /** Flatten: {@code [prod(d[0:axis]), prod(d[axis:])]}, {@code axis} in {@code [-rank, rank]}. */
  static final class Flatten implements OpFactory {
    @Override
    public String opType() {
      return "Flatten";
    }

    @Override
    public Kernel bind(BindContext ctx) throws ModelFormatException {
      ctx.requireInputs(1, 1);
      int[] in = ctx.inputShape(0);
      int r = in.length;
      long axis = ctx.attrInt("axis", 1);
      long a = axis < 0 ? axis + r : axis;
      if (a < 0 || a > r) {
        throw ctx.error("attribute 'axis' = " + axis + " is out of range for rank " + r + " (expected " + -r + ".." + r
            + ")");
      }
      int outer = 1;
      int inner = 1;
      for (int k = 0; k < r; k++) {
        if (k < a) {
          outer *= in[k];
        } else {
          inner *= in[k];
        }
      }
      return relabel(ctx, new int[] {outer, inner});
    }
  }

  /** Squeeze: removes the listed size-1 dims ({@code axes}), or every size-1 dim. */
  static final class Squeeze implements OpFactory {
    @Override
    public String opType() {
      return "Squeeze";
    }

    @Override
    public Kernel bind(BindContext ctx) throws ModelFormatException {
      ctx.requireInputs(1, 1);
      int[] in = ctx.inputShape(0);
      long[] axes = ctx.attrInts("axes", null);
      boolean[] drop;
      if (axes == null) {
        drop = new boolean[in.length];
        for (int k = 0; k < in.length; k++) {
          drop[k] = in[k] == 1;
        }
      } else {
        drop = axisSet(ctx, "axes", axes, in.length);
        for (int k = 0; k < in.length; k++) {
          if (drop[k] && in[k] != 1) {
            throw ctx.error("cannot squeeze axis " + k + " of " + Shape.of(in) + ": its size is " + in[k] + ", not 1");
          }
        }
      }
      int n = 0;
      for (boolean d : drop) {
        n += d ? 0 : 1;
      }
      int[] out = new int[n];
      for (int k = 0, o = 0; k < in.length; k++) {
        if (!drop[k]) {
          out[o++] = in[k];
        }
      }
      return relabel(ctx, out);
    }
  }

  /** Unsqueeze: inserts size-1 dims at {@code axes} (required), which index the output. */
  static final class Unsqueeze implements OpFactory {
    @Override
    public String opType() {
      return "Unsqueeze";
    }

    @Override
    public Kernel bind(BindContext ctx) throws ModelFormatException {
      ctx.requireInputs(1, 1);
      int[] in = ctx.inputShape(0);
      long[] axes = ctx.attrInts("axes", null);
      if (axes == null) {
        throw ctx.error("attribute 'axes' is required");
      }
      boolean[] ones = axisSet(ctx, "axes", axes, in.length + axes.length);
      int[] out = new int[ones.length];
      for (int k = 0, i = 0; k < out.length; k++) {
        out[k] = ones[k] ? 1 : in[i++];
      }
      return relabel(ctx, out);
    }
  }
}
