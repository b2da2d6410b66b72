package dev.topiary.converter.cli;

/**
 * A one-line counter on an interactive stderr ({@code topiary: bench: measuring 120/200}), shown
 * once the work has taken more than a second and redrawn at most five times a second; nothing at
 * all when stderr is not a terminal (or the command was given {@code --quiet}). For work that
 * cannot count its steps (converting a model, calibrating), {@link #ticking} shows the elapsed time
 * instead.
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
  synchronized void update(String phase, int done, int total) {
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

  /**
   * Starts showing {@code topiary: <what>... 2.4 s} on an interactive stderr while the caller works,
   * from one second on, redrawn five times a second by a daemon thread; closing the returned ticker
   * stops it and erases the line. Does nothing when stderr is not a terminal.
   */
  static Ticker ticking(Command.Console console, String what) {
    return new Ticker(new Progress(console, "", 0), what);
  }

  /** The elapsed-time line of {@link #ticking}. */
  static final class Ticker implements AutoCloseable {
    private final Progress progress;
    private final Thread thread;
    private volatile boolean done;

    private Ticker(Progress progress, String what) {
      this.progress = progress;
      if (!progress.console.interactive()) {
        this.thread = null;
        return;
      }
      this.thread = new Thread(() -> {
        while (!done) {
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            return;
          }
          progress.elapsed(what);
        }
      }, "topiary-progress");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() {
      done = true;
      if (thread != null) {
        thread.interrupt();
        try {
          thread.join(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      progress.clear();
    }
  }

  private synchronized void elapsed(String what) {
    long now = System.nanoTime();
    if (now - start < 1_000_000_000L) {
      return;
    }
    shown = true;
    console.err().print(String.format(java.util.Locale.ROOT, "\rtopiary: %s... %.1f s   ", what, (now - start) / 1e9));
    console.err().flush();
  }

  /** Erases the counter line, if one was shown. */
  synchronized void clear() {
    if (shown) {
      console.err().print("\r" + " ".repeat(60) + "\r");
      console.err().flush();
    }
  }
}
