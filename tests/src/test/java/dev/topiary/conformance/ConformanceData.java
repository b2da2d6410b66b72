package dev.topiary.conformance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Locates the shared conformance data (ONNX node tests, TFLite goldens), which lives outside the
 * repository: {@code -Dtopiary.conformance.dir=...} when set, otherwise {@code shared/conformance}
 * beside the repository root (the directory holding {@code mvnw}, found by walking up from
 * {@code user.dir}) or beside one of its ancestors, so that both {@code /work/main} and a worktree
 * such as {@code /work/wt/x} find {@code /work/shared/conformance}.
 */
public final class ConformanceData {
  /** System property naming the conformance directory explicitly. */
  static final String PROPERTY = "topiary.conformance.dir";

  private ConformanceData() {}

  /** The conformance directory, or empty when it is not present. */
  static Optional<Path> root() {
    String explicit = System.getProperty(PROPERTY);
    if (explicit != null && !explicit.isEmpty()) {
      Path p = Path.of(explicit).toAbsolutePath();
      return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
    }
    Path repo = repositoryRoot();
    if (repo == null) {
      return Optional.empty();
    }
    for (Path dir = repo.getParent(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("conformance");
      if (Files.isDirectory(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** The nearest directory at or above {@code user.dir} that contains {@code mvnw}, or null. */
  public static Path repositoryRoot() {
    for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("mvnw"))) {
        return dir;
      }
    }
    return null;
  }

  /** A message for {@code Assume} when the data is missing. */
  static String missingMessage(String what) {
    return what + " not found: set -D" + PROPERTY + "=<dir> or place the data in shared/conformance beside the"
        + " repository (looked upward from " + repositoryRoot() + ")";
  }
}
