package dev.topiary.converter.quantize;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.TensorInfo;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Walks a data set along its first dimension in batches of the model's batch size (the first
 * dimension of its single input), running the model once per batch. A last, partial batch is
 * padded with zeros; the consumer is told how many of the batch's samples are real.
 */
public final class BatchRunner {
  /** Receives the outputs of one batch. */
  public interface Consumer {
    /**
     * @param first index in the data set of the batch's first sample
     * @param valid how many samples of the batch are real (the rest is padding)
     * @param outputs every model output by name, batch first
     */
    void accept(int first, int valid, Map<String, Tensor> outputs);
  }

  /** Receives the outputs of one batch from two models run side by side. */
  public interface PairConsumer {
    void accept(int first, int valid, Map<String, Tensor> a, Map<String, Tensor> b);
  }

  private BatchRunner() {}

  /** Runs every batch of {@code data} through {@code a} and {@code b} (same input) in lockstep, one thread each. */
  public static void run(Model a, Model b, Tensor data, PairConsumer consumer) {
    String why = mismatch(a, data);
    if (why == null) {
      why = mismatch(b, data);
    }
    if (why != null) {
      throw new IllegalArgumentException(why);
    }
    TensorInfo in = a.inputs().get(0);
    int batch = in.shape().dims()[0];
    int n = data.shape().dims()[0];
    int per = data.shape().elementCount() / Math.max(n, 1);
    float[] all = data.toFloatArray();
    SessionOptions one = SessionOptions.builder().threads(1).build();
    try (Session sa = a.newSession(one); Session sb = b.newSession(one)) {
      for (int first = 0; first < n; first += batch) {
        int valid = Math.min(batch, n - first);
        float[] f = new float[batch * per];
        System.arraycopy(all, first * per, f, 0, valid * per);
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put(in.name(), Tensor.ofFloats(in.shape(), f));
        Map<String, Tensor> inputsB = new LinkedHashMap<>();
        inputsB.put(b.inputs().get(0).name(), Tensor.ofFloats(in.shape(), f));
        consumer.accept(first, valid, sa.run(inputs), sb.run(inputsB));
      }
    }
  }

  /**
   * The reason {@code data} cannot feed {@code model}, or null when it can: the model must have one
   * FLOAT32 input {@code [B, d1, ...]} and {@code data} must be FLOAT32 {@code [N, d1, ...]}.
   */
  public static String mismatch(Model model, Tensor data) {
    if (model.inputs().size() != 1) {
      return "the model has " + model.inputs().size() + " inputs; only single-input models can be walked in batches";
    }
    TensorInfo in = model.inputs().get(0);
    int[] want = in.shape().dims();
    int[] have = data.shape().dims();
    if (in.dataType() != DataType.FLOAT32 || data.dataType() != DataType.FLOAT32 || want.length == 0
        || have.length != want.length || !Arrays.equals(Arrays.copyOfRange(want, 1, want.length),
            Arrays.copyOfRange(have, 1, have.length))) {
      int[] sample = want.length == 0 ? want : Arrays.copyOfRange(want, 1, want.length);
      return "expected samples of " + Shape.of(sample) + " " + in.dataType() + " along the first dimension (input '"
          + in.name() + "' " + in.shape() + "), got " + data.shape() + " " + data.dataType();
    }
    return null;
  }

  /** Runs every batch of {@code data} through a new session with {@code threads} threads. */
  public static void run(Model model, Tensor data, int threads, Consumer consumer) {
    String why = mismatch(model, data);
    if (why != null) {
      throw new IllegalArgumentException(why);
    }
    TensorInfo in = model.inputs().get(0);
    int batch = in.shape().dims()[0];
    int n = data.shape().dims()[0];
    int per = data.shape().elementCount() / Math.max(n, 1);
    float[] all = data.toFloatArray();
    try (Session s = model.newSession(SessionOptions.builder().threads(threads).build())) {
      for (int first = 0; first < n; first += batch) {
        int valid = Math.min(batch, n - first);
        float[] f = new float[batch * per];
        System.arraycopy(all, first * per, f, 0, valid * per);
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put(in.name(), Tensor.ofFloats(in.shape(), f));
        consumer.accept(first, valid, s.run(inputs));
      }
    }
  }
}
