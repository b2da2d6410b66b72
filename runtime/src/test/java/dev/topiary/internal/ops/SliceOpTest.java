package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.OpTesting.check;
import static dev.topiary.internal.ops.OpTesting.coords;
import static dev.topiary.internal.ops.OpTesting.count;
import static dev.topiary.internal.ops.OpTesting.flat;
import static dev.topiary.internal.ops.OpTesting.loadError;
import static dev.topiary.internal.ops.OpTesting.tensor;
import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Test;

/** Slice with clamping, negative indices and negative steps, against a naive oracle. */
public class SliceOpTest {
  /** The input indices one axis of size {@code d} keeps, by walking the ONNX definition. */
  static int[] selected(long d, long start, long end, long step) {
    long s = start < 0 ? start + d : start;
    long e = end < 0 ? end + d : end;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    List<Integer> out = new ArrayList<>();
    for (long i = s; step > 0 ? i < e : i > e; ) {
      out.add((int) i);
      long next = i + step;
      if (step > 0 ? next < i : next > i) {
        break; // overflowed: past any end
      }
      i = next;
    }
    int[] a = new int[out.size()];
    for (int k = 0; k < a.length; k++) {
      a[k] = out.get(k);
    }
    return a;
  }

  /** Input index of every output element; sets {@code outShape}. */
  static int[] oracle(int[] in, long[] starts, long[] ends, long[] axes, long[] steps, int[] outShape) {
    int r = in.length;
    int[][] keep = new int[r][];
    for (int k = 0; k < r; k++) {
      keep[k] = selected(in[k], 0, in[k], 1);
    }
    for (int j = 0; j < starts.length; j++) {
      int a = (int) (axes[j] < 0 ? axes[j] + r : axes[j]);
      keep[a] = selected(in[a], starts[j], ends[j], steps[j]);
    }
    for (int k = 0; k < r; k++) {
      outShape[k] = keep[k].length;
    }
    int[] map = new int[count(outShape)];
    for (int o = 0; o < map.length; o++) {
      int[] c = coords(o, outShape);
      for (int k = 0; k < r; k++) {
        c[k] = keep[k][c[k]];
      }
      map[o] = flat(c, in);
    }
    return map;
  }

  private static OpTesting.Attrs attrs(long[] starts, long[] ends, long[] axes, long[] steps) {
    return n -> {
      n.attrInts("starts", starts).attrInts("ends", ends);
      if (axes != null) {
        n.attrInts("axes", axes);
      }
      if (steps != null) {
        n.attrInts("steps", steps);
      }
    };
  }

  private static void checkSlice(DataType t, Random r, int[] in, long[] starts, long[] ends, long[] axes,
      long[] steps) throws Exception {
    long[] ax = axes;
    if (ax == null) {
      ax = new long[starts.length];
      for (int k = 0; k < ax.length; k++) {
        ax[k] = k;
      }
    }
    long[] st = steps;
    if (st == null) {
      st = new long[starts.length];
      java.util.Arrays.fill(st, 1);
    }
    int[] out = new int[in.length];
    Object x = OpTesting.random(r, t, count(in));
    int[] map = oracle(in, starts, ends, ax, st, out);
    check("Slice " + t + " " + Shape.of(in) + " starts " + ShapeOps.format(starts) + " ends " + ShapeOps.format(ends)
            + " axes " + ShapeOps.format(ax) + " steps " + ShapeOps.format(st), "Slice",
        attrs(starts, ends, axes, steps), Shape.of(out), OpTesting.gather(t, x, map, 0), tensor(t, Shape.of(in), x));
  }

  @Test
  public void onnxDocumentationExamples() throws Exception {
    Tensor x = tensor(DataType.INT32, Shape.of(2, 4), new int[] {1, 2, 3, 4, 5, 6, 7, 8});
    check("steps", "Slice", attrs(new long[] {1, 0}, new long[] {2, 3}, new long[] {0, 1}, new long[] {1, 2}),
        Shape.of(1, 2), new int[] {5, 7}, x);
    check("clamped end", "Slice", attrs(new long[] {0, 1}, new long[] {-1, 1000}, null, null), Shape.of(1, 3),
        new int[] {2, 3, 4}, x);
  }

