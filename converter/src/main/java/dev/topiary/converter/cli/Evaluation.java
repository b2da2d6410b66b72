package dev.topiary.converter.cli;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Tensor;
import dev.topiary.TensorInfo;
import dev.topiary.converter.quantize.BatchRunner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Classification accuracy of a model over a data set: the samples walked in batches of the
 * model's batch size ({@link BatchRunner}), the first output read as {@code [B, K]} class scores,
 * top-1 and top-K accuracy overall and top-1 per class. Used by {@code eval} and
 * {@code convert --eval}.
 */
final class Evaluation {
  final int classes;
  final int images;
  final int correct;
  final int correctTopK;
  final int topK;
  final int[] classImages;
  final int[] classCorrect;
  final List<String> labels;
  final int batch;
  final long nanos;

  private Evaluation(int classes, int images, int correct, int correctTopK, int topK, int[] classImages,
      int[] classCorrect, List<String> labels, int batch, long nanos) {
    this.classes = classes;
    this.images = images;
    this.correct = correct;
    this.correctTopK = correctTopK;
    this.topK = topK;
    this.classImages = classImages;
    this.classCorrect = classCorrect;
    this.labels = labels;
    this.batch = batch;
    this.nanos = nanos;
  }

  /** Class count of {@code model}'s first output per sample, or the reason it has none. */
  static int classes(Model model) throws CliException {
    TensorInfo out = model.outputs().get(0);
    int[] d = out.shape().dims();
    int batch = model.inputs().get(0).shape().dims().length == 0 ? 1 : model.inputs().get(0).shape().dims()[0];
    if (out.dataType() != DataType.FLOAT32 || d.length < 1 || d[0] != batch || out.shape().elementCount() / batch < 2) {
      throw new CliException("output '" + out.name() + "' " + out.shape() + " " + out.dataType()
          + " is not a FLOAT32 [" + batch + ", classes] score tensor; eval needs a classifier");
    }
    return out.shape().elementCount() / batch;
  }

  /**
   * Reads labels: a 1-D (or {@code [N, 1]}) integer array of {@code samples} values in
   * {@code [0, classes)}.
   *
   * @throws CliException naming {@code option file} and what is wrong
   */
  static long[] labels(Tensor t, String what, int samples, String samplesWhat, int classes) throws CliException {
    int[] d = t.shape().dims();
    boolean integer = t.dataType() == DataType.INT64 || t.dataType() == DataType.INT32
        || t.dataType() == DataType.UINT8 || t.dataType() == DataType.INT8;
    if (!integer || !(d.length == 1 || (d.length == 2 && d[1] == 1))) {
      throw new CliException(what + ": expected a 1-D integer array of class indices, got " + t.shape() + " "
          + t.dataType());
    }
    long[] l;
    if (t.dataType() == DataType.INT64) {
      l = t.toLongArray();
    } else if (t.dataType() == DataType.INT32) {
      int[] v = t.toIntArray();
      l = new long[v.length];
      for (int i = 0; i < v.length; i++) {
        l[i] = v[i];
      }
    } else {
      byte[] v = t.toByteArray();
      l = new long[v.length];
      for (int i = 0; i < v.length; i++) {
        l[i] = t.dataType() == DataType.UINT8 ? v[i] & 0xFF : v[i];
      }
    }
    if (l.length != samples) {
      throw new CliException(what + ": " + Fmt.count(l.length, "label") + " but " + samplesWhat + " has "
          + Fmt.count(samples, "sample"));
    }
    for (int i = 0; i < l.length; i++) {
      if (l[i] < 0 || l[i] >= classes) {
        throw new CliException(what + ": label " + l[i] + " at index " + i + " is outside the model's " + classes
            + " classes (0.." + (classes - 1) + ")");
      }
    }
    return l;
  }

  /** Evaluates {@code model}; {@code x} and {@code labels} must have been checked. */
  static Evaluation run(Model model, Tensor x, long[] labels, int topK, int threads, Progress progress) {
    int k = (int) Math.min(Integer.MAX_VALUE, classesUnchecked(model));
    int[] classImages = new int[k];
    int[] classCorrect = new int[k];
    int[] counts = new int[2];
    String out = model.outputs().get(0).name();
    long t0 = System.nanoTime();
    BatchRunner.run(model, x, threads, (first, valid, outputs) -> {
      float[] y = outputs.get(out).toFloatArray();
      for (int b = 0; b < valid; b++) {
        int label = (int) labels[first + b];
        float target = y[b * k + label];
        int better = 0;
        int best = 0;
        for (int c = 0; c < k; c++) {
          float v = y[b * k + c];
          // Ties rank by index, as argmax does: an earlier equal score counts as better.
          if (v > target || (v == target && c < label)) {
            better++;
          }
          if (v > y[b * k + best]) {
            best = c;
          }
        }
        classImages[label]++;
        if (best == label) {
          classCorrect[label]++;
          counts[0]++;
        }
        if (better < topK) {
          counts[1]++;
        }
      }
      if (progress != null) {
        progress.update("evaluating, sample", first + valid);
      }
    });
    long nanos = System.nanoTime() - t0;
    List<String> names = model.metadata().labels().size() == k ? model.metadata().labels() : null;
    return new Evaluation(k, labels.length, counts[0], counts[1], topK, classImages, classCorrect, names,
        model.inputs().get(0).shape().dims()[0], nanos);
  }

  private static int classesUnchecked(Model model) {
    int batch = model.inputs().get(0).shape().dims()[0];
    return model.outputs().get(0).shape().elementCount() / batch;
  }

  double accuracy() {
    return images == 0 ? 0 : (double) correct / images;
  }

  Double classAccuracy(int c) {
    return classImages[c] == 0 ? null : (double) classCorrect[c] / classImages[c];
  }

  String label(int c) {
    return labels == null ? null : labels.get(c);
  }

  /** The per-class list of the JSON reports: index, label, images, correct, accuracy. */
  List<Object> perClass() {
    List<Object> l = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("index", c);
      m.put("label", label(c));
      m.put("images", classImages[c]);
      m.put("correct", classCorrect[c]);
      m.put("accuracy", classAccuracy(c));
      l.add(m);
    }
    return l;
  }
}
