package dev.topiary.converter.cli;

/**
 * A one-line counter on an interactive stderr ({@code topiary: bench: measuring 120/200}), shown
 * once the work has taken more than a second and redrawn at most five times a second; nothing at
 * all when stderr is not a terminal.
 */
final class Progress {
  private final Command.Console console;
  private final String command;
  private final int total;
  private final long start = System.nanoTime();
  private long lastPrint;
  private boolean shown;

  Progress(Command.Console console, String command, int total) {
    this.console = console;
    this.command = command;
    this.total = total;
  }

  /** Reports {@code done} of the total items, in {@code phase}. */
  void update(String phase, int done) {
    update(phase, done, total);
  }

  /** Reports {@code done} of {@code total} items, in {@code phase}. */
  void update(String phase, int done, int total) {
    if (!console.interactive()) {
      return;
    }
    long now = System.nanoTime();
    if (now - start < 1_000_000_000L || now - lastPrint < 200_000_000L) {
      return;
    }
    lastPrint = now;
    shown = true;
    console.err().print("\rtopiary: " + command + ": " + phase + " " + done + "/" + total + "   ");
    console.err().flush();
  }

  /** Erases the counter line, if one was shown. */
  void clear() {
    if (shown) {
      console.err().print("\r" + " ".repeat(60) + "\r");
      console.err().flush();
    }
  }
}
