package dev.topiary.converter.report;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.format.Artifact;
import dev.topiary.internal.format.SparseBitmap;
import dev.topiary.internal.format.Types;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.format.proto.SparseEncoding;
import dev.topiary.internal.format.proto.TensorDesc;
import dev.topiary.internal.plan.Plan;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.Deflater;

/**
 * Profiles a loaded model: the static part (bytes, parameters, sparsity and MACs per node, file
 * layout, DEFLATE size, arena) from its artifact and plan, and the timed part from one session
 * running seeded random inputs (FLOAT32 uniform in [-1, 1), integer inputs 0 or 1, INT8/UINT8 over
 * their range):
 *
 * <ol>
 *   <li>the first run of the fresh session, timed alone (in a JVM {@link #prime primed} by the caller);
 *   <li>{@code warmup} untimed runs;
 *   <li>{@code iterations} pairs of runs: one timed whole with step timing off (the steady-state
 *       latency), then one with the runtime's step timing on ({@code ModelAccess.timeSteps}; the
 *       mean and p90 of each node). Alternating keeps both measures under the same conditions
 *       (JIT state, machine load).
 * </ol>
 *
 * The sum of the nodes' means is a little below the steady-state latency: copying inputs and
 * outputs, and the loop itself, belong to no node.
 */
public final class Profiler {
  /** How to time a model. */
  public record Options(int threads, int warmup, long minWarmupNanos, int iterations, long seed) {
    /** Exactly {@code warmup} warm-up runs. */
    public Options(int threads, int warmup, int iterations, long seed) {
      this(threads, warmup, 0, iterations, seed);
    }
  }

  /** Told how far the timed runs are: {@code done} of {@code total} runs of the model named {@code what}. */
  public interface Listener {
    void progress(String what, int done, int total);
  }

  private Profiler() {}

  /**
   * Profiles {@code model}.
   *
   * @param path the model file as given
   * @param onnx whether the file is an ONNX model converted in memory
   * @param optimized whether the conversion ran the optimising passes (true for an artifact)
   * @param fileBytes the file given
   * @param artifactBytes the artifact the model was loaded from (the same array for an artifact file)
   * @param loadNanos the time {@code Model.load} took
   */
  public static ModelProfile profile(String path, boolean onnx, boolean optimized, byte[] fileBytes,
      byte[] artifactBytes, Model model, long loadNanos, Options options, Listener listener) {
    Artifact a = ModelAccess.get().artifact(model);
    Plan plan = ModelAccess.get().plan(model);
    Graph g = a.header().getGraph();
    int steps = plan.steps().size();

    long[][] stepNanos = new long[options.iterations()][steps];
    long[] steady = new long[options.iterations()];
    long firstRun;
    long sessionArena;
    int warmups = 0;
    int total = 1 + options.warmup() + 2 * options.iterations();
    int done = 0;
    Map<String, ByteBuffer> inputs = RunBuffers.random(model.inputs(), new Random(options.seed()));
    Map<String, ByteBuffer> outputs = RunBuffers.buffers(model.outputs());
    try (Session session = model.newSession(SessionOptions.builder().threads(options.threads()).build())) {
      sessionArena = session.arenaBytes();
      long t = System.nanoTime();
      session.run(inputs, outputs);
      firstRun = System.nanoTime() - t;
      listener.progress(path, ++done, total);
      long warmStart = System.nanoTime();
      while (warmups < options.warmup()
          || (warmups < 1_000_000 && System.nanoTime() - warmStart < options.minWarmupNanos())) {
        session.run(inputs, outputs);
        warmups++;
        if (warmups <= options.warmup()) {
          listener.progress(path, ++done, total);
        }
      }
      for (int i = 0; i < options.iterations(); i++) {
        long s = System.nanoTime();
        session.run(inputs, outputs);
        steady[i] = System.nanoTime() - s;
        listener.progress(path, ++done, total);
        ModelAccess.get().timeSteps(session, stepNanos[i]);
        session.run(inputs, outputs);
        ModelAccess.get().timeSteps(session, null);
        listener.progress(path, ++done, total);
      }
    }

    // Tensor id -> producing step, and the first step reading each constant.
    int[] producer = new int[plan.tensorCount()];
    Arrays.fill(producer, -1);
    int[] firstReader = new int[plan.tensorCount()];
    Arrays.fill(firstReader, -1);
    for (int s = 0; s < steps; s++) {
      Plan.Step step = plan.steps().get(s);
      for (int id : step.outputs) {
        producer[id] = s;
      }
      for (int id : step.inputs) {
        if (id >= 0 && firstReader[id] < 0) {
          firstReader[id] = s;
        }
      }
    }

    long parameters = 0;
    long constantBytes = 0;
    long unattributed = 0;
    Map<String, Long> byDtype = new TreeMap<>();
    for (int id = 0; id < g.getTensorsCount(); id++) {
      TensorDesc t = g.getTensors(id);
      if (!t.getConstant()) {
        continue;
      }
      parameters += elements(t);
      constantBytes += t.getDataLength();
      byDtype.merge(typeName(t), t.getDataLength(), Long::sum);
      if (firstReader[id] < 0) {
        unattributed += t.getDataLength();
      }
    }

    List<Layer> layers = new ArrayList<>();
    long macs = 0;
    for (int s = 0; s < steps; s++) {
      Plan.Step step = plan.steps().get(s);
      Node node = g.getNodes(step.nodeIndex);
      long params = 0;
      long bytes = 0;
      long zeros = 0;
      String weightType = null;
      long largest = -1;
      List<Integer> producers = new ArrayList<>();
      int[][] inShapes = new int[step.inputs.length][];
      for (int k = 0; k < step.inputs.length; k++) {
        int id = step.inputs[k];
        if (id < 0) {
          continue;
        }
        inShapes[k] = plan.tensorShape(id);
        TensorDesc t = g.getTensors(id);
        if (t.getConstant()) {
          if (firstReader[id] == s) {
            long n = elements(t);
            params += n;
            bytes += t.getDataLength();
            zeros += n - nonZero(a, id, t);
            if (n > largest) {
              largest = n;
              weightType = typeName(t);
            }
          }
        } else if (producer[id] >= 0 && !producers.contains(producer[id])) {
          producers.add(producer[id]);
        }
      }
      int[] outShape = step.outputs.length > 0 ? plan.tensorShape(step.outputs[0]) : new int[0];
      if (weightType == null) {
        weightType = step.outputs.length > 0 ? plan.tensorType(step.outputs[0]).name() : "";
      }
      long m = OpMacs.of(step.opType, inShapes, outShape);
      macs += m;
      long[] times = new long[options.iterations()];
      double sum = 0;
      for (int i = 0; i < times.length; i++) {
        times[i] = stepNanos[i][s];
        sum += times[i];
      }
      Arrays.sort(times);
      String op = step.opType;
      for (int f : step.fusedNodes) {
        op += "+" + g.getNodes(f).getOpType(); // e.g. Conv2D+Add: a residual Add fused by the planner
      }
      layers.add(new Layer(s, step.nodeIndex, node.getName(), op, weightType, outShape, params, bytes,
          params == 0 ? Double.NaN : (double) zeros / params, m, sum / times.length, percentile(times, 0.90),
          List.copyOf(producers)));
    }

    return new ModelProfile(path, onnx, optimized, fileBytes.length, deflatedSize(fileBytes),
        a.majorVersion() + "." + a.minorVersion(), a.fileSize(), a.headerSize(), a.dataSize(), constantBytes,
        fileBytes == artifactBytes ? deflatedSize(fileBytes) : deflatedSize(artifactBytes), parameters, byDtype,
        unattributed, macs, plan.arenaBytes(), plan.arenaLowerBoundBytes(), sessionArena, options.threads(), warmups,
        options.iterations(), loadNanos, firstRun, steady, layers);
  }

