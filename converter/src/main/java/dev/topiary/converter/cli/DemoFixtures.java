package dev.topiary.converter.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The few fields of the Fashion-MNIST {@code fixtures.json} the demo uses. Every field is optional;
 * one that is present must have the documented type.
 *
 * @param classNames {@code class_names}: label of each class index (empty when absent)
 * @param mean {@code normalization.mean}: a number or one per channel, or null
 * @param std {@code normalization.std}: as {@code mean}, present exactly when it is
 * @param referenceAccuracy {@code models.cnn.test_accuracy_subset}: PyTorch's accuracy on the test images, or null
 * @param reference who measured it: {@code "PyTorch <torch_version>"}
 */
record DemoFixtures(List<String> classNames, float[] mean, float[] std, Double referenceAccuracy, String reference) {
  /** Largest fixtures.json read. */
  static final long MAX_BYTES = 1 << 20;

  /**
   * Reads {@code file}.
   *
   * @throws JsonReader.JsonException if it is not JSON
   * @throws CliException if a field has the wrong type
   */
  static DemoFixtures read(Path file) throws IOException, CliException {
    Object root = JsonReader.read(file, MAX_BYTES);
    if (!(root instanceof Map<?, ?>)) {
      throw new CliException(file + ": expected a JSON object");
    }
    List<String> names = new ArrayList<>();
    Object cn = get(root, "class_names");
    if (cn != null) {
      if (!(cn instanceof List<?> l) || !l.stream().allMatch(x -> x instanceof String)) {
        throw new CliException(file + ": class_names should be an array of strings");
      }
      l.forEach(x -> names.add((String) x));
    }
    float[] mean = floats(file, "normalization.mean", get(root, "normalization", "mean"));
    float[] std = floats(file, "normalization.std", get(root, "normalization", "std"));
    if ((mean == null) != (std == null) || (mean != null && mean.length != std.length)) {
      throw new CliException(file + ": normalization.mean and normalization.std should both be given, with as many values");
    }
    if (std != null) {
      for (float s : std) {
        if (!(s > 0)) {
          throw new CliException(file + ": normalization.std should be positive, got " + s);
        }
      }
    }
    Object acc = get(root, "models", "cnn", "test_accuracy_subset");
    if (acc != null && (!(acc instanceof Double d) || d < 0 || d > 1)) {
      throw new CliException(file + ": models.cnn.test_accuracy_subset should be a number in [0, 1]");
    }
    Object torch = get(root, "torch_version");
    String reference = "PyTorch" + (torch instanceof String v ? " " + v : "");
    return new DemoFixtures(List.copyOf(names), mean, std, (Double) acc, reference);
  }

  /** The value at {@code path} of nested objects, or null when any step is missing or not an object. */
  private static Object get(Object root, String... path) {
    Object v = root;
    for (String key : path) {
      if (!(v instanceof Map<?, ?> m)) {
        return null;
      }
      v = m.get(key);
    }
    return v;
  }

  /** A number or an array of numbers as floats; null when absent. */
  private static float[] floats(Path file, String field, Object v) throws CliException {
    if (v == null) {
      return null;
    }
    if (v instanceof Double d) {
      return new float[] {d.floatValue()};
    }
    if (v instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(x -> x instanceof Double)) {
      float[] f = new float[l.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = ((Double) l.get(i)).floatValue();
      }
      return f;
    }
    throw new CliException(file + ": " + field + " should be a number or an array of numbers");
  }
}
