package dev.topiary.converter.cli;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** File-name handling shared by the commands. */
final class CliFiles {
  private static final int MAX_NAME = 120;

  private CliFiles() {}

  /**
   * An existing regular file named on the command line.
   *
   * @throws CliException if it does not exist or is a directory
   */
  static Path existingFile(String arg, String what) throws CliException {
    Path p;
    try {
      p = Path.of(arg);
    } catch (InvalidPathException e) {
      throw new CliException("bad " + what + " path '" + arg + "': " + e.getReason());
    }
    if (Files.isDirectory(p)) {
      throw new CliException(arg + " is a directory, not a " + what);
    }
    if (!Files.exists(p)) {
      throw new CliException("no such " + what + ": " + arg);
    }
    return p;
  }

  /** Whether {@code arg} names an existing file or directory (false for an invalid path). */
  static boolean exists(String arg) {
    try {
      return Files.exists(Path.of(arg));
    } catch (InvalidPathException e) {
      return false;
    }
  }

  /**
   * A safe {@code .npy} file name for a tensor name: characters other than letters, digits,
   * {@code . _ -} become {@code _}, a leading dot becomes {@code _} (no hidden files, no {@code ..}),
   * long names are cut, an empty name becomes {@code output}; a name already in {@code taken}
   * (compared ignoring case, for case-insensitive file systems) gets a {@code _2}, {@code _3}... suffix.
   * The returned name is added to {@code taken}.
   */
  static String npyFileName(String tensorName, Set<String> taken) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < tensorName.length() && sb.length() < MAX_NAME; i++) {
      char c = tensorName.charAt(i);
      boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == '-';
      sb.append(safe ? c : '_');
    }
    if (sb.length() > 0 && sb.charAt(0) == '.') {
      sb.setCharAt(0, '_');
    }
    String base = sb.length() == 0 ? "output" : sb.toString();
    String name = base;
    for (int k = 2; !taken.add(name.toLowerCase(Locale.ROOT)); k++) {
      name = base + "_" + k;
    }
    return name + ".npy";
  }
}
