package dev.topiary.testing;

import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.plan.Plan;
import dev.topiary.internal.plan.Planner;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Random;

/** Shared helpers for tests across modules (published in the runtime's test-jar). */
public final class TestSupport {
  private TestSupport() {}

  /** Uniform floats in [lo, hi) from a seeded generator. */
  public static float[] randomFloats(Random r, int n, float lo, float hi) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = lo + (hi - lo) * r.nextFloat();
    }
    return a;
  }

  /** A FLOAT32 tensor of uniform values in [-1, 1). */
  public static Tensor randomTensor(Random r, Shape shape) {
    return Tensor.ofFloats(shape, randomFloats(r, shape.elementCount(), -1f, 1f));
  }

  /**
   * Fails unless |expected − actual| ≤ atol + rtol·|expected| everywhere (NaNs must match), naming
   * the first bad index and the worst error.
   */
  public static void assertClose(String what, float[] expected, float[] actual, double rtol, double atol) {
    if (expected.length != actual.length) {
      fail(what + ": length " + actual.length + ", expected " + expected.length);
    }
    int bad = -1;
    double worst = 0;
    int worstAt = -1;
    for (int i = 0; i < expected.length; i++) {
      double e = expected[i];
      double a = actual[i];
      if (Double.isNaN(e) || Double.isNaN(a)) {
        if (Double.isNaN(e) != Double.isNaN(a) && bad < 0) {
          bad = i;
        }
        continue;
      }
      if (Double.isInfinite(e) || Double.isInfinite(a)) {
        if (e != a && bad < 0) {
          bad = i;
        }
        continue;
      }
      double err = Math.abs(e - a);
      if (err > worst) {
        worst = err;
        worstAt = i;
      }
      if (err > atol + rtol * Math.abs(e) && bad < 0) {
        bad = i;
      }
    }
    if (bad >= 0) {
      fail(what + ": element " + bad + " is " + actual[bad] + ", expected " + expected[bad]
          + " (rtol " + rtol + ", atol " + atol + "; worst error " + worst + " at " + worstAt + ")");
    }
  }

  /** Loads an artifact from bytes. */
  public static Model load(byte[] artifact) throws Exception {
    return Model.load(ByteBuffer.wrap(artifact));
  }

  /** Builds, loads and runs a graph once with one thread; returns the named output. */
  public static Tensor runOnce(GraphBuilder g, Map<String, Tensor> inputs, String output) throws Exception {
    try (Model m = load(g.build());
        Session s = m.newSession(SessionOptions.builder().threads(1).build())) {
      return s.run(inputs).get(output);
    }
  }

  /**
   * Loads an artifact with reference kernels only (the oracle) or with the fast paths, for
   * differential tests that run the same graph both ways through ordinary sessions.
   */
  public static Model load(byte[] artifact, boolean referenceKernels) throws Exception {
    Planner.Options o = new Planner.Options();
    o.referenceKernels = referenceKernels;
    return ModelAccess.get().load(ByteBuffer.wrap(artifact), o);
  }

  /** The plan behind a loaded model. */
  public static Plan planOf(Model m) {
    return ModelAccess.get().plan(m);
  }

  /** A FLOAT32 scalar-free shape helper: {@code shape(1, 2, 3)}. */
  public static Shape shape(int... dims) {
    return Shape.of(dims);
  }

  /** Shorthand for {@link DataType#FLOAT32}. */
  public static final DataType F32 = DataType.FLOAT32;
}
