package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.OpTesting.assertValues;
import static dev.topiary.internal.ops.OpTesting.coords;
import static dev.topiary.internal.ops.OpTesting.count;
import static dev.topiary.internal.ops.OpTesting.flat;
import static dev.topiary.internal.ops.OpTesting.loadError;
import static dev.topiary.internal.ops.OpTesting.tensor;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.testing.TestSupport;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/** Gather (NumPy take) with constant and computed, INT32 and INT64, negative and invalid indices. */
public class GatherOpTest {
  /** Input index of every output element: out[a.., i.., b..] = data[a.., idx[i..], b..]. */
  static int[] oracle(int[] data, int axis, int[] idxShape, long[] idx) {
    int r = data.length;
    int q = idxShape.length;
    int[] out = outShape(data, axis, idxShape);
    int[] map = new int[count(out)];
    for (int o = 0; o < map.length; o++) {
      int[] c = coords(o, out);
      int[] ic = new int[q];
      System.arraycopy(c, axis, ic, 0, q);
      long v = idx[flat(ic, idxShape)];
      int[] dc = new int[r];
      System.arraycopy(c, 0, dc, 0, axis);
      dc[axis] = (int) (v < 0 ? v + data[axis] : v);
      System.arraycopy(c, axis + q, dc, axis + 1, r - axis - 1);
      map[o] = flat(dc, data);
    }
    return map;
  }

  static int[] outShape(int[] data, int axis, int[] idxShape) {
    int[] out = new int[data.length - 1 + idxShape.length];
    System.arraycopy(data, 0, out, 0, axis);
    System.arraycopy(idxShape, 0, out, axis, idxShape.length);
    System.arraycopy(data, axis + 1, out, axis + idxShape.length, data.length - axis - 1);
    return out;
  }

  /**
   * A graph {@code y = Gather(x, indices)}: indices are a constant of {@code indexType} when
   * {@code constant}, else graph input {@code i}.
   */
  private static GraphBuilder graph(DataType type, int[] data, int axis, DataType indexType, int[] idxShape,
      long[] idx, boolean constant) {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", type, Shape.of(data));
    int i;
    if (constant) {
      i = indexType == DataType.INT64 ? g.constantLongs("i", Shape.of(idxShape), idx)
          : g.constantInts("i", Shape.of(idxShape), (int[]) OpTesting.fromLongs(DataType.INT32, idx));
    } else {
      i = g.input("i", indexType, Shape.of(idxShape));
    }
    g.output(g.node("Gather", "g", x, i).attr("axis", (long) axis).output("y", type, null));
    return g;
  }

  private static Tensor run(GraphBuilder g, Tensor x, Tensor indices, boolean reference) throws Exception {
    Map<String, Tensor> feed = new LinkedHashMap<>();
    feed.put("x", x);
    if (indices != null) {
      feed.put("i", indices);
    }
    return OpTesting.run(g, feed, "y", reference);
  }

  private static void checkGather(String what, DataType t, Random r, int[] data, int axis, DataType indexType,
      int[] idxShape, long[] idx, boolean constant) throws Exception {
    Object x = OpTesting.random(r, t, count(data));
    Object expected = OpTesting.gather(t, x, oracle(data, axis, idxShape, idx), 0);
    Tensor indices = constant ? null : tensor(indexType, Shape.of(idxShape), OpTesting.fromLongs(indexType, idx));
    GraphBuilder g = graph(t, data, axis, indexType, idxShape, idx, constant);
    Shape out = Shape.of(outShape(data, axis, idxShape));
    Tensor xt = tensor(t, Shape.of(data), x);
    assertValues(what + " (fast)", t, out, expected, run(g, xt, indices, false));
    assertValues(what + " (reference)", t, out, expected, run(g, xt, indices, true));
  }

