package dev.topiary.converter.cli;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;

/**
 * Writes a tree of {@link Map}s (string keys, in iteration order), {@link Collection}s, strings,
 * numbers, booleans and nulls as JSON.
 *
 * <p>Output is pure ASCII whatever the platform encoding: every character outside printable ASCII is
 * a {@code \}{@code uXXXX} escape. Non-finite floating-point numbers, which JSON cannot express, are
 * written as the strings {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"}. Floats are
 * written with {@link Float#toString}'s shortest round-trip digits, not widened to double.
 * Pretty output indents by two spaces and keeps arrays of scalars, and small objects holding only
 * scalars and such arrays, on one line.
 */
final class Json {
  /** Longest flat object written on one line by {@link #pretty}. */
  private static final int INLINE_LIMIT = 100;

  private final StringBuilder sb = new StringBuilder();
  private final boolean pretty;

  private Json(boolean pretty) {
    this.pretty = pretty;
  }

  /** {@code value} as indented JSON. */
  static String pretty(Object value) {
    Json j = new Json(true);
    j.write(value, 0);
    return j.sb.toString();
  }

  /** {@code value} as JSON on one line. */
  static String compact(Object value) {
    Json j = new Json(false);
    j.write(value, 0);
    return j.sb.toString();
  }

  private void write(Object v, int depth) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      quote(s, sb);
    } else if (v instanceof Boolean b) {
      sb.append(b.booleanValue());
    } else if (v instanceof Float f) {
      number(f.isNaN() || f.isInfinite() ? null : Float.toString(f), f.doubleValue());
    } else if (v instanceof Double d) {
      number(d.isNaN() || d.isInfinite() ? null : Double.toString(d), d);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
        || v instanceof BigInteger || v instanceof BigDecimal) {
      sb.append(v);
    } else if (v instanceof Map<?, ?> m) {
      object(m, depth);
    } else if (v instanceof Collection<?> c) {
      array(c, depth);
    } else if (v instanceof int[] a) {
      array(java.util.Arrays.stream(a).boxed().toList(), depth);
    } else if (v instanceof long[] a) {
      array(java.util.Arrays.stream(a).boxed().toList(), depth);
    } else {
      throw new IllegalArgumentException("no JSON form for " + v.getClass().getName());
    }
  }

  private void number(String finite, double d) {
    if (finite != null) {
      sb.append(finite);
    } else {
      quote(Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity", sb);
    }
  }

  private void object(Map<?, ?> m, int depth) {
    if (m.isEmpty()) {
      sb.append("{}");
      return;
    }
    if (pretty && isFlat(m)) {
      String line = inline(m);
      if (line.length() <= INLINE_LIMIT) {
        sb.append(line);
        return;
      }
    }
    sb.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> e : m.entrySet()) {
      sb.append(first ? "" : ",");
      first = false;
      newline(depth + 1);
      quote(String.valueOf(e.getKey()), sb);
      sb.append(pretty ? ": " : ":");
      write(e.getValue(), depth + 1);
    }
    newline(depth);
    sb.append('}');
  }

  private void array(Collection<?> c, int depth) {
    if (c.isEmpty()) {
      sb.append("[]");
      return;
    }
    boolean inline = true;
    for (Object o : c) {
      inline &= !(o instanceof Map || o instanceof Collection || o instanceof int[] || o instanceof long[]);
    }
    sb.append('[');
    boolean first = true;
    for (Object o : c) {
      sb.append(first ? "" : inline && pretty ? ", " : ",");
      first = false;
      if (!inline) {
        newline(depth + 1);
      }
      write(o, depth + 1);
    }
    if (!inline) {
      newline(depth);
    }
    sb.append(']');
  }

  /** Whether every value of {@code m} is a scalar or an array of scalars. */
  private static boolean isFlat(Map<?, ?> m) {
    for (Object v : m.values()) {
      if (v instanceof Map) {
        return false;
      }
      if (v instanceof Collection<?> c) {
        for (Object o : c) {
          if (o instanceof Map || o instanceof Collection || o instanceof int[] || o instanceof long[]) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /** A flat object on one line: {@code {"name": "x", "shape": [1, 4]}}. */
  private static String inline(Map<?, ?> m) {
    StringBuilder line = new StringBuilder("{");
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (line.length() > 1) {
        line.append(", ");
      }
      quote(String.valueOf(e.getKey()), line);
      Json value = new Json(true);
      value.write(e.getValue(), 0);
      line.append(": ").append(value.sb);
    }
    return line.append('}').toString();
  }

  private void newline(int depth) {
    if (pretty) {
      sb.append('\n').append("  ".repeat(depth));
    }
  }

  /** Appends {@code s} as a JSON string literal, escaping quotes, backslashes and all non-ASCII. */
  static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c >= 0x7F) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
