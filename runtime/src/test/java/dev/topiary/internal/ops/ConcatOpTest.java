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
import dev.topiary.internal.build.GraphBuilder;
import java.util.Collections;
import java.util.Random;
import org.junit.Test;

/** Concat against a naive per-element oracle, every storage class. */
public class ConcatOpTest {
  /**
   * Expected output of concatenating {@code values} (shapes {@code shapes}) along {@code axis}: each
   * output element is looked up in the input whose slot along {@code axis} holds it.
   */
  static Object oracle(DataType t, int[][] shapes, Object[] values, int axis, int[] out) {
    int total = 0;
    int[] base = new int[shapes.length];
    for (int i = 0; i < shapes.length; i++) {
      base[i] = total;
      total += count(shapes[i]);
    }
    Object all = OpTesting.fromLongs(t, new long[total]);
    for (int i = 0; i < shapes.length; i++) {
      System.arraycopy(values[i], 0, all, base[i], count(shapes[i]));
    }
    int[] map = new int[count(out)];
    for (int o = 0; o < map.length; o++) {
      int[] c = coords(o, out);
      int i = 0;
      while (c[axis] >= shapes[i][axis]) {
        c[axis] -= shapes[i][axis];
        i++;
      }
      map[o] = base[i] + flat(c, shapes[i]);
    }
    return OpTesting.gather(t, all, map, 0);
  }

  @Test
  public void handComputed() throws Exception {
    Tensor a = tensor(DataType.INT32, Shape.of(2, 2), new int[] {1, 2, 3, 4});
    Tensor b = tensor(DataType.INT32, Shape.of(2, 1), new int[] {5, 6});
    check("axis 1", "Concat", n -> n.attr("axis", 1L), Shape.of(2, 3), new int[] {1, 2, 5, 3, 4, 6}, a, b);
    check("axis -1", "Concat", n -> n.attr("axis", -1L), Shape.of(2, 3), new int[] {1, 2, 5, 3, 4, 6}, a, b);
    Tensor c = tensor(DataType.INT32, Shape.of(1, 2), new int[] {7, 8});
    check("axis 0", "Concat", n -> n.attr("axis", 0L), Shape.of(3, 2), new int[] {1, 2, 3, 4, 7, 8}, a, c);
    check("single input", "Concat", n -> n.attr("axis", 0L), Shape.of(2, 2), new int[] {1, 2, 3, 4}, a);
  }

  @Test
  public void randomShapesEveryType() throws Exception {
    Random r = new Random(5);
    for (int trial = 0; trial < 60; trial++) {
      DataType t = OpTesting.ALL_TYPES[trial % OpTesting.ALL_TYPES.length];
      int rank = 1 + r.nextInt(5);
      int axis = r.nextInt(rank);
      int[] common = OpTesting.randomShape(r, rank, 1, 5);
      if (trial % 10 == 9) {
        common[(axis + 1) % rank] = rank == 1 ? common[0] : 0;
      }
      int n = 1 + r.nextInt(4);
      int[][] shapes = new int[n][];
      Object[] values = new Object[n];
      Tensor[] inputs = new Tensor[n];
      int[] out = common.clone();
      out[axis] = 0;
      for (int i = 0; i < n; i++) {
        shapes[i] = common.clone();
        shapes[i][axis] = r.nextInt(6) == 0 ? 0 : 1 + r.nextInt(4);
        out[axis] += shapes[i][axis];
        values[i] = OpTesting.random(r, t, count(shapes[i]));
        inputs[i] = tensor(t, Shape.of(shapes[i]), values[i]);
      }
      long attr = r.nextBoolean() ? axis : axis - rank;
      check("Concat " + t + " trial " + trial + " axis " + attr, "Concat", nb -> nb.attr("axis", attr),
          Shape.of(out), oracle(t, shapes, values, axis, out), inputs);
    }
  }

  @Test
  public void constantAndComputedInputsMix() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.INT64, Shape.of(1));
    int c = g.constantLongs("c", Shape.of(2), new long[] {-1, 7});
    int y = g.node("Concat", "cat", c, x, c).attr("axis", 0L).output("y", DataType.INT64, null);
    g.output(y);
    Tensor out = OpTesting.run(g, Collections.singletonMap("x", Tensor.ofLongs(Shape.of(1), 3L)), "y", false);
    org.junit.Assert.assertArrayEquals(new long[] {-1, 7, 3, -1, 7}, out.toLongArray());
  }

  @Test
  public void mismatchedInputs() throws Exception {
    Tensor a = OpTesting.iotaTensor(2, 3, 4);
    assertEquals("node 'n' (Concat): input 2 'x2' [2,5,4] differs from input 0 'x0' [2,3,4] in dimension 1"
            + " (only axis 2 may differ)",
        loadError("Concat", n -> n.attr("axis", 2L), a, OpTesting.iotaTensor(2, 3, 1), OpTesting.iotaTensor(2, 5, 4)));
    assertEquals("node 'n' (Concat): input 1 'x1' [2,3] has rank 2, but input 0 'x0' [2,3,4] has rank 3",
        loadError("Concat", n -> n.attr("axis", 0L), a, OpTesting.iotaTensor(2, 3)));
    Tensor ints = tensor(DataType.INT32, Shape.of(2, 3, 4), new int[24]);
    assertEquals("node 'n' (Concat): input 1 'x1' is INT32, but input 0 'x0' is FLOAT32",
        loadError("Concat", n -> n.attr("axis", 0L), a, ints));
    assertEquals("node 'n' (Concat): attribute 'axis' = 3 is out of range for rank 3",
        loadError("Concat", n -> n.attr("axis", 3L), a, a));
    assertEquals("node 'n' (Concat): attribute 'axis' = -4 is out of range for rank 3",
        loadError("Concat", n -> n.attr("axis", -4L), a, a));
    assertEquals("node 'n' (Concat): attribute 'axis' is required", loadError("Concat", OpTesting.NONE, a, a));
    assertEquals("node 'n' (Concat): input 0 'x0' is a scalar; Concat needs rank >= 1",
        loadError("Concat", n -> n.attr("axis", 0L), OpTesting.iotaTensor()));
  }
}
