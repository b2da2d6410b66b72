package dev.topiary.converter.cli;

import dev.topiary.ModelFormatException;
import dev.topiary.internal.format.Artifact;
import dev.topiary.internal.format.ArtifactFormat;
import dev.topiary.internal.format.ArtifactReader;
import dev.topiary.internal.plan.Plan;
import dev.topiary.internal.plan.Planner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An artifact read for inspection: the verified file, and its plan when this runtime can build one.
 * Unlike {@link dev.topiary.Model#load}, a model the runtime cannot plan (an op it does not know, a
 * shape an op rejects) can still be inspected: {@link #plan} is then null and {@link #planError} says why.
 *
 * @param artifact the parsed, digest-verified artifact
 * @param plan the execution plan, or null
 * @param planError why planning failed, or null
 */
record ArtifactFile(Artifact artifact, Plan plan, String planError) {

  /**
   * Reads and verifies {@code path}, then tries to plan it.
   *
   * @throws ModelFormatException if the file is not a valid artifact (message prefixed by the path)
   * @throws IOException if it cannot be read
   */
  static ArtifactFile read(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > ArtifactFormat.MAX_FILE_SIZE) {
        throw new ModelFormatException(path + ": " + size + " bytes exceeds the 2 GiB artifact limit");
      }
      return read(ch.map(FileChannel.MapMode.READ_ONLY, 0, size), path.toString());
    }
  }

  /**
   * Reads and verifies an artifact held in {@code bytes}, then tries to plan it.
   *
   * @param name what error messages call the artifact, e.g. its path
   * @throws ModelFormatException if the bytes are not a valid artifact (message prefixed by {@code name})
   */
  static ArtifactFile read(ByteBuffer bytes, String name) throws ModelFormatException {
    Artifact artifact;
    try {
      artifact = ArtifactReader.read(bytes, true);
    } catch (ModelFormatException e) {
      throw e.getMessage().startsWith(name) ? e : new ModelFormatException(name + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new ModelFormatException(name + ": invalid artifact: " + e, e);
    }
    try {
      return new ArtifactFile(artifact, Planner.plan(artifact, new Planner.Options()), null);
    } catch (ModelFormatException e) {
      return new ArtifactFile(artifact, null, e.getMessage());
    } catch (RuntimeException e) {
      return new ArtifactFile(artifact, null, "invalid artifact: " + e);
    }
  }
}
