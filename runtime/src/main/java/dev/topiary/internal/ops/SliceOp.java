package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import java.util.Arrays;

/**
 * Slice with ONNX semantics, for any data type. {@code starts} and {@code ends} (required, equal
 * length {@code n <= rank}) apply to {@code axes} (default {@code 0..n-1}; negative axes count from
 * the end; no axis twice) with {@code steps} (default 1; never 0). For each sliced axis of size
 * {@code d}: a negative start or end has {@code d} added; then, for a positive step, start and end
 * are clamped to {@code [0, d]}; for a negative step, start to {@code [0, d-1]} and end to
 * {@code [-1, d-1]}. The axis keeps {@code start, start+step, …} while before {@code end}, so
 * {@code INT64_MAX}/{@code INT64_MIN} mean "to the end" and a reversed range is empty.
 *
 * <p>The kernel is one {@link StridedCopy} of the input viewed with strides scaled by the steps
 * (negative for negative steps) from the first selected element.
 */
final class SliceOp implements OpFactory {
  @Override
  public String opType() {
    return "Slice";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(1, 1);
    int[] in = ctx.inputShape(0);
    int r = in.length;
    long[] starts = ctx.attrInts("starts", null);
    long[] ends = ctx.attrInts("ends", null);
    if (starts == null || ends == null) {
      throw ctx.error("attributes 'starts' and 'ends' are required");
    }
    int n = starts.length;
    if (ends.length != n) {
      throw ctx.error("attribute 'ends' has " + ends.length + " values, but 'starts' has " + n);
    }
    if (n > r) {
      throw ctx.error("attribute 'starts' has " + n + " values, more than the input " + Shape.of(in) + " has dims");
    }
    long[] axes = ctx.attrInts("axes", null);
    if (axes == null) {
      axes = new long[n];
      for (int k = 0; k < n; k++) {
        axes[k] = k;
      }
    } else if (axes.length != n) {
      throw ctx.error("attribute 'axes' has " + axes.length + " values, but 'starts' has " + n);
    }
    ShapeOps.axisSet(ctx, "axes", axes, r);
    long[] steps = ctx.attrInts("steps", null);
    if (steps == null) {
      steps = new long[n];
      Arrays.fill(steps, 1);
    } else if (steps.length != n) {
      throw ctx.error("attribute 'steps' has " + steps.length + " values, but 'starts' has " + n);
    }
    int[] out = in.clone();
    int[] first = new int[r];
    long[] step = new long[r];
    Arrays.fill(step, 1);
    for (int k = 0; k < n; k++) {
      int a = (int) (axes[k] < 0 ? axes[k] + r : axes[k]);
      long t = steps[k];
      if (t == 0) {
        throw ctx.error("attribute 'steps' = " + ShapeOps.format(steps) + ": step " + k + " is 0");
      }
      long d = in[a];
      long s = starts[k] < 0 ? starts[k] + d : starts[k];
      long e = ends[k] < 0 ? ends[k] + d : ends[k];
      long count;
      if (d == 0) {
        count = 0;
      } else if (t > 0) {
        s = clamp(s, 0, d);
        e = clamp(e, 0, d);
        count = e > s ? (e - s - 1) / t + 1 : 0;
      } else {
        s = clamp(s, 0, d - 1);
        e = clamp(e, -1, d - 1);
        count = s > e ? (s - e - 1) / -t + 1 : 0;
      }
      out[a] = (int) count;
      first[a] = count > 0 ? (int) s : 0;
      // With fewer than two elements the step never multiplies a stride; keep it in int range.
      step[a] = count > 1 ? t : 1;
    }
    DataType type = ctx.inputType(0);
    Int8Checks.movesData(ctx);
    ctx.setOutput(0, type, out);
    Mover m = Mover.of(type);
    int[] inStrides = StridedCopy.contiguousStrides(in);
    int[] srcStrides = new int[r];
    int base = 0;
    for (int k = 0; k < r; k++) {
      srcStrides[k] = (int) (inStrides[k] * step[k]);
      base += first[k] * inStrides[k];
    }
    StridedCopy copy = StridedCopy.plan(m, out, srcStrides, StridedCopy.contiguousStrides(out), false);
    int x = ctx.inputId(0);
    int y = ctx.outputId(0);
    int srcBase = base;
    return f -> copy.run(m.array(f, x), f.off(x) + srcBase, m.array(f, y), f.off(y));
  }

  private static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(v, hi));
  }
}
