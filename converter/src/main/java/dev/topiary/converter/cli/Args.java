package dev.topiary.converter.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command line parsed against a {@link CommandSpec}: {@code --name value}, {@code --name=value},
 * flags, one-letter aliases ({@code -o FILE}), positional arguments, and {@code --} to end the
 * options. The same rules for every command; values are looked up by the option's long name.
 */
final class Args {
  private final CommandSpec spec;
  private final List<String> positionals;
  private final Map<String, List<String>> values;
  private final boolean help;
  private boolean quiet;

  private Args(CommandSpec spec, List<String> positionals, Map<String, List<String>> values, boolean help) {
    this.spec = spec;
    this.positionals = positionals;
    this.values = values;
    this.help = help;
  }

  /**
   * Parses {@code args} (the words after the subcommand).
   *
   * @throws UsageException for an unknown option, a missing value, a repeated single option, or a
   *     wrong number of positional arguments (unless {@code --help} was given)
   */
  static Args parse(CommandSpec spec, List<String> args) throws UsageException {
    List<String> positionals = new ArrayList<>();
    Map<String, List<String>> values = new LinkedHashMap<>();
    boolean help = false;
    boolean quiet = false;
    UsageException firstError = null;
    boolean optionsEnded = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (optionsEnded || !a.startsWith("-") || a.equals("-")) {
        positionals.add(a);
        continue;
      }
      if (a.equals("--")) {
        optionsEnded = true;
        continue;
      }
      if (a.equals("-h") || a.equals("--help")) {
        help = true;
        continue;
      }
      if (a.equals("-q") || a.equals("--quiet")) {
        quiet = true;
        continue;
      }
      int eq = a.indexOf('=');
      String name = eq >= 0 ? a.substring(0, eq) : a;
      CommandSpec.Option o = spec.option(name);
      if (o == null) {
        firstError = first(firstError, new UsageException("unknown option '" + name + "' for '" + spec.name() + "'"));
        continue;
      }
      String value;
      if (!o.takesValue()) {
        if (eq >= 0) {
          firstError = first(firstError, new UsageException("option " + name + " takes no value"));
          continue;
        }
        value = "";
      } else if (o.arity() == 2) {
        if (eq >= 0 || i + 2 >= args.size() || args.get(i + 1).startsWith("--") || args.get(i + 2).startsWith("--")) {
          firstError = first(firstError, new UsageException("option " + name + " needs two values " + o.valueName()));
          continue;
        }
        if (values.containsKey(o.name())) {
          firstError = first(firstError, new UsageException("option " + name + " given more than once"));
          i += 2;
          continue;
        }
        values.put(o.name(), List.of(args.get(i + 1), args.get(i + 2)));
        i += 2;
        continue;
      } else if (eq >= 0) {
        value = a.substring(eq + 1);
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      } else {
        firstError = first(firstError, new UsageException("option " + name + " needs a value " + o.valueName()));
        continue;
      }
      List<String> l = values.computeIfAbsent(o.name(), k -> new ArrayList<>());
      if (!l.isEmpty() && !o.repeatable()) {
        firstError = first(firstError, new UsageException("option " + name + " given more than once"));
        continue;
      }
      l.add(value);
    }
    if (help) {
      return new Args(spec, positionals, values, true);
    }
    if (firstError != null) {
      throw firstError;
    }
    int required = 0;
    while (required < spec.positionals().size() && !spec.positionals().get(required).startsWith("[")) {
      required++;
    }
    if (positionals.size() < required) {
      throw new UsageException("missing " + spec.positionals().get(positionals.size()) + " argument");
    }
    if (positionals.size() > spec.positionals().size()) {
      throw new UsageException("unexpected argument '" + positionals.get(spec.positionals().size()) + "'");
    }
    Args parsed = new Args(spec, positionals, values, false);
    parsed.quiet = quiet;
    return parsed;
  }

  private static UsageException first(UsageException a, UsageException b) {
    return a != null ? a : b;
  }

  /** Whether {@code --quiet} or {@code -q} was given: no progress display (every command takes it). */
  boolean quiet() {
    return quiet;
  }

  /** Whether {@code --help} or {@code -h} was given. */
  boolean help() {
    return help;
  }

  /** Number of positional arguments given (optional ones, named {@code [X]} in the spec, may be absent). */
  int positionalCount() {
    return positionals.size();
  }

  /** Positional argument {@code i}. */
  String positional(int i) {
    return positionals.get(i);
  }

  /** Whether option {@code name} was given. */
  boolean has(String name) {
    return values.containsKey(name);
  }

  /** The value of a single-valued option, or {@code fallback}. */
  String value(String name, String fallback) {
    List<String> l = values.get(name);
    return l == null ? fallback : l.get(0);
  }

  /** Every value of a repeatable option, in order. */
  List<String> values(String name) {
    return Collections.unmodifiableList(values.getOrDefault(name, List.of()));
  }

  /**
   * The integer value of option {@code name}, or {@code fallback} when absent.
   *
   * @throws UsageException if the value is not an integer in {@code [min, max]}
   */
  int intValue(String name, int fallback, int min, int max) throws UsageException {
    long v = longValue(name, fallback, min, max);
    return (int) v;
  }

  /**
   * The long value of option {@code name}, or {@code fallback} when absent.
   *
   * @throws UsageException if the value is not an integer in {@code [min, max]}
   */
  long longValue(String name, long fallback, long min, long max) throws UsageException {
    String s = value(name, null);
    if (s == null) {
      return fallback;
    }
    long v;
    try {
      v = Long.parseLong(s.strip());
    } catch (NumberFormatException e) {
      throw new UsageException("option " + name + ": '" + s + "' is not a whole number");
    }
    if (v < min || v > max) {
      throw new UsageException("option " + name + " must be in " + min + ".." + max + ", got " + v);
    }
    return v;
  }

  /** The spec these arguments were parsed against. */
  CommandSpec spec() {
    return spec;
  }
}
