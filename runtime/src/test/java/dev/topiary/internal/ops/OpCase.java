package dev.topiary.internal.ops;

import static org.junit.Assert.assertTrue;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One node in a graph of its own, for op tests: inputs (fed or constant), attributes, then run it
 * with reference or fast kernels on any number of threads, or bind it and expect an error.
 */
final class OpCase {
  private final String op;
  private final List<Consumer<GraphBuilder>> tensors = new ArrayList<>();
  private final List<String> names = new ArrayList<>();
  private final Map<String, Tensor> feeds = new HashMap<>();
  private final List<Consumer<GraphBuilder.NodeBuilder>> attrs = new ArrayList<>();

  private OpCase(String op) {
    this.op = op;
  }

  static OpCase of(String op) {
    return new OpCase(op);
  }

  /** A fed FLOAT32 input. */
  OpCase input(int[] shape, float[] values) {
    String name = "in" + names.size();
    names.add(name);
    feeds.put(name, Tensor.ofFloats(Shape.of(shape), values));
    tensors.add(g -> g.input(name, DataType.FLOAT32, Shape.of(shape)));
    return this;
  }

  /** A fed input of any type (values zero), for type checks. */
  OpCase input(DataType type, int[] shape) {
    String name = "in" + names.size();
    names.add(name);
    tensors.add(g -> g.input(name, type, Shape.of(shape)));
    return this;
  }

  /** A FLOAT32 constant input. */
  OpCase constant(int[] shape, float[] values) {
    String name = "in" + names.size();
    names.add(name);
    tensors.add(g -> g.constant(name, Shape.of(shape), values));
    return this;
  }

  /** An omitted optional input. */
  OpCase omitted() {
    names.add(null);
    tensors.add(g -> { });
    return this;
  }

  OpCase attr(String name, long v) {
    attrs.add(n -> n.attr(name, v));
    return this;
  }

  OpCase attr(String name, float v) {
    attrs.add(n -> n.attr(name, v));
    return this;
  }

  OpCase attr(String name, String v) {
    attrs.add(n -> n.attr(name, v));
    return this;
  }

  OpCase attrInts(String name, int... v) {
    attrs.add(n -> n.attrInts(name, v));
    return this;
  }

  private GraphBuilder graph() {
    GraphBuilder g = new GraphBuilder();
    int[] ids = new int[names.size()];
    for (int i = 0; i < names.size(); i++) {
      int before = g.tensorCount();
      tensors.get(i).accept(g);
      ids[i] = names.get(i) == null ? -1 : before;
    }
    GraphBuilder.NodeBuilder n = g.node(op, "n", ids);
    for (Consumer<GraphBuilder.NodeBuilder> a : attrs) {
      a.accept(n);
    }
    g.output(n.output("y"));
    return g;
  }

  /** The artifact of the one-node graph. */
  byte[] artifact() throws Exception {
    return graph().build();
  }

  /** Runs with the fast kernels on one thread. */
  Tensor run() throws Exception {
    return run(false, 1);
  }

  Tensor run(boolean referenceKernels, int threads) throws Exception {
    try (Model m = TestSupport.load(graph().build(), referenceKernels);
        Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
      dev.topiary.internal.ModelAccess.get().minParallelWork(s, 0); // split even small shapes across the threads
      return s.run(feeds).get("y");
    }
  }

  float[] values() throws Exception {
    return run().toFloatArray();
  }

  float[] values(boolean referenceKernels, int threads) throws Exception {
    return run(referenceKernels, threads).toFloatArray();
  }

  /** Binding must fail; returns the message, which must name the node and op. */
  String error() {
    try {
      graph().build();
    } catch (ModelFormatException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("node 'n' (" + op + "): "));
      return e.getMessage().substring(("node 'n' (" + op + "): ").length());
    } catch (Exception e) {
      throw new AssertionError("expected ModelFormatException, got " + e, e);
    }
    fail("expected a bind error for " + op);
    return null;
  }

  /** Fast and reference kernels must agree exactly, with 1 and 2 threads. Returns the result. */
  float[] assertKernelsAgree() throws Exception {
    float[] ref = values(true, 1);
    float[] fast1 = values(false, 1);
    float[] fast2 = values(false, 2);
    org.junit.Assert.assertArrayEquals(op + ": fast vs reference", ref, fast1, 0f);
    org.junit.Assert.assertArrayEquals(op + ": 2 threads vs 1", fast1, fast2, 0f);
    return ref;
  }

  // ---- n-dimensional index helpers for oracles ----

  static int count(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  /** Row-major coordinates of flat index {@code i}. */
  static int[] unravel(int i, int[] shape) {
    int[] c = new int[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      c[d] = i % shape[d];
      i /= shape[d];
    }
    return c;
  }

  static int ravel(int[] c, int[] shape) {
    int i = 0;
    for (int d = 0; d < shape.length; d++) {
      i = i * shape[d] + c[d];
    }
    return i;
  }
}
