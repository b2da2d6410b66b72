package dev.topiary.converter.ir;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Immutable op attributes by name. Values are {@code Long}, {@code Float}, {@code String},
 * {@code long[]}, {@code float[]} or {@link TensorValue}; arrays are copied in and out.
 */
public final class Attributes {
  public static final Attributes EMPTY = new Attributes(new TreeMap<>());

  private final Map<String, Object> values;

  private Attributes(Map<String, Object> values) {
    this.values = values;
  }

  public static Builder builder() {
    return new Builder(new TreeMap<>());
  }

  /** A builder starting from these attributes. */
  public Builder toBuilder() {
    return new Builder(new TreeMap<>(values));
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  public Set<String> names() {
    return Collections.unmodifiableSet(values.keySet());
  }

  /** The raw value (arrays not copied: do not modify). */
  public Object get(String name) {
    return values.get(name);
  }

  public long i(String name, long dflt) {
    Object v = values.get(name);
    return v == null ? dflt : ((Number) v).longValue();
  }

  public float f(String name, float dflt) {
    Object v = values.get(name);
    return v == null ? dflt : ((Number) v).floatValue();
  }

  public String s(String name, String dflt) {
    Object v = values.get(name);
    return v == null ? dflt : (String) v;
  }

  public long[] ints(String name) {
    Object v = values.get(name);
    return v == null ? null : ((long[]) v).clone();
  }

  public float[] floats(String name) {
    Object v = values.get(name);
    return v == null ? null : ((float[]) v).clone();
  }

  public TensorValue tensor(String name) {
    return (TensorValue) values.get(name);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Attributes)) {
      return false;
    }
    Map<String, Object> other = ((Attributes) o).values;
    if (!values.keySet().equals(other.keySet())) {
      return false;
    }
    for (Map.Entry<String, Object> e : values.entrySet()) {
      if (!Arrays.deepEquals(new Object[] {e.getValue()}, new Object[] {other.get(e.getKey())})) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 0;
    for (Map.Entry<String, Object> e : values.entrySet()) {
      h += e.getKey().hashCode() ^ Arrays.deepHashCode(new Object[] {e.getValue()});
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, Object> e : values.entrySet()) {
      sb.append(sb.length() == 1 ? "" : ", ").append(e.getKey()).append('=');
      Object v = e.getValue();
      if (v instanceof long[]) {
        sb.append(Arrays.toString((long[]) v));
      } else if (v instanceof float[]) {
        sb.append(Arrays.toString((float[]) v));
      } else {
        sb.append(v);
      }
    }
    return sb.append('}').toString();
  }

  /** Collects attributes. */
  public static final class Builder {
    private final TreeMap<String, Object> values;

    private Builder(TreeMap<String, Object> values) {
      this.values = values;
    }

    public Builder set(String name, long v) {
      values.put(name, v);
      return this;
    }

    public Builder set(String name, float v) {
      values.put(name, v);
      return this;
    }

    public Builder set(String name, String v) {
      values.put(name, v);
      return this;
    }

    public Builder set(String name, long[] v) {
      values.put(name, v.clone());
      return this;
    }

    public Builder set(String name, int[] v) {
      values.put(name, Shapes.toLongs(v));
      return this;
    }

    public Builder set(String name, float[] v) {
      values.put(name, v.clone());
      return this;
    }

    public Builder set(String name, TensorValue v) {
      values.put(name, v);
      return this;
    }

    public Builder remove(String name) {
      values.remove(name);
      return this;
    }

    public Attributes build() {
      return new Attributes(new TreeMap<>(values));
    }
  }
}
