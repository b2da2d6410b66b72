package dev.topiary.converter.npy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the subset of Python literal syntax that {@code .npy} headers use: dicts, tuples, lists,
 * quoted strings, integers (an old {@code L} suffix allowed), {@code True}, {@code False} and
 * {@code None}. Nothing is evaluated; nesting is bounded so a hostile header cannot exhaust the stack.
 *
 * <p>Values come back as {@link Map} (string keys, insertion order), {@link Tuple}, {@link List},
 * {@link String}, {@link BigInteger}, {@link Boolean}, or {@link #NONE}.
 */
final class PyLiteral {
  /** A Python tuple. */
  record Tuple(List<Object> items) {}

  /** Python's {@code None}. */
  static final Object NONE =
      new Object() {
        @Override
        public String toString() {
          return "None";
        }
      };

  private static final int MAX_DEPTH = 16;

  private final String s;
  private int pos;

  private PyLiteral(String s) {
    this.s = s;
  }

  /**
   * Parses {@code text} as one literal followed only by whitespace.
   *
   * @throws NpyFormatException naming the character offset of the first problem
   */
  static Object parse(String text) throws NpyFormatException {
    PyLiteral p = new PyLiteral(text);
    Object v = p.value(0);
    p.skipSpace();
    if (p.pos < text.length()) {
      throw p.error("unexpected " + p.describe() + " after the end of the literal");
    }
    return v;
  }

  private Object value(int depth) throws NpyFormatException {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH + " levels");
    }
    skipSpace();
    if (pos >= s.length()) {
      throw error("unexpected end of header");
    }
    char c = s.charAt(pos);
    switch (c) {
      case '{':
        return dict(depth);
      case '(':
        return new Tuple(sequence(')', depth));
      case '[':
        return sequence(']', depth);
      case '\'':
      case '"':
        return string();
      default:
        if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
          return integer();
        }
        if (Character.isLetter(c)) {
          return word();
        }
        throw error("unexpected " + describe());
    }
  }

  private Map<String, Object> dict(int depth) throws NpyFormatException {
    pos++; // '{'
    Map<String, Object> m = new LinkedHashMap<>();
    while (true) {
      skipSpace();
      if (peek() == '}') {
        pos++;
        return Collections.unmodifiableMap(m);
      }
      int keyAt = pos;
      Object key = value(depth + 1);
      if (!(key instanceof String k)) {
        pos = keyAt;
        throw error("dict key must be a string");
      }
      skipSpace();
      expect(':');
      Object v = value(depth + 1);
      if (m.put(k, v) != null) {
        pos = keyAt;
        throw error("duplicate key '" + k + "'");
      }
      skipSpace();
      if (peek() == ',') {
        pos++;
      } else if (peek() != '}') {
        throw error("expected ',' or '}' but found " + describe());
      }
    }
  }

  private List<Object> sequence(char close, int depth) throws NpyFormatException {
    pos++; // '(' or '['
    List<Object> items = new ArrayList<>();
    while (true) {
      skipSpace();
      if (peek() == close) {
        pos++;
        return Collections.unmodifiableList(items);
      }
      items.add(value(depth + 1));
      skipSpace();
      if (peek() == ',') {
        pos++;
      } else if (peek() != close) {
        throw error("expected ',' or '" + close + "' but found " + describe());
      }
    }
  }

  private String string() throws NpyFormatException {
    char quote = s.charAt(pos++);
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= s.length()) {
        throw error("unterminated string");
      }
      char c = s.charAt(pos++);
      if (c == quote) {
        return sb.toString();
      }
      if (c == '\n') {
        pos--;
        throw error("line break inside a string");
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= s.length()) {
        throw error("unterminated string");
      }
      char e = s.charAt(pos++);
      switch (e) {
        case '\\', '\'', '"' -> sb.append(e);
        case 'n' -> sb.append('\n');
        case 't' -> sb.append('\t');
        case 'r' -> sb.append('\r');
        case '0' -> sb.append('\0');
        case 'x' -> sb.append((char) hex(2));
        case 'u' -> sb.append((char) hex(4));
        default -> {
          pos -= 2;
          throw error("unsupported escape '\\" + e + "' in a string");
        }
      }
    }
  }

  private int hex(int digits) throws NpyFormatException {
    if (pos + digits > s.length()) {
      throw error("truncated escape in a string");
    }
    int v = 0;
    for (int i = 0; i < digits; i++) {
      int d = Character.digit(s.charAt(pos), 16);
      if (d < 0) {
        throw error("bad hex digit " + describe() + " in an escape");
      }
      v = v * 16 + d;
      pos++;
    }
    return v;
  }

  private BigInteger integer() throws NpyFormatException {
    int start = pos;
    if (s.charAt(pos) == '-' || s.charAt(pos) == '+') {
      pos++;
    }
    int digitsAt = pos;
    while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
      pos++;
    }
    if (pos == digitsAt) {
      throw error("expected a digit but found " + describe());
    }
    if (pos - digitsAt > 40) {
      pos = start;
      throw error("integer with more than 40 digits");
    }
    BigInteger v = new BigInteger(s.substring(start, pos));
    if (pos < s.length() && (s.charAt(pos) == 'L' || s.charAt(pos) == 'l')) {
      pos++; // Python 2 long suffix, written by old NumPy versions
    }
    if (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '.')) {
      throw error("unexpected " + describe() + " in an integer (only integers are allowed here)");
    }
    return v;
  }

  private Object word() throws NpyFormatException {
    int start = pos;
    while (pos < s.length() && Character.isLetterOrDigit(s.charAt(pos))) {
      pos++;
    }
    String w = s.substring(start, pos);
    switch (w) {
      case "True":
        return Boolean.TRUE;
      case "False":
        return Boolean.FALSE;
      case "None":
        return NONE;
      default:
        pos = start;
        throw error("unexpected name '" + w + "' (only True, False and None are allowed)");
    }
  }

  private void expect(char c) throws NpyFormatException {
    if (peek() != c) {
      throw error("expected '" + c + "' but found " + describe());
    }
    pos++;
  }

  private char peek() {
    return pos < s.length() ? s.charAt(pos) : '\uFFFF';
  }

  private void skipSpace() {
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private String describe() {
    if (pos >= s.length()) {
      return "the end of the header";
    }
    char c = s.charAt(pos);
    return c >= 0x20 && c < 0x7F ? "'" + c + "'" : String.format("character U+%04X", (int) c);
  }

  private NpyFormatException error(String what) {
    return new NpyFormatException("malformed header dict at character " + pos + ": " + what);
  }
}
