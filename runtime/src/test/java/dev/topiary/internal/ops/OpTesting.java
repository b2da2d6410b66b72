package dev.topiary.internal.ops;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.testing.TestSupport;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Test helpers for the data-movement ops: one-node graphs over any data type, typed value arrays
 * ({@code float[]}, {@code int[]}, {@code long[]}, {@code byte[]}), and the oracle pattern these tests
 * share: a naive per-element function gives, for every output element, the flat index of the input
 * element it copies (or -1 for a new element such as constant padding), and the expected output is
 * the input gathered by that map.
 */
final class OpTesting {
  private OpTesting() {}

  /** Every data type a graph input may have, one or more per storage class. */
  static final DataType[] ALL_TYPES = {
    DataType.FLOAT32, DataType.INT32, DataType.INT64, DataType.INT8, DataType.UINT8, DataType.BOOL
  };

  /** Sets a node's attributes. */
  interface Attrs {
    void apply(GraphBuilder.NodeBuilder node);
  }

  static final Attrs NONE = n -> {};

  /** Random values of type {@code t}: distinct-looking floats, full-range integers, 0/1 booleans. */
  static Object random(Random r, DataType t, int n) {
    switch (t) {
      case FLOAT32:
        return TestSupport.randomFloats(r, n, -100f, 100f);
      case INT32: {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
          a[i] = r.nextInt();
        }
        return a;
      }
      case INT64: {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
          a[i] = r.nextLong();
        }
        return a;
      }
      default: {
        byte[] a = new byte[n];
        for (int i = 0; i < n; i++) {
          a[i] = (byte) (t == DataType.BOOL ? r.nextInt(2) : r.nextInt(256));
        }
        return a;
      }
    }
  }

  /** The values 0, 1, 2, ... as type {@code t} (wrapping for byte types). */
  static Object iota(DataType t, int n) {
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return fromLongs(t, v);
  }

  /** {@code values} converted to the storage array of {@code t}. */
  static Object fromLongs(DataType t, long... values) {
    int n = values.length;
    switch (t) {
      case FLOAT32: {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
          a[i] = values[i];
        }
        return a;
      }
      case INT32: {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
          a[i] = (int) values[i];
        }
        return a;
      }
      case INT64:
        return values.clone();
      default: {
        byte[] a = new byte[n];
        for (int i = 0; i < n; i++) {
          a[i] = (byte) values[i];
        }
        return a;
      }
    }
  }

  static Tensor tensor(DataType t, Shape s, Object values) {
    switch (t) {
      case FLOAT32: return Tensor.ofFloats(s, (float[]) values);
      case INT32: return Tensor.ofInts(s, (int[]) values);
      case INT64: return Tensor.ofLongs(s, (long[]) values);
      default: return Tensor.ofBytes(t, s, (byte[]) values);
    }
  }

  static Object values(Tensor t) {
    switch (t.dataType()) {
      case FLOAT32: return t.toFloatArray();
      case INT32: return t.toIntArray();
      case INT64: return t.toLongArray();
      default: return t.toByteArray();
    }
  }

  static int length(Object values) {
    return java.lang.reflect.Array.getLength(values);
  }

  /**
   * {@code out[i] = src[map[i]]}, or {@code fill} converted to the element type where
   * {@code map[i] < 0}.
   */
  static Object gather(DataType t, Object src, int[] map, double fill) {
    Object out = fromLongs(t, new long[map.length]);
    for (int i = 0; i < map.length; i++) {
      if (map[i] >= 0) {
        System.arraycopy(src, map[i], out, i, 1);
      } else if (t == DataType.FLOAT32) {
        ((float[]) out)[i] = (float) fill;
      } else {
        System.arraycopy(fromLongs(t, (long) fill), 0, out, i, 1);
      }
    }
    return out;
  }

  /** Exact comparison for integers, {@link TestSupport#assertClose} with zero tolerance for floats. */
  static void assertValues(String what, DataType t, Shape shape, Object expected, Tensor actual) {
    assertEquals(what + ": type", t, actual.dataType());
    assertEquals(what + ": shape", shape, actual.shape());
    Object a = values(actual);
    switch (t) {
      case FLOAT32:
        TestSupport.assertClose(what, (float[]) expected, (float[]) a, 0, 0);
        return;
      case INT32:
        assertArrayEquals(what, (int[]) expected, (int[]) a);
        return;
      case INT64:
        assertArrayEquals(what, (long[]) expected, (long[]) a);
        return;
      default:
        assertArrayEquals(what, (byte[]) expected, (byte[]) a);
    }
  }

  /** Builds and runs a graph with one thread; {@code reference} selects the reference kernels. */
  static Tensor run(GraphBuilder g, Map<String, Tensor> inputs, String output, boolean reference) throws Exception {
    try (Model m = TestSupport.load(g.build(), reference);
        Session s = m.newSession(SessionOptions.builder().threads(1).build())) {
      return s.run(inputs).get(output);
    }
  }

  /**
   * Runs one node {@code op} over graph inputs {@code x0, x1, ...} and returns output {@code y}, of
   * type {@code outType} with an inferred shape.
   */
  static Tensor runNode(String op, DataType outType, Attrs attrs, boolean reference, Tensor... inputs)
      throws Exception {
    GraphBuilder g = new GraphBuilder();
    Map<String, Tensor> feed = new LinkedHashMap<>();
    int[] ids = new int[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      ids[i] = g.input("x" + i, inputs[i].dataType(), inputs[i].shape());
      feed.put("x" + i, inputs[i]);
    }
    GraphBuilder.NodeBuilder n = g.node(op, "n", ids);
    attrs.apply(n);
    g.output(n.output("y", outType, null));
    return run(g, feed, "y", reference);
  }

  /** Runs one node with both the fast and the reference kernels; both must give {@code expected}. */
  static void check(String what, String op, Attrs attrs, Shape outShape, Object expected, Tensor... inputs)
      throws Exception {
    DataType t = inputs[0].dataType();
    assertValues(what + " (fast)", t, outShape, expected, runNode(op, t, attrs, false, inputs));
    assertValues(what + " (reference)", t, outShape, expected, runNode(op, t, attrs, true, inputs));
  }

  /** Expects loading a one-node graph to fail; returns the message. */
  static String loadError(String op, Attrs attrs, Tensor... inputs) throws Exception {
    try {
      runNode(op, inputs[0].dataType(), attrs, false, inputs);
    } catch (ModelFormatException e) {
      return e.getMessage();
    }
    fail(op + " loaded, expected a ModelFormatException");
    return null;
  }

  /** A FLOAT32 tensor 0, 1, 2, ... of {@code dims}. */
  static Tensor iotaTensor(int... dims) {
    Shape s = Shape.of(dims);
    return tensor(DataType.FLOAT32, s, iota(DataType.FLOAT32, s.elementCount()));
  }

  /** A random shape of {@code rank} dims in {@code [lo, hi]}. */
  static int[] randomShape(Random r, int rank, int lo, int hi) {
    int[] s = new int[rank];
    for (int k = 0; k < rank; k++) {
      s[k] = lo + r.nextInt(hi - lo + 1);
    }
    return s;
  }

  /** Coordinates of flat index {@code i} in a row-major tensor of {@code dims}. */
  static int[] coords(int i, int[] dims) {
    int[] c = new int[dims.length];
    for (int k = dims.length - 1; k >= 0; k--) {
      c[k] = i % dims[k];
      i /= dims[k];
    }
    return c;
  }

  /** Flat index of coordinates {@code c} in a row-major tensor of {@code dims}. */
  static int flat(int[] c, int[] dims) {
    int i = 0;
    for (int k = 0; k < dims.length; k++) {
      i = i * dims[k] + c[k];
    }
    return i;
  }

  static int count(int[] dims) {
    return Shape.of(dims).elementCount();
  }

  static String str(int[] a) {
    return Arrays.toString(a);
  }
}
