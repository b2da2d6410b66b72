package dev.topiary.internal.ops;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

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

/** Runs one-node graphs of the linear ops with reference or fast kernels and compares them. */
final class LinearTestHelper {
  static final String[] ACTIVATIONS = {"NONE", "RELU", "RELU6", "CLIP", "HARD_SWISH"};

  private LinearTestHelper() {}

  /** Named inputs, built in order: {@code inputs("x", tensorX, "b", tensorB)}. */
  static Map<String, Tensor> inputs(Object... nameTensor) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (int i = 0; i < nameTensor.length; i += 2) {
      m.put((String) nameTensor[i], (Tensor) nameTensor[i + 1]);
    }
    return m;
  }

  /** Runs output "y" of {@code artifact} with reference or fast kernels on {@code threads} threads. */
  static float[] run(byte[] artifact, boolean reference, int threads, Map<String, Tensor> in) throws Exception {
    try (Model m = TestSupport.load(artifact, reference);
        Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
      dev.topiary.internal.ModelAccess.get().minParallelWork(s, 0); // split even small shapes across the threads
      return s.run(in).get("y").toFloatArray();
    }
  }

  /** Shape of output "y". */
  static Shape outputShape(byte[] artifact) throws Exception {
    try (Model m = TestSupport.load(artifact)) {
      return m.outputs().get(0).shape();
    }
  }

  /**
   * Runs the fast kernels with 1, 2 and 3 threads, compares each to the reference within a
   * tolerance scaled by the depth of the sums, and checks that every thread count gives the same
   * bits.
   */
  static void assertFastMatchesReference(String what, byte[] artifact, Map<String, Tensor> in, int depth)
      throws Exception {
    float[] ref = run(artifact, true, 1, in);
    float[] one = null;
    for (int threads = 1; threads <= 3; threads++) {
      float[] fast = run(artifact, false, threads, in);
      TestSupport.assertClose(what + ", " + threads + " thread(s)", ref, fast, 1e-4, 1e-5 * Math.max(1, depth));
      if (one == null) {
        one = fast;
      } else {
        assertBitIdentical(what + ": 1 vs " + threads + " threads", one, fast);
      }
    }
  }

  static void assertBitIdentical(String what, float[] expected, float[] actual) {
    assertEquals(what + ": length", expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected the bits of " + expected[i]);
      }
    }
  }

  /** Equal as float values (so -0 equals +0; NaN equals NaN). */
  static void assertSameValues(String what, float[] expected, float[] actual) {
    TestSupport.assertClose(what, expected, actual, 0, 0);
  }

  /** Adds the activation attributes for {@code name} (CLIP gets bounds [-0.5, 0.75]). */
  static GraphBuilder.NodeBuilder activation(GraphBuilder.NodeBuilder node, String name) {
    node.attr("activation", name);
    if (name.equals("CLIP")) {
      node.attr("activation_min", -0.5f).attr("activation_max", 0.75f);
    }
    return node;
  }

  /** Expects building the graph to fail with a message containing every fragment. */
  static void assertBuildFails(GraphBuilder g, String... fragments) {
    try {
      g.build();
      fail("expected ModelFormatException containing " + Arrays.toString(fragments));
    } catch (ModelFormatException e) {
      for (String f : fragments) {
        assertTrue("message '" + e.getMessage() + "' lacks '" + f + "'", e.getMessage().contains(f));
      }
    }
  }

  static float[] random(Random r, int n) {
    return TestSupport.randomFloats(r, n, -1f, 1f);
  }
}
