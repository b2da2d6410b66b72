package dev.topiary.converter.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON (RFC 8259) reader for the small files the CLI reads, such as the demo's
 * {@code fixtures.json}: exactly one value, UTF-8, no comments, no trailing commas, no duplicate
 * keys, at most {@value #MAX_DEPTH} levels of nesting. Objects become {@link LinkedHashMap}s in file
 * order, arrays {@link List}s, numbers {@link Double}s, and strings, booleans and null themselves.
 *
 * <pre>{@code
 * Object v = JsonReader.read(Path.of("fixtures.json"), 1 << 20);   // Map, List, String, Double, Boolean or null
 * }</pre>
 */
final class JsonReader {
  /** Deepest nesting of arrays and objects accepted. */
  static final int MAX_DEPTH = 64;

  /** Malformed JSON; the message gives line and column (both from 1). */
  static final class JsonException extends IOException {
    private static final long serialVersionUID = 1L;

    JsonException(String message) {
      super(message);
    }
  }

  private final String s;
  private int pos;
  private int depth;

  private JsonReader(String s) {
    this.s = s;
  }

  /**
   * Parses {@code text}, which must hold exactly one JSON value (surrounding whitespace allowed).
   *
   * @throws JsonException naming the line, column and problem
   */
  static Object parse(String text) throws JsonException {
    JsonReader r = new JsonReader(text);
    r.space();
    Object v = r.value();
    r.space();
    if (r.pos != text.length()) {
      throw r.error("unexpected '" + text.charAt(r.pos) + "' after the value");
    }
    return v;
  }

  /**
   * Reads and parses a UTF-8 file of at most {@code maxBytes} bytes.
   *
   * @throws JsonException if the file is too large, not UTF-8 or not JSON (message prefixed by the path)
   * @throws IOException if it cannot be read
   */
  static Object read(Path file, long maxBytes) throws IOException {
    long size = Files.size(file);
    if (size > maxBytes) {
      throw new JsonException(file + ": " + size + " bytes is more than the " + maxBytes + " bytes expected");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
    } catch (CharacterCodingException e) {
      throw new JsonException(file + ": not UTF-8 text");
    }
    try {
      return parse(text);
    } catch (JsonException e) {
      throw new JsonException(file + ": " + e.getMessage());
    }
  }

  private Object value() throws JsonException {
    char c = peek();
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error(pos >= s.length() ? "unexpected end of input" : "unexpected '" + c + "'");
    }
  }

  private Map<String, Object> object() throws JsonException {
    enter();
    Map<String, Object> m = new LinkedHashMap<>();
    space();
    if (peek() == '}') {
      pos++;
      depth--;
      return m;
    }
    while (true) {
      space();
      if (peek() != '"') {
        throw error("expected a string key");
      }
      int keyAt = pos;
      String k = string();
      space();
      expect(':');
      space();
      if (m.containsKey(k)) {
        pos = keyAt;
        throw error("duplicate key \"" + k + "\"");
      }
      m.put(k, value());
      space();
      if (peek() != ',') {
        expect('}');
        depth--;
        return m;
      }
      pos++;
    }
  }

  private List<Object> array() throws JsonException {
    enter();
    List<Object> l = new ArrayList<>();
    space();
    if (peek() == ']') {
      pos++;
      depth--;
      return l;
    }
    while (true) {
      space();
      l.add(value());
      space();
      if (peek() != ',') {
        expect(']');
        depth--;
        return l;
      }
      pos++;
    }
  }

  private void enter() throws JsonException {
    if (++depth > MAX_DEPTH) {
      throw error("nested deeper than " + MAX_DEPTH + " levels");
    }
    pos++;
  }

  private String string() throws JsonException {
    pos++;
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= s.length()) {
        throw error("unterminated string");
      }
      char c = s.charAt(pos);
      if (c == '"') {
        pos++;
        return sb.toString();
      }
      if (c < 0x20) {
        throw error("control character U+" + String.format("%04X", (int) c) + " in a string (escape it)");
      }
      pos++;
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = peek();
      pos++;
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> sb.append(hex4());
        default -> {
          pos--;
          throw error("bad escape '\\" + (pos < s.length() ? String.valueOf(e) : "") + "'");
        }
      }
    }
  }

  private char hex4() throws JsonException {
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = pos < s.length() ? Character.digit(s.charAt(pos), 16) : -1;
      if (d < 0 || s.charAt(pos) > 'f') {
        throw error("\\u needs four hex digits");
      }
      v = v * 16 + d;
      pos++;
    }
    return (char) v;
  }

  private Double number() throws JsonException {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
    } else if (isDigit(peek())) {
      digits();
    } else {
      throw error("digit expected");
    }
    if (peek() == '.') {
      pos++;
      if (!isDigit(peek())) {
        throw error("digit expected after '.'");
      }
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("digit expected in the exponent");
      }
      digits();
    }
    double d = Double.parseDouble(s.substring(start, pos));
    if (Double.isInfinite(d)) {
      pos = start;
      throw error("number out of range");
    }
    return d;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private void digits() {
    while (isDigit(peek())) {
      pos++;
    }
  }

  private Object literal(String word, Object v) throws JsonException {
    if (!s.startsWith(word, pos)) {
      throw error("unexpected '" + s.charAt(pos) + "'");
    }
    pos += word.length();
    return v;
  }

  private void expect(char c) throws JsonException {
    if (peek() != c) {
      throw error(pos >= s.length() ? "unexpected end of input, expected '" + c + "'"
          : "expected '" + c + "', got '" + s.charAt(pos) + "'");
    }
    pos++;
  }

  private char peek() {
    return pos < s.length() ? s.charAt(pos) : '\0';
  }

  private void space() {
    while (pos < s.length() && " \t\n\r".indexOf(s.charAt(pos)) >= 0) {
      pos++;
    }
  }

  private JsonException error(String what) {
    int line = 1;
    int col = 1;
    for (int i = 0; i < pos && i < s.length(); i++) {
      if (s.charAt(i) == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return new JsonException("invalid JSON at line " + line + ", column " + col + ": " + what);
  }
}
