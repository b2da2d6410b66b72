package dev.topiary.converter.cli;

import java.util.List;

/**
 * What a command accepts, and its help text.
 *
 * @param name the subcommand, e.g. {@code run}
 * @param synopsis the usage line after {@code topiary }, e.g. {@code run MODEL [options]}
 * @param summary one line for {@code topiary --help}
 * @param description paragraphs shown by {@code --help} between the usage line and the options
 * @param positionals names of the positional arguments, e.g. {@code MODEL}; trailing optional ones in
 *     brackets, e.g. {@code [AFTER]}
 * @param options the options, without {@code --help} (every command has it)
 */
record CommandSpec(
    String name, String synopsis, String summary, String description, List<String> positionals, List<Option> options) {

  /**
   * One option.
   *
   * @param name with dashes, e.g. {@code --threads}; values are stored under this name
   * @param shortName a one-letter alias such as {@code -o}, or null
   * @param valueName placeholder of its value, e.g. {@code N}; null for a flag
   * @param repeatable whether it may be given more than once
   * @param help one line, ending with the default where there is one
   * @param arity words of value it takes: 0 (a flag), 1, or 2 (e.g. {@code --eval X.npy Y.npy})
   */
  record Option(String name, String shortName, String valueName, boolean repeatable, String help, int arity) {
    static Option flag(String name, String help) {
      return new Option(name, null, null, false, help, 0);
    }

    static Option value(String name, String valueName, String help) {
      return new Option(name, null, valueName, false, help, 1);
    }

    static Option repeated(String name, String valueName, String help) {
      return new Option(name, null, valueName, true, help, 1);
    }

    /** An option followed by two values, e.g. {@code --eval X.npy Y.npy}; {@link Args#values} holds both. */
    static Option pair(String name, String valueNames, String help) {
      return new Option(name, null, valueNames, false, help, 2);
    }

    /** This option with the alias {@code shortName}, e.g. {@code -o}. */
    Option withShortName(String shortName) {
      return new Option(name, shortName, valueName, repeatable, help, arity);
    }

    /** How help shows the option: {@code -o, --output FILE}. */
    String usage() {
      return (shortName != null ? shortName + ", " : "") + name + (takesValue() ? " " + valueName : "");
    }

    boolean takesValue() {
      return valueName != null;
    }
  }

  /** The option called {@code name} or with the alias {@code name}, or null. */
  Option option(String name) {
    for (Option o : options) {
      if (o.name().equals(name) || name.equals(o.shortName())) {
        return o;
      }
    }
    return null;
  }

  /** The full {@code --help} text. */
  String help() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: topiary ").append(synopsis).append("\n\n").append(description.strip()).append("\n\nOptions:\n");
    List<String[]> rows = new java.util.ArrayList<>();
    for (Option o : options) {
      rows.add(new String[] {o.usage(), o.help()});
    }
    rows.add(new String[] {"-q, --quiet", "no progress display (shown on a terminal only, for work over about a second)"});
    rows.add(new String[] {"-h, --help", "show this help and exit"});
    int width = 0;
    for (String[] r : rows) {
      width = Math.max(width, r[0].length());
    }
    for (String[] r : rows) {
      sb.append("  ").append(r[0]).append(" ".repeat(width - r[0].length() + 2)).append(r[1]).append('\n');
    }
    sb.append("\nExit status: 0 success, 1 failure (bad file, wrong input), 2 usage error.\n");
    return sb.toString();
  }
}
