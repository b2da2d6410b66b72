package dev.topiary.differential;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime (CPU, one intra-op and one inter-op thread) as a reference implementation for
 * differential tests: run an ONNX model on float inputs and get every output back.
 *
 * <pre>{@code
 * try (OrtOracle ort = OrtOracle.open(Files.readAllBytes(path))) {
 *   Map<String, OrtOracle.Output> out = ort.run(Map.of("x", new OrtOracle.Input(new int[] {1, 3}, values)));
 * }
 * }</pre>
 *
 * <p>Test scope only: ONNX Runtime is never a dependency of Topiary's modules. Not thread-safe.
 */
public final class OrtOracle implements AutoCloseable {
  /** A float input: shape and row-major values. */
  public record Input(int[] shape, float[] values) {
    public Input {
      long n = 1;
      for (int d : shape) {
        n *= d;
      }
      if (n != values.length) {
        throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got "
            + values.length);
      }
    }
  }

  /** A float output: shape and row-major values. */
  public record Output(int[] shape, float[] values) {}

  private final OrtEnvironment env;
  private final OrtSession session;
  private boolean closed;

  private OrtOracle(OrtEnvironment env, OrtSession session) {
    this.env = env;
    this.session = session;
  }

  /**
   * Loads a serialized ONNX model.
   *
   * @throws OrtException if ONNX Runtime cannot load it
   * @throws UnsatisfiedLinkError or another {@link LinkageError} if the native library cannot be loaded
   */
  public static OrtOracle open(byte[] onnx) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      return new OrtOracle(env, env.createSession(onnx, options));
    }
  }

  /** Input names in model order with their declared shapes; symbolic dimensions are −1. */
  public Map<String, int[]> inputShapes() throws OrtException {
    return shapes(session.getInputInfo());
  }

  /** Output names in model order with their declared shapes; symbolic dimensions are −1. */
  public Map<String, int[]> outputShapes() throws OrtException {
    return shapes(session.getOutputInfo());
  }

  /** Runs the model and returns every output by name, in model order. Outputs must be FLOAT. */
  public Map<String, Output> run(Map<String, Input> inputs) throws OrtException {
    if (closed) {
      throw new IllegalStateException("OrtOracle is closed");
    }
    List<OnnxTensor> tensors = new ArrayList<>();
    try {
      Map<String, OnnxTensor> feed = new LinkedHashMap<>();
      for (Map.Entry<String, Input> e : inputs.entrySet()) {
        long[] shape = Arrays.stream(e.getValue().shape()).asLongStream().toArray();
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue().values()), shape);
        tensors.add(t);
        feed.put(e.getKey(), t);
      }
      Map<String, Output> out = new LinkedHashMap<>();
      try (OrtSession.Result r = session.run(feed)) {
        for (Map.Entry<String, OnnxValue> e : r) {
          if (!(e.getValue() instanceof OnnxTensor t)) {
            throw new IllegalStateException("output '" + e.getKey() + "' is not a tensor: " + e.getValue().getInfo());
          }
          long[] shape = t.getInfo().getShape();
          FloatBuffer fb = t.getFloatBuffer();
          if (fb == null) {
            throw new IllegalStateException("output '" + e.getKey() + "' is " + t.getInfo().type + ", not FLOAT");
          }
          float[] values = new float[fb.remaining()];
          fb.get(values);
          out.put(e.getKey(), new Output(Arrays.stream(shape).mapToInt(Math::toIntExact).toArray(), values));
        }
      }
      return out;
    } finally {
      for (OnnxTensor t : tensors) {
        t.close();
      }
    }
  }

  @Override
  public void close() throws OrtException {
    if (!closed) {
      closed = true;
      session.close();
    }
  }

  private static Map<String, int[]> shapes(Map<String, NodeInfo> info) {
    Map<String, int[]> m = new LinkedHashMap<>();
    for (Map.Entry<String, NodeInfo> e : info.entrySet()) {
      if (e.getValue().getInfo() instanceof TensorInfo t) {
        m.put(e.getKey(), Arrays.stream(t.getShape()).mapToInt(d -> d < 0 ? -1 : Math.toIntExact(d)).toArray());
      }
    }
    return m;
  }
}
