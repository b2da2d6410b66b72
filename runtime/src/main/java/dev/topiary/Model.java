package dev.topiary;

import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.format.Artifact;
import dev.topiary.internal.format.ArtifactFormat;
import dev.topiary.internal.format.ArtifactReader;
import dev.topiary.internal.format.proto.Metadata;
import dev.topiary.internal.plan.Plan;
import dev.topiary.internal.plan.Planner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A loaded, verified {@code .topiary} model, ready to run.
 *
 * <pre>{@code
 * try (Model model = Model.load(Paths.get("mnist.topiary"));
 *      Session session = model.newSession()) {
 *   Tensor x = Tensor.ofFloats(model.inputs().get(0).shape(), pixels);
 *   Map<String, Tensor> out = session.run(Collections.singletonMap("input", x));
 * }
 * }</pre>
 *
 * <p>Loading reads the header, checks the SHA-256 trailer, validates the graph, resolves every
 * shape, binds the kernels (packing weights) and sizes the arena, so all errors in the file surface
 * here, as {@link ModelFormatException}, and nothing of this is left for the first run. For files
 * of 1 MiB or more the digest is computed on a short-lived thread of its own while the graph is
 * validated and planned; a model is returned only once the digest has matched.
 *
 * <p><b>A model is immutable and thread-safe.</b> Share one model between threads and give each
 * thread its own {@link Session}; results are bit-identical across sessions.
 */
public final class Model implements AutoCloseable {
  static {
    ModelAccess.install(
        new ModelAccess() {
          @Override
          public Artifact artifact(Model model) {
            return model.artifact;
          }

          @Override
          public Plan plan(Model model) {
            return model.plan;
          }

          @Override
          public Model load(ByteBuffer buffer, Planner.Options options) throws ModelFormatException {
            return Model.load(buffer, options);
          }

          @Override
          public void timeSteps(Session session, long[] stepNanos) {
            session.timeSteps(stepNanos);
          }

          @Override
          public void minParallelWork(Session session, long work) {
            session.minParallelWork(work);
          }
        });
  }

  private final Artifact artifact;
  private final Plan plan;
  private final ModelMetadata metadata;
  private volatile boolean closed;

  private Model(Artifact artifact, Plan plan) {
    this.artifact = artifact;
    this.plan = plan;
    Metadata m = artifact.header().getMetadata();
    this.metadata =
        new ModelMetadata(
            m.getName(),
            m.getDescription(),
            artifact.header().getProducer(),
            artifact.header().getSourceSha256(),
            m.getLabelsList(),
            toArray(m.getNormalizationMeanList()),
            toArray(m.getNormalizationStdList()),
            m.getPropertiesMap());
  }

  /**
   * Loads an artifact by memory-mapping {@code path}: the digest is computed over the mapping and
   * each weight is copied out of it once, into the layout its kernel uses (packed for the fast paths).
   *
   * @throws ModelFormatException if the file is not a valid artifact (the message says why)
   * @throws IOException if the file cannot be read
   */
  public static Model load(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > ArtifactFormat.MAX_FILE_SIZE) {
        throw new ModelFormatException(path + ": " + size + " bytes exceeds the 2 GiB artifact limit");
      }
      ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      try {
        return load(mapped);
      } catch (ModelFormatException e) {
        throw new ModelFormatException(path + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Loads an artifact from {@code buffer}'s remaining bytes without copying them. The buffer must
   * not change while the model is in use.
   *
   * @throws ModelFormatException if the bytes are not a valid artifact
   */
  public static Model load(ByteBuffer buffer) throws ModelFormatException {
    return load(buffer, new Planner.Options());
  }

  private static Model load(ByteBuffer buffer, Planner.Options options) throws ModelFormatException {
    try {
      // Large files: the SHA-256 is checked on another thread while the planner works.
      return ArtifactReader.readConcurrently(buffer, a -> new Model(a, Planner.plan(a, options)));
    } catch (ModelFormatException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ModelFormatException("invalid artifact: " + e, e);
    }
  }

  /**
   * Loads an artifact from a stream, reading it to the end (at most 2 GiB). The stream is not closed.
   *
   * @throws ModelFormatException if the bytes are not a valid artifact
   * @throws IOException if reading fails
   */
  public static Model load(InputStream in) throws IOException {
    return load(ArtifactReader.readFully(in, ArtifactFormat.MAX_FILE_SIZE));
  }

  /** The inputs a session expects, in the model's order. */
  public List<TensorInfo> inputs() {
    return plan.inputs();
  }

  /** The outputs a session produces, in the model's order. */
  public List<TensorInfo> outputs() {
    return plan.outputs();
  }

  /** Labels, normalization, producer and free-form properties. */
  public ModelMetadata metadata() {
    return metadata;
  }

  /** Size of the artifact in bytes. */
  public long fileSize() {
    return artifact.fileSize();
  }

  /** Lower-case hex SHA-256 of the artifact (its verified trailer digest): identifies the exact file. */
  public String sha256() {
    return artifact.digestHex();
  }

  /** Bytes of intermediate tensors one session holds, as laid out by the memory planner. */
  public long arenaBytes() {
    return plan.arenaBytes();
  }

  /** The most bytes of intermediate tensors alive at one moment: no memory plan can use less. */
  public long arenaLowerBoundBytes() {
    return plan.arenaLowerBoundBytes();
  }

  /** Opens a session with {@link SessionOptions#defaults()}. */
  public Session newSession() {
    return newSession(SessionOptions.defaults());
  }

  /**
   * Opens a session: its arena and worker threads. Close it when done.
   *
   * @throws IllegalStateException if the model is closed
   */
  public Session newSession(SessionOptions options) {
    if (closed) {
      throw new IllegalStateException("model is closed");
    }
    return new Session(plan, options);
  }

  /** Marks the model closed; open sessions keep working. Harmless to call twice. */
  @Override
  public void close() {
    closed = true;
  }

  private static float[] toArray(List<Float> l) {
    float[] a = new float[l.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = l.get(i);
    }
    return a;
  }
}
