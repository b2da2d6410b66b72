package dev.topiary.benchmarks;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.TensorInfo;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.plan.Plan;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Model#load(Path)} of a memory-mapped artifact in a warm JVM: read, SHA-256, validation,
 * planning (kernel binding, weight packing, memory plan). {@code model}: {@code cnn} (the
 * Fashion-MNIST CNN of {@code tools/fixtures}), {@code mobilenetv2} (torchvision's, from
 * {@code ~/.cache/topiary/fixtures}), or the path of a {@code .topiary} file. Sample-time mode, so
 * JMH prints the median ({@code p0.50}) next to the mean.
 *
 * <p>{@code benchmarks.jar load-probe [model ...]} runs {@link #probe} instead: the first load and
 * first run in this JVM (cold), warm load medians alternating between the models, the heap a loaded
 * model retains, and a fresh session's first run against its steady state.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LoadBenchmark {
  @Param({"cnn", "mobilenetv2"})
  public String model;

  private Path artifact;
  private boolean temporary;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    artifact = artifact(model);
    temporary = !model.endsWith(".topiary");
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    if (temporary) {
      Files.deleteIfExists(artifact);
    }
  }

  @Benchmark
  public Model load() throws IOException {
    try (Model m = Model.load(artifact)) {
      return m;
    }
  }

  /** The artifact of a named fixture, converted to a temporary file, or a {@code .topiary} path as is. */
  static Path artifact(String model) throws Exception {
    if (model.endsWith(".topiary")) {
      return Path.of(model);
    }
    Path onnx;
    if (model.equals("cnn")) {
      onnx = SideBySide.fashionMnist(new SideBySide.Options(), "cnn");
    } else if (model.equals("mobilenetv2")) {
      onnx = Path.of(System.getProperty("user.home"), ".cache", "topiary", "fixtures", "mobilenetv2.onnx");
    } else {
      throw new IllegalArgumentException("model: expected cnn, mobilenetv2 or a .topiary path, got " + model);
    }
    if (!Files.isRegularFile(onnx)) {
      throw new IllegalStateException(onnx + " not found (see docs/BENCHMARKS.md)");
    }
    byte[] bytes = Converter.convert(onnx, ConvertOptions.builder().build()).artifact();
    Path p = Files.createTempFile("load-" + model, ".topiary");
    Files.write(p, bytes);
    return p;
  }

  private static int threads = SessionOptions.defaults().threads();
  private static boolean steps;

  /**
   * {@code load-probe [--loads N] [--runs N] [--threads N] [--steps] [model ...]}: see the class
   * javadoc; {@code --steps} also lists the plan steps whose first run took longest over their
   * steady time.
   */
  static void probe(String[] args) throws Exception {
    int loads = 200;
    int runs = 200;
    List<String> names = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--help") || args[i].equals("-h")) {
        System.out.println("usage: load-probe [--loads 200] [--runs 200] [--threads N] [--steps] [MODEL ...]\n"
            + "  MODEL: cnn, mobilenetv2 (made by tools/fixtures) or a .topiary file;"
            + " default cnn mobilenetv2");
        return;
      }
      if (i + 1 >= args.length && (args[i].equals("--loads") || args[i].equals("--runs")
          || args[i].equals("--threads"))) {
        throw new IllegalArgumentException("missing value after " + args[i]);
      }
      if (args[i].equals("--loads")) {
        loads = Integer.parseInt(args[++i]);
      } else if (args[i].equals("--runs")) {
        runs = Integer.parseInt(args[++i]);
      } else if (args[i].equals("--threads")) {
        threads = Integer.parseInt(args[++i]);
      } else if (args[i].equals("--steps")) {
        steps = true;
      } else {
        names.add(args[i]);
      }
    }
    if (names.isEmpty()) {
      names = Arrays.asList("cnn", "mobilenetv2");
    }
    Path[] paths = new Path[names.size()];
    for (int i = 0; i < paths.length; i++) {
      paths[i] = artifact(names.get(i));
    }
    try {
      // Cold: the first load and the first runs of this JVM, before anything else touched the runtime.
      for (int i = 0; i < paths.length; i++) {
        long t0 = System.nanoTime();
        Model m = Model.load(paths[i]);
        long t1 = System.nanoTime();
        System.out.printf(Locale.ROOT, "%-12s cold: first load %.1f ms%n", names.get(i), (t1 - t0) / 1e6);
        firstRuns(names.get(i) + " cold", m, 20);
      }
      long[][] times = new long[paths.length][loads];
      for (int r = 0; r < loads; r++) {
        for (int i = 0; i < paths.length; i++) {
          long t0 = System.nanoTime();
          Model m = Model.load(paths[i]);
          times[i][r] = System.nanoTime() - t0;
          m.close();
        }
      }
      for (int i = 0; i < paths.length; i++) {
        long[] t = times[i];
        Arrays.sort(t);
        System.out.printf(Locale.ROOT, "%-12s warm load over %d: median %.2f ms, p10 %.2f, p90 %.2f, min %.2f%n",
            names.get(i), loads, t[loads / 2] / 1e6, t[loads / 10] / 1e6, t[loads * 9 / 10] / 1e6, t[0] / 1e6);
      }
      for (int i = 0; i < paths.length; i++) {
        long before = usedAfterGc();
        Model m = Model.load(paths[i]);
        long after = usedAfterGc();
        System.out.printf(Locale.ROOT, "%-12s retained heap of a loaded model: %.2f MB (file %.2f MB)%n",
            names.get(i), (after - before) / 1e6, m.fileSize() / 1e6);
        firstRuns(names.get(i) + " warm", m, runs);
        m.close();
      }
    } finally {
      for (int i = 0; i < paths.length; i++) {
        if (!names.get(i).endsWith(".topiary")) {
          Files.deleteIfExists(paths[i]);
        }
      }
    }
  }

  /** Opens a session and times its first run, second run and the median of {@code runs} more. */
  private static void firstRuns(String label, Model m, int runs) {
    Map<String, ByteBuffer> in = new HashMap<>();
    for (TensorInfo t : m.inputs()) {
      ByteBuffer b = ByteBuffer.allocate(t.shape().elementCount() * t.dataType().byteSize()).order(ByteOrder.nativeOrder());
      in.put(t.name(), b);
    }
    Map<String, ByteBuffer> out = new HashMap<>();
    for (TensorInfo t : m.outputs()) {
      out.put(t.name(), ByteBuffer.allocate(t.shape().elementCount() * t.dataType().byteSize()).order(ByteOrder.nativeOrder()));
    }
    long t0 = System.nanoTime();
    try (Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
      long t1 = System.nanoTime();
      int ns = ModelAccess.get().plan(m).steps().size();
      long[] first = new long[ns];
      if (steps) {
        ModelAccess.get().timeSteps(s, first);
      }
      s.run(in, out);
      long t2 = System.nanoTime();
      long[] later = new long[ns];
      if (steps) {
        ModelAccess.get().timeSteps(s, later);
      }
      s.run(in, out);
      long t3 = System.nanoTime();
      long[] steady = new long[runs];
      for (int r = 0; r < runs; r++) {
        long a = System.nanoTime();
        s.run(in, out);
        steady[r] = System.nanoTime() - a;
      }
      Arrays.sort(steady);
      if (steps) {
        Integer[] order = new Integer[ns];
        for (int i = 0; i < ns; i++) {
          order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Long.compare(first[y] - later[y], first[x] - later[x]));
        for (int i = 0; i < Math.min(8, ns); i++) {
          Plan.Step st = ModelAccess.get().plan(m).steps().get(order[i]);
          System.out.printf(Locale.ROOT, "  %-40s %-16s first %.3f ms, last %.3f ms%n", st.nodeName, st.opType,
              first[order[i]] / 1e6, later[order[i]] / 1e6);
        }
      }
      System.out.printf(Locale.ROOT,
          "%-18s session %.2f ms, first run %.2f ms, second %.2f ms, steady median of %d %.2f ms (min %.2f)%n",
          label, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, runs, steady[runs / 2] / 1e6, steady[0] / 1e6);
    }
  }

  private static long usedAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(50);
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    return used;
  }
}