  @Test
  public void onnxDocumentationExamples() throws Exception {
    GraphBuilder g = graph(DataType.FLOAT32, new int[] {3, 2}, 0, DataType.INT64, new int[] {2, 2},
        new long[] {0, 1, 1, 2}, true);
    Tensor y = run(g, Tensor.ofFloats(Shape.of(3, 2), 1, 2, 3, 4, 5, 6), null, false);
    assertEquals(Shape.of(2, 2, 2), y.shape());
    assertArrayEquals(new float[] {1, 2, 3, 4, 3, 4, 5, 6}, y.toFloatArray(), 0f);

    GraphBuilder g1 = graph(DataType.INT32, new int[] {3, 3}, 1, DataType.INT32, new int[] {1, 2},
        new long[] {0, 2}, true);
    Tensor y1 = run(g1, Tensor.ofInts(Shape.of(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9), null, false);
    assertEquals(Shape.of(3, 1, 2), y1.shape());
    assertArrayEquals(new int[] {1, 3, 4, 6, 7, 9}, y1.toIntArray());
  }

  @Test
  public void negativeScalarAndEmptyIndices() throws Exception {
    Tensor x = Tensor.ofInts(Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
    GraphBuilder neg = graph(DataType.INT32, new int[] {2, 3}, 1, DataType.INT64, new int[] {2}, new long[] {-1, -3}, true);
    assertArrayEquals(new int[] {3, 1, 6, 4}, run(neg, x, null, false).toIntArray());
    GraphBuilder scalar = graph(DataType.INT32, new int[] {2, 3}, 0, DataType.INT64, new int[0], new long[] {-1}, false);
    Tensor y = run(scalar, x, Tensor.ofLongs(Shape.scalar(), -1L), false);
    assertEquals(Shape.of(3), y.shape());
    assertArrayEquals(new int[] {4, 5, 6}, y.toIntArray());
    GraphBuilder empty = graph(DataType.INT32, new int[] {2, 3}, 1, DataType.INT32, new int[] {2, 0}, new long[0], true);
    assertEquals(Shape.of(2, 2, 0), run(empty, x, null, false).shape());
  }

  @Test
  public void randomShapesEveryTypeConstantAndComputedIndices() throws Exception {
    Random r = new Random(9);
    for (int trial = 0; trial < 96; trial++) {
      DataType t = OpTesting.ALL_TYPES[trial % OpTesting.ALL_TYPES.length];
      boolean constant = (trial / 6) % 2 == 0;
      DataType indexType = (trial / 12) % 2 == 0 ? DataType.INT64 : DataType.INT32;
      int rank = 1 + r.nextInt(5);
      int[] data = OpTesting.randomShape(r, rank, 1, rank <= 2 ? 8 : 4);
      int axis = r.nextInt(rank);
      if (trial % 13 == 4) {
        data[(axis + 1) % rank] = rank == 1 ? data[0] : 0;
      }
      int[] idxShape = OpTesting.randomShape(r, r.nextInt(3), 0, 3);
      long[] idx = new long[count(idxShape)];
      for (int k = 0; k < idx.length; k++) {
        idx[k] = r.nextInt(2 * data[axis]) - data[axis];
      }
      checkGather("Gather " + t + " data " + Shape.of(data) + " axis " + axis + " " + indexType + " "
              + Shape.of(idxShape) + (constant ? " constant" : " computed"),
          t, r, data, axis, indexType, idxShape, idx, constant);
    }
  }

  @Test
  public void computedIndexOutOfRangeFailsTheRunNamingNodeAndIndex() throws Exception {
    GraphBuilder g = graph(DataType.FLOAT32, new int[] {3, 2}, 0, DataType.INT64, new int[] {3}, null, false);
    try (Model m = TestSupport.load(g.build()); Session s = m.newSession()) {
      Tensor x = Tensor.ofFloats(Shape.of(3, 2), 1, 2, 3, 4, 5, 6);
      for (long bad : new long[] {3, -4, Long.MAX_VALUE, Long.MIN_VALUE}) {
        Map<String, Tensor> feed = new LinkedHashMap<>();
        feed.put("x", x);
        feed.put("i", Tensor.ofLongs(Shape.of(3), 0, bad, 1));
        try {
          s.run(feed);
          fail("index " + bad + " ran");
        } catch (IndexOutOfBoundsException e) {
          assertEquals("node 'g' (Gather): indices[1] = " + bad + " is out of range for axis 0 of size 3",
              e.getMessage());
        }
      }
      // The session stays usable.
      Map<String, Tensor> feed = new LinkedHashMap<>();
      feed.put("x", x);
      feed.put("i", Tensor.ofLongs(Shape.of(3), 2, -3, -1));
      assertArrayEquals(new float[] {5, 6, 1, 2, 5, 6}, s.run(feed).get("y").toFloatArray(), 0f);
    }
    GraphBuilder g32 = graph(DataType.INT8, new int[] {2, 4}, 1, DataType.INT32, new int[] {1}, null, false);
    try {
      run(g32, Tensor.ofBytes(DataType.INT8, Shape.of(2, 4), new byte[8]), Tensor.ofInts(Shape.of(1), 4), false);
      fail("index 4 ran");
    } catch (IndexOutOfBoundsException e) {
      assertEquals("node 'g' (Gather): indices[0] = 4 is out of range for axis 1 of size 4", e.getMessage());
    }
  }

  @Test
  public void loadErrors() throws Exception {
    try {
      graph(DataType.FLOAT32, new int[] {3, 2}, 0, DataType.INT64, new int[] {2}, new long[] {1, 3}, true).build();
      fail("loaded");
    } catch (dev.topiary.ModelFormatException e) {
      assertEquals("node 'g' (Gather): indices[1] = 3 is out of range for axis 0 of size 3 in data [3,2]",
          e.getMessage());
    }
    try {
      graph(DataType.FLOAT32, new int[] {3, 2}, 1, DataType.INT32, new int[] {1}, new long[] {-3}, true).build();
      fail("loaded");
    } catch (dev.topiary.ModelFormatException e) {
      assertEquals("node 'g' (Gather): indices[0] = -3 is out of range for axis 1 of size 2 in data [3,2]",
          e.getMessage());
    }
    Tensor x = OpTesting.iotaTensor(3, 2);
    assertEquals("node 'n' (Gather): input 1 'x1' (indices) must be INT32 or INT64, got FLOAT32",
        loadError("Gather", OpTesting.NONE, x, OpTesting.iotaTensor(2)));
    Tensor i = Tensor.ofLongs(Shape.of(1), 0L);
    assertEquals("node 'n' (Gather): attribute 'axis' = 2 is out of range for rank 2",
        loadError("Gather", n -> n.attr("axis", 2L), x, i));
    assertEquals("node 'n' (Gather): input 0 'x0' (data) is a scalar; Gather needs rank >= 1",
        loadError("Gather", OpTesting.NONE, OpTesting.iotaTensor(), i));
  }

  @Test
  public void shapeArithmeticChainOnInt64() throws Exception {
    // The flatten pattern torch exports: Gather(shape, 0) → Unsqueeze → Concat with [-1] → Reshape.
    GraphBuilder g = new GraphBuilder();
    int s = g.input("s", DataType.INT64, Shape.of(4));
    int zero = g.constantLongs("zero", Shape.scalar(), new long[] {0});
    int minus = g.constantLongs("minus", Shape.of(1), new long[] {-1});
    int n = g.node("Gather", "take", s, zero).output("n", DataType.INT64, null);
    int n1 = g.node("Unsqueeze", "unsq", n).attrInts("axes", 0).output("n1", DataType.INT64, null);
    int shape = g.node("Concat", "cat", n1, minus).attr("axis", 0L).output("shape", DataType.INT64, null);
    g.output(shape);
    Tensor out = OpTesting.run(g, Collections.singletonMap("s", Tensor.ofLongs(Shape.of(4), 8, 3, 5, 5)), "shape",
        false);
    assertEquals(Shape.of(2), out.shape());
    assertArrayEquals(new long[] {8, -1}, out.toLongArray());
  }
}
