package dev.topiary.converter.cli;

import java.io.PrintStream;

/** One {@code topiary} subcommand. Implementations are stateless; {@link Main} lists them. */
interface Command {
  /** Name, options and help text. */
  CommandSpec spec();

  /**
   * Runs the command on parsed arguments and returns the exit code (0 on success).
   *
   * @throws UsageException for a command-line mistake found after parsing (exit 2)
   * @throws CliException for a failure with a one-line explanation (exit 1)
   * @throws java.io.IOException for unreadable or malformed files (exit 1, the message is shown)
   */
  int run(Args args, Console console) throws Exception;

  /** Where a command writes: results to {@code out}, notes and progress to {@code err}. */
  record Console(PrintStream out, PrintStream err, boolean interactive) {
    /** Prints {@code topiary: note: <message>} on stderr. */
    void note(String message) {
      err.println("topiary: note: " + Main.oneLine(message));
    }
  }
}