  @Test
  public void negativeSteps() throws Exception {
    Tensor x = tensor(DataType.INT64, Shape.of(10), new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    long[] one = {-1};
    check("reverse all", "Slice", attrs(new long[] {-1}, new long[] {Long.MIN_VALUE}, null, one), Shape.of(10),
        new long[] {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, x);
    check("8:1:-3", "Slice", attrs(new long[] {8}, new long[] {1}, null, new long[] {-3}), Shape.of(3),
        new long[] {8, 5, 2}, x);
    check("20:-20:-2", "Slice", attrs(new long[] {20}, new long[] {-20}, null, new long[] {-2}), Shape.of(5),
        new long[] {9, 7, 5, 3, 1}, x);
    check("-1:-1:-1 is empty", "Slice", attrs(new long[] {-1}, new long[] {-1}, null, one), Shape.of(0), new long[0], x);
    check("huge negative step", "Slice", attrs(new long[] {5}, new long[] {Long.MIN_VALUE}, null,
        new long[] {Long.MIN_VALUE}), Shape.of(1), new long[] {5}, x);
    Tensor m = tensor(DataType.FLOAT32, Shape.of(2, 3), new float[] {0, 1, 2, 3, 4, 5});
    check("2-D reversed", "Slice", attrs(new long[] {-1, -1}, new long[] {Long.MIN_VALUE, Long.MIN_VALUE}, null,
        new long[] {-1, -1}), Shape.of(2, 3), new float[] {5, 4, 3, 2, 1, 0}, m);
  }

  @Test
  public void clampingAndEmptyRanges() throws Exception {
    Tensor x = tensor(DataType.UINT8, Shape.of(5), new byte[] {10, 11, 12, 13, 14});
    check("reversed range is empty", "Slice", attrs(new long[] {4}, new long[] {1}, null, null), Shape.of(0),
        new byte[0], x);
    check("to INT64_MAX", "Slice", attrs(new long[] {-2}, new long[] {Long.MAX_VALUE}, null, null), Shape.of(2),
        new byte[] {13, 14}, x);
    check("start below -d", "Slice", attrs(new long[] {-100}, new long[] {2}, null, null), Shape.of(2),
        new byte[] {10, 11}, x);
    check("huge step", "Slice", attrs(new long[] {1}, new long[] {5}, null, new long[] {Long.MAX_VALUE}), Shape.of(1),
        new byte[] {11}, x);
  }

  @Test
  public void randomShapesEveryType() throws Exception {
    Random r = new Random(3);
    for (int trial = 0; trial < 90; trial++) {
      DataType t = OpTesting.ALL_TYPES[trial % OpTesting.ALL_TYPES.length];
      int rank = 1 + r.nextInt(5);
      int[] in = OpTesting.randomShape(r, rank, 1, rank <= 2 ? 12 : 5);
      if (trial % 11 == 5) {
        in[r.nextInt(rank)] = 0;
      }
      int n = 1 + r.nextInt(rank);
      // A random subset of axes in random order, written positive or negative.
      List<Integer> pool = new ArrayList<>();
      for (int k = 0; k < rank; k++) {
        pool.add(k);
      }
      java.util.Collections.shuffle(pool, r);
      long[] axes = new long[n];
      long[] starts = new long[n];
      long[] ends = new long[n];
      long[] steps = new long[n];
      for (int j = 0; j < n; j++) {
        int a = pool.get(j);
        int d = in[a];
        axes[j] = r.nextBoolean() ? a : a - rank;
        steps[j] = (1 + r.nextInt(3)) * (r.nextInt(3) == 0 ? -1 : 1);
        starts[j] = r.nextInt(2 * d + 7) - d - 3;
        ends[j] = r.nextInt(8) == 0 ? (steps[j] > 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : r.nextInt(2 * d + 7) - d - 3;
      }
      boolean defaultAxes = r.nextInt(4) == 0;
      if (defaultAxes) {
        for (int j = 0; j < n; j++) {
          axes[j] = j;
        }
      }
      boolean defaultSteps = r.nextInt(4) == 0;
      if (defaultSteps) {
        java.util.Arrays.fill(steps, 1);
      }
      checkSlice(t, r, in, starts, ends, defaultAxes ? null : axes, defaultSteps ? null : steps);
    }
  }

  @Test
  public void errors() throws Exception {
    Tensor x = OpTesting.iotaTensor(2, 3);
    assertEquals("node 'n' (Slice): attribute 'ends' has 1 values, but 'starts' has 2",
        loadError("Slice", attrs(new long[] {0, 0}, new long[] {1}, null, null), x));
    assertEquals("node 'n' (Slice): attribute 'axes' has 1 values, but 'starts' has 2",
        loadError("Slice", attrs(new long[] {0, 0}, new long[] {1, 1}, new long[] {0}, null), x));
    assertEquals("node 'n' (Slice): attribute 'steps' has 3 values, but 'starts' has 2",
        loadError("Slice", attrs(new long[] {0, 0}, new long[] {1, 1}, null, new long[] {1, 1, 1}), x));
    assertEquals("node 'n' (Slice): attribute 'steps' = [1,0]: step 1 is 0",
        loadError("Slice", attrs(new long[] {0, 0}, new long[] {1, 1}, null, new long[] {1, 0}), x));
    assertEquals("node 'n' (Slice): attribute 'axes' = [1,-1] names axis 1 twice",
        loadError("Slice", attrs(new long[] {0, 0}, new long[] {1, 1}, new long[] {1, -1}, null), x));
    assertEquals("node 'n' (Slice): attribute 'axes' = [2]: 2 is out of range for rank 2",
        loadError("Slice", attrs(new long[] {0}, new long[] {1}, new long[] {2}, null), x));
    assertEquals("node 'n' (Slice): attribute 'starts' has 3 values, more than the input [2,3] has dims",
        loadError("Slice", attrs(new long[] {0, 0, 0}, new long[] {1, 1, 1}, null, null), x));
    assertEquals("node 'n' (Slice): attributes 'starts' and 'ends' are required",
        loadError("Slice", n -> n.attrInts("starts", 0), x));
  }
}
