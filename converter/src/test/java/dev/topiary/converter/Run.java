package dev.topiary.converter;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.ops.OpRegistry;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/** Test helper: convert a model, load the artifact in the runtime, run it. */
public final class Run {
  private Run() {}

  /** True when the runtime on the classpath registers every op in {@code types}. */
  public static boolean runtimeHas(String... types) {
    for (String t : types) {
      if (OpRegistry.builtin().get(t) == null) {
        return false;
      }
    }
    return true;
  }

  /** True when the runtime can run every op type the artifact of {@code r} uses. */
  public static boolean runnable(ConversionResult r) {
    return runtimeHas(r.summary().opsAfter().keySet().toArray(new String[0]));
  }

  /** Runs the artifact with one FLOAT input and returns the named output's floats. */
  public static float[] run(byte[] artifact, String input, int[] shape, float[] x, String output) throws Exception {
    Map<String, Tensor> in = new HashMap<>();
    in.put(input, Tensor.ofFloats(Shape.of(shape), x));
    return runAll(artifact, in).get(output).toFloatArray();
  }

  public static Map<String, Tensor> runAll(byte[] artifact, Map<String, Tensor> inputs) throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(artifact)); Session s = m.newSession()) {
      return s.run(inputs);
    }
  }
}
