package dev.topiary.converter.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A JSON Schema (draft 2020-12) validator for the subset of keywords the CLI's schemas use:
 * {@code type}, {@code properties}, {@code required}, {@code additionalProperties} (boolean or
 * schema), {@code items}, {@code minItems}, {@code maxItems}, {@code enum}, {@code const},
 * {@code minimum}, {@code maximum}, {@code pattern}, {@code oneOf} and local {@code $ref}s
 * ({@code #/$defs/name}). Any other keyword, apart from the annotations {@code $schema}, {@code $id},
 * {@code $defs}, {@code title} and {@code description}, is an error, so the schema cannot drift out
 * of what is checked. Values are as {@link JsonReader} returns them (numbers are doubles).
 *
 * <p>Written for the tests rather than taking a validator library: the subset is 150 lines, and a
 * library would add a dependency tree (Jackson, ...) to check one file.
 */
final class SchemaValidator {
  private static final Set<String> KNOWN = Set.of("type", "properties", "required", "additionalProperties", "items",
      "minItems", "maxItems", "enum", "const", "minimum", "maximum", "pattern", "oneOf", "$ref", "$schema", "$id",
      "$defs", "title", "description");

  private final Map<String, Object> root;

  SchemaValidator(Map<String, Object> root) {
    this.root = root;
  }

  /** Every violation of {@code value} against the root schema, as {@code path: problem}; empty when valid. */
  List<String> validate(Object value) {
    List<String> errors = new ArrayList<>();
    check(root, value, "$", errors);
    return errors;
  }

  @SuppressWarnings("unchecked")
  private void check(Map<String, Object> s, Object v, String path, List<String> errors) {
    for (String k : s.keySet()) {
      if (!KNOWN.contains(k)) {
        errors.add(path + ": schema keyword '" + k + "' is not supported by this validator");
      }
    }
    if (s.containsKey("$ref")) {
      check(resolve((String) s.get("$ref")), v, path, errors);
    }
    if (s.containsKey("type")) {
      Object t = s.get("type");
      List<Object> types = t instanceof List ? (List<Object>) t : List.of(t);
      boolean ok = false;
      for (Object x : types) {
        ok |= hasType(v, (String) x);
      }
      if (!ok) {
        errors.add(path + ": expected " + types + ", got " + describe(v));
        return;
      }
    }
    if (s.containsKey("const") && !equal(s.get("const"), v)) {
      errors.add(path + ": expected " + s.get("const") + ", got " + describe(v));
    }
    if (s.containsKey("enum")) {
      boolean ok = false;
      for (Object x : (List<Object>) s.get("enum")) {
        ok |= equal(x, v);
      }
      if (!ok) {
        errors.add(path + ": " + describe(v) + " is not one of " + s.get("enum"));
      }
    }
    if (v instanceof Double d) {
      if (s.containsKey("minimum") && d < (Double) s.get("minimum")) {
        errors.add(path + ": " + d + " is below the minimum " + s.get("minimum"));
      }
      if (s.containsKey("maximum") && d > (Double) s.get("maximum")) {
        errors.add(path + ": " + d + " is above the maximum " + s.get("maximum"));
      }
    }
    if (v instanceof String str && s.containsKey("pattern") && !Pattern.compile((String) s.get("pattern")).matcher(str).find()) {
      errors.add(path + ": '" + str + "' does not match " + s.get("pattern"));
    }
    if (v instanceof List<?> l) {
      if (s.containsKey("minItems") && l.size() < (Double) s.get("minItems")) {
        errors.add(path + ": " + l.size() + " items, fewer than " + s.get("minItems"));
      }
      if (s.containsKey("maxItems") && l.size() > (Double) s.get("maxItems")) {
        errors.add(path + ": " + l.size() + " items, more than " + s.get("maxItems"));
      }
      if (s.containsKey("items")) {
        for (int i = 0; i < l.size(); i++) {
          check((Map<String, Object>) s.get("items"), l.get(i), path + "[" + i + "]", errors);
        }
      }
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> props = (Map<String, Object>) s.getOrDefault("properties", Map.of());
      for (Object r : (List<Object>) s.getOrDefault("required", List.of())) {
        if (!m.containsKey(r)) {
          errors.add(path + ": missing required field '" + r + "'");
        }
      }
      Object extra = s.get("additionalProperties");
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = (String) e.getKey();
        String p = path + "." + key;
        if (props.containsKey(key)) {
          check((Map<String, Object>) props.get(key), e.getValue(), p, errors);
        } else if (Boolean.FALSE.equals(extra)) {
          errors.add(p + ": field not in the schema");
        } else if (extra instanceof Map) {
          check((Map<String, Object>) extra, e.getValue(), p, errors);
        }
      }
    }
    if (s.containsKey("oneOf")) {
      int matches = 0;
      for (Object alt : (List<Object>) s.get("oneOf")) {
        List<String> sub = new ArrayList<>();
        check((Map<String, Object>) alt, v, path, sub);
        matches += sub.isEmpty() ? 1 : 0;
      }
      if (matches != 1) {
        errors.add(path + ": matches " + matches + " of the oneOf alternatives, expected exactly 1");
      }
    }
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> resolve(String ref) {
    if (!ref.startsWith("#/$defs/")) {
      throw new IllegalArgumentException("only local #/$defs/ references are supported: " + ref);
    }
    Map<String, Object> defs = (Map<String, Object>) root.get("$defs");
    Map<String, Object> s = defs == null ? null : (Map<String, Object>) defs.get(ref.substring("#/$defs/".length()));
    if (s == null) {
      throw new IllegalArgumentException("unresolved reference " + ref);
    }
    return s;
  }

  private static boolean hasType(Object v, String type) {
    return switch (type) {
      case "object" -> v instanceof Map;
      case "array" -> v instanceof List;
      case "string" -> v instanceof String;
      case "boolean" -> v instanceof Boolean;
      case "null" -> v == null;
      case "number" -> v instanceof Double;
      case "integer" -> v instanceof Double d && d == Math.rint(d) && !d.isInfinite();
      default -> throw new IllegalArgumentException("unknown type " + type);
    };
  }

  private static boolean equal(Object a, Object b) {
    return a == null ? b == null : a.equals(b);
  }

  private static String describe(Object v) {
    return v == null ? "null" : v instanceof String s ? "'" + s + "'" : v.getClass().getSimpleName() + " " + v;
  }
}
