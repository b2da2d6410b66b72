package dev.topiary.converter.cli;

import dev.topiary.Shape;
import java.util.List;
import java.util.Locale;

/** Number, size and shape formatting for human-readable output; locale-independent. */
final class Fmt {
  private Fmt() {}

  /** {@code 1234567} → {@code "1,234,567"}. */
  static String grouped(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A byte count for people: {@code "812 B"}, {@code "12.3 KiB"}, {@code "4.56 MiB"}. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, units[u]);
  }

  /** Milliseconds from nanoseconds, with more decimals for small values: {@code "0.0412 ms"}. */
  static String ms(double nanos) {
    double ms = nanos / 1e6;
    String f = ms >= 100 ? "%.1f ms" : ms >= 1 ? "%.3f ms" : "%.4f ms";
    return String.format(Locale.ROOT, f, ms);
  }

  /** Up to 6 significant digits, no trailing zeros; integers without a decimal point; nan/inf. */
  static String num(double v) {
    if (Double.isNaN(v)) {
      return "nan";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    String s = String.format(Locale.ROOT, "%.6g", v);
    int e = s.indexOf('e');
    String mantissa = e >= 0 ? s.substring(0, e) : s;
    String exponent = e >= 0 ? s.substring(e) : "";
    if (mantissa.contains(".")) {
      mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return mantissa + exponent;
  }

  /** Dimensions as {@code [1,28,28,1]}. */
  static String shape(int[] dims) {
    return Shape.of(dims).toString();
  }

  /** Dimensions from a header as {@code [1,28,28,1]} (they may exceed an int in a hostile file). */
  static String shape(List<Long> dims) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < dims.size(); i++) {
      sb.append(i > 0 ? "," : "").append(dims.get(i));
    }
    return sb.append(']').toString();
  }

  /** {@code n} items of {@code what}: {@code "1 node"}, {@code "3 nodes"}. */
  static String count(long n, String what) {
    return n + " " + what + (n == 1 ? "" : "s");
  }
}