  /**
   * Loads nothing and measures nothing: runs {@code model} once in a throw-away session so that the
   * JVM has loaded and compiled the reader, planner and kernels before anything is timed. Without it
   * the first model profiled pays for class loading in its load and first-run times, and a
   * before/after comparison would favour the second model.
   */
  public static void prime(Model model, Options options) {
    Map<String, ByteBuffer> outputs = RunBuffers.buffers(model.outputs());
    try (Session session = model.newSession(SessionOptions.builder().threads(options.threads()).build())) {
      session.run(RunBuffers.random(model.inputs(), new Random(options.seed())), outputs);
    }
  }

  /** Bytes of {@code data} compressed with DEFLATE at level 9, as zip, APK and JAR files store it. */
  public static long deflatedSize(byte[] data) {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    try {
      d.setInput(data);
      d.finish();
      byte[] buf = new byte[64 * 1024];
      long n = 0;
      while (!d.finished()) {
        n += d.deflate(buf);
      }
      return n;
    } finally {
      d.end();
    }
  }

  /** Nearest-rank percentile of sorted values: the smallest value with at least {@code p} of them at or below it. */
  static long percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static long elements(TensorDesc t) {
    long n = 1;
    for (long d : t.getShapeList()) {
      n *= d;
    }
    return n;
  }

  /** Non-zero elements of constant {@code id}: the stored count of a sparse tensor, else counted. */
  private static long nonZero(Artifact a, int id, TensorDesc t) {
    if (t.hasSparse() && t.getSparse().getKind() == SparseEncoding.Kind.BITMAP) {
      return t.getSparse().getNonzeroCount();
    }
    int size = Types.byteSize(t.getDataType());
    long n = elements(t);
    if (size <= 0 || n * size != t.getDataLength()) {
      return n;
    }
    return SparseBitmap.nonZeroCount(a.constantBytes(id), (int) n, size);
  }

  private static String typeName(TensorDesc t) {
    try {
      return Types.fromProto(t.getDataType()).name();
    } catch (IllegalArgumentException e) {
      return t.getDataType().name();
    }
  }
}
