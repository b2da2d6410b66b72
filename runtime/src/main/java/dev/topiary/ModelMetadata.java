package dev.topiary;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an artifact says about itself: producer, class labels, the input normalization an
 * application should apply, and free-form key/value properties. Immutable.
 */
public final class ModelMetadata {
  private final String name;
  private final String description;
  private final String producer;
  private final String sourceSha256;
  private final List<String> labels;
  private final float[] normalizationMean;
  private final float[] normalizationStd;
  private final Map<String, String> properties;

  /** Creates metadata; collections are copied. Intended for the runtime's reader and for tools. */
  public ModelMetadata(
      String name,
      String description,
      String producer,
      String sourceSha256,
      List<String> labels,
      float[] normalizationMean,
      float[] normalizationStd,
      Map<String, String> properties) {
    this.name = name;
    this.description = description;
    this.producer = producer;
    this.sourceSha256 = sourceSha256;
    this.labels = Collections.unmodifiableList(new ArrayList<>(labels));
    this.normalizationMean = normalizationMean.clone();
    this.normalizationStd = normalizationStd.clone();
    this.properties = Collections.unmodifiableMap(new TreeMap<>(properties));
  }

  /** Model name ("" when unset). */
  public String name() {
    return name;
  }

  /** Description for people ("" when unset). */
  public String description() {
    return description;
  }

  /** Tool that wrote the artifact, e.g. {@code topiary-converter 0.1.0}. */
  public String producer() {
    return producer;
  }

  /** Lower-case hex SHA-256 of the model the artifact was converted from ("" when unknown). */
  public String sourceSha256() {
    return sourceSha256;
  }

  /** Class labels by class index (empty when the model has none). */
  public List<String> labels() {
    return labels;
  }

  /** Per-channel mean to subtract from inputs before feeding the model (empty when unset). */
  public float[] normalizationMean() {
    return normalizationMean.clone();
  }

  /** Per-channel standard deviation to divide inputs by after subtracting the mean (empty when unset). */
  public float[] normalizationStd() {
    return normalizationStd.clone();
  }

  /** Free-form properties, sorted by key. */
  public Map<String, String> properties() {
    return properties;
  }

  /** All fields as an ordered map of strings, for display. */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("description", description);
    m.put("producer", producer);
    m.put("source_sha256", sourceSha256);
    m.put("labels", labels.size() + (labels.isEmpty() ? "" : " " + preview(labels)));
    m.put("normalization_mean", java.util.Arrays.toString(normalizationMean));
    m.put("normalization_std", java.util.Arrays.toString(normalizationStd));
    for (Map.Entry<String, String> e : properties.entrySet()) {
      m.put("property." + e.getKey(), e.getValue());
    }
    return m;
  }

  private static String preview(List<String> l) {
    return l.size() <= 5 ? l.toString() : l.subList(0, 5).toString().replace("]", ", ...]");
  }
}
