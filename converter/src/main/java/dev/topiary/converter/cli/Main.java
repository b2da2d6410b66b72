package dev.topiary.converter.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code topiary} command: dispatches to a subcommand and turns every outcome into an exit code
 * and at most one line on stderr.
 *
 * <pre>{@code
 * int status = Main.run(new String[] {"inspect", "model.topiary"}, System.out, System.err);
 * }</pre>
 *
 * <p>Exit codes: {@value #OK} success; {@value #FAILURE} failure (bad or missing file, wrong input);
 * {@value #USAGE} usage error (unknown option, missing or malformed argument). Errors never print
 * a stack trace; an unexpected exception prints one line naming its type and where it was thrown.
 */
public final class Main {
  /** Exit code of a successful command. */
  public static final int OK = 0;
  /** Exit code of a command that failed on its inputs. */
  public static final int FAILURE = 1;
  /** Exit code of a malformed command line. */
  public static final int USAGE = 2;

  /** The subcommands, one line each, in the order {@code topiary --help} lists them. */
  private static final List<Command> COMMANDS =
      List.of(
          new ConvertCommand(),
          new RunCommand(),
          new EvalCommand(),
          new InspectCommand(),
          new BenchCommand(),
          new ProfileCommand(),
          new DemoCommand());

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs {@code topiary} with {@code args}, printing results to {@code out} and errors to {@code err},
   * and returns the exit code. Never throws and never calls {@link System#exit}.
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    boolean interactive = err == System.err && System.console() != null;
    return run(args, new Command.Console(out, err, interactive));
  }

  /** As {@link #run(String[], PrintStream, PrintStream)} on {@code console} (tests pick whether it is a terminal). */
  static int run(String[] args, Command.Console console) {
    PrintStream out = console.out();
    PrintStream err = console.err();
    try {
      return dispatch(Arrays.asList(args), console);
    } catch (UsageException e) {
      err.println("topiary: " + oneLine(e.getMessage()));
      return USAGE;
    } catch (CliException e) {
      err.println("topiary: " + oneLine(e.getMessage()));
      return FAILURE;
    } catch (NoSuchFileException e) {
      err.println("topiary: no such file: " + e.getFile());
      return FAILURE;
    } catch (AccessDeniedException e) {
      err.println("topiary: permission denied: " + e.getFile());
      return FAILURE;
    } catch (FileSystemException e) {
      err.println("topiary: " + oneLine(e.getMessage()));
      return FAILURE;
    } catch (IOException e) {
      err.println("topiary: " + oneLine(e.getMessage() != null ? e.getMessage() : e.toString()));
      return FAILURE;
    } catch (OutOfMemoryError e) {
      err.println("topiary: out of memory; give Java more heap, e.g. TOPIARY_JAVA_OPTS=-Xmx8g");
      return FAILURE;
    } catch (Exception | Error e) {
      StackTraceElement[] st = e.getStackTrace();
      String where = st.length > 0 ? " (at " + st[0] + ")" : "";
      err.println("topiary: internal error: " + oneLine(String.valueOf(e)) + where);
      return FAILURE;
    } finally {
      out.flush();
      err.flush();
    }
  }

  private static int dispatch(List<String> args, Command.Console console) throws Exception {
    if (args.isEmpty()) {
      throw new UsageException("no command given; commands: " + names() + " (see 'topiary --help')");
    }
    String first = args.get(0);
    if (first.equals("--help") || first.equals("-h") || (first.equals("help") && args.size() == 1)) {
      console.out().print(help());
      return OK;
    }
    if (first.equals("--version")) {
      int major = dev.topiary.internal.format.ArtifactFormat.MAJOR_VERSION;
      console.out().println("topiary " + Version.get() + " (artifact format " + major + ".0 to " + major + "."
          + dev.topiary.internal.format.ArtifactFormat.LATEST_MINOR_VERSION + ", Java " + Runtime.version() + ")");
      return OK;
    }
    if (first.equals("help")) {
      if (args.size() > 2) {
        throw new UsageException("unexpected argument '" + args.get(2) + "' (usage: topiary help COMMAND)");
      }
      console.out().print(find(args.get(1)).spec().help());
      return OK;
    }
    if (first.startsWith("-")) {
      throw new UsageException("unknown option '" + first + "' (see 'topiary --help')");
    }
    Command command = find(first);
    String hint = " (see 'topiary " + first + " --help')";
    Args parsed;
    try {
      parsed = Args.parse(command.spec(), args.subList(1, args.size()));
    } catch (UsageException e) {
      throw new UsageException(e.getMessage() + hint);
    }
    if (parsed.help()) {
      console.out().print(command.spec().help());
      return OK;
    }
    if (parsed.quiet()) {
      console = new Command.Console(console.out(), console.err(), false);
    }
    try {
      return command.run(parsed, console);
    } catch (UsageException e) {
      throw new UsageException(e.getMessage() + hint);
    }
  }

  private static Command find(String name) throws UsageException {
    for (Command c : COMMANDS) {
      if (c.spec().name().equals(name)) {
        return c;
      }
    }
    String suggestion = "";
    for (Command c : COMMANDS) {
      if (editDistance(name, c.spec().name()) <= 2) {
        suggestion = " (did you mean '" + c.spec().name() + "'?)";
        break;
      }
    }
    throw new UsageException("unknown command '" + name + "'" + suggestion + "; commands: " + names()
        + " (see 'topiary --help')");
  }

  private static String names() {
    StringBuilder sb = new StringBuilder();
    for (Command c : COMMANDS) {
      sb.append(sb.length() > 0 ? ", " : "").append(c.spec().name());
    }
    return sb.toString();
  }

  static String help() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: topiary COMMAND [options]\n")
        .append("       topiary help COMMAND | topiary COMMAND --help\n\n")
        .append("Converts ONNX models to .topiary artifacts, and runs, inspects and benchmarks\n")
        .append("artifacts (or ONNX models, converted in memory). Tensors go in and out as NumPy\n")
        .append(".npy files. Start with 'topiary demo'.\n\nCommands:\n");
    int width = 0;
    for (Command c : COMMANDS) {
      width = Math.max(width, c.spec().name().length());
    }
    for (Command c : COMMANDS) {
      sb.append("  ").append(c.spec().name()).append(" ".repeat(width - c.spec().name().length() + 3))
          .append(c.spec().summary()).append('\n');
    }
    sb.append("\nOptions:\n  -h, --help   show this help and exit\n  --version    print the version and exit\n")
        .append("\nExit status: 0 success, 1 failure (bad file, wrong input), 2 usage error.\n");
    return sb.toString();
  }

  /** {@code s} with line breaks folded into spaces, so that an error stays on one line. */
  static String oneLine(String s) {
    return s == null ? "" : s.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
  }

  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
