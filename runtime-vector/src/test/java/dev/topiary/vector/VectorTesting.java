package dev.topiary.vector;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Tensor;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.plan.Plan;
import dev.topiary.internal.plan.Planner;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Loads one-node models three ways (reference, C2 kernels, vector kernels) and compares them. */
final class VectorTesting {
  enum Kernels { REFERENCE, C2, VECTOR }

  private VectorTesting() {}

  static Model load(byte[] artifact, Kernels kernels) throws Exception {
    Planner.Options o = new Planner.Options();
    o.referenceKernels = kernels == Kernels.REFERENCE;
    o.vectorKernels = kernels == Kernels.VECTOR;
    return ModelAccess.get().load(ByteBuffer.wrap(artifact), o);
  }

  /** Simple class names of the kernels the plan bound, in execution order. */
  static List<String> kernelNames(byte[] artifact, Kernels kernels) throws Exception {
    try (Model m = load(artifact, kernels)) {
      Plan plan = ModelAccess.get().plan(m);
      List<String> names = new ArrayList<>();
      for (Plan.Step s : plan.steps()) {
        names.add(s.kernel.getClass().getSimpleName());
      }
      return names;
    }
  }

  static float[] run(byte[] artifact, Kernels kernels, int threads, Map<String, Tensor> in) throws Exception {
    try (Model m = load(artifact, kernels);
        Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
      dev.topiary.internal.ModelAccess.get().minParallelWork(s, 0); // split even small shapes across the threads
      return s.run(in).get("y").toFloatArray();
    }
  }

  /** {@link #run} for an INT8 output {@code y}: its bytes. */
  static byte[] runBytes(byte[] artifact, Kernels kernels, int threads, Map<String, Tensor> in) throws Exception {
    try (Model m = load(artifact, kernels);
        Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
      dev.topiary.internal.ModelAccess.get().minParallelWork(s, 0);
      return s.run(in).get("y").toByteArray();
    }
  }

  /**
   * Runs the vector kernels on 1, 2 and 3 threads against the reference: every output within
   * {@code 1e-5·depth·maxA·maxB + 1e-5·|ref|} (fused multiply-adds round once per step where the
   * reference rounds twice; both errors grow with the depth of the sum and the size of its terms),
   * and the same bits for every thread count.
   */
  static void assertVectorMatchesReference(String what, byte[] artifact, Map<String, Tensor> in, int depth,
      float maxA, float maxB) throws Exception {
    float[] ref = run(artifact, Kernels.REFERENCE, 1, in);
    double atol = 1e-5 * Math.max(1, depth) * maxA * maxB;
    float[] first = null;
    for (int threads = 1; threads <= 3; threads++) {
      float[] v = run(artifact, Kernels.VECTOR, threads, in);
      assertEquals(what + ": length", ref.length, v.length);
      for (int i = 0; i < ref.length; i++) {
        double diff = Math.abs((double) ref[i] - v[i]);
        boolean bothNaN = Float.isNaN(ref[i]) && Float.isNaN(v[i]);
        if (!bothNaN && !(diff <= atol + 1e-5 * Math.abs(ref[i]))) {
          fail(what + ", " + threads + " thread(s): element " + i + " is " + v[i] + ", reference " + ref[i]
              + " (tolerance " + (atol + 1e-5 * Math.abs(ref[i])) + ")");
        }
      }
      if (first == null) {
        first = v;
      } else {
        for (int i = 0; i < v.length; i++) {
          if (Float.floatToRawIntBits(first[i]) != Float.floatToRawIntBits(v[i])) {
            fail(what + ": 1 vs " + threads + " threads differ at element " + i + ": " + first[i] + " vs " + v[i]);
          }
        }
      }
    }
  }

  /** Uniform in [-1, 1). */
  static float[] random(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextFloat() * 2f - 1f;
    }
    return v;
  }
}
