package dev.topiary.benchmarks;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.npy.Npy;
import dev.topiary.converter.quantize.QuantizeMode;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.ThreadPool;
import dev.topiary.internal.ops.Frame;
import dev.topiary.internal.plan.Plan;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The int8 model against the fp32 model, both converted in memory from the same ONNX file and run
 * in one process through Topiary: int8's latency as a multiple of fp32's (issue #4 item 8).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar int8-vs-fp32 [--models cnn,mobilenetv2] [--threads 1,2]
 *     [--rounds 20] [--round-ms 150] [--warmup-ms 1500] [--calibration N] [--profile] [--json]
 * </pre>
 *
 * <p>Per model: convert to FLOAT32 ({@code QuantizeMode.NONE}) and to INT8 (calibrated on the
 * fixture's calibration images: {@code calibration_images.npy} for the Fashion-MNIST CNN; for
 * MobileNetV2 its fixture input plus seeded uniform images), load both, then for each thread count
 * open one session per precision, feed both the same seeded input, warm both up alternately and
 * measure in alternating rounds (K runs of one, K of the other, the order swapped every round), each
 * run timed on its own. Reported: medians, p10–p90, and int8 median / fp32 median (below 1 int8 is
 * faster). {@code --profile} adds per-op times: every plan step timed on its own over many runs, summed
 * per op type. See docs/BENCHMARKS.md.
 */
public final class Int8VsFp32 {
  static final String SCHEMA = "topiary.int8-vs-fp32/1";

  private Int8VsFp32() {}

  static final class Options {
    int[] threads = {1, 2};
    int batch = 1;
    int rounds = 20;
    double roundMs = 150;
    double warmupMs = 1500;
    int warmupRuns = 10;
    int calibration = 100; // images (CNN) or samples (MobileNetV2)
    List<String> models = Arrays.asList("cnn", "mobilenetv2");
    boolean json;
    boolean profile;
    long seed = 42;
    Path fixtures;
    Path torchvision = Path.of(System.getProperty("user.home"), ".cache", "topiary", "fixtures");
  }

  static final class Result {
    String model;
    int threads;
    int[] shape;
    double fp32ConvertMs;
    double int8ConvertMs;
    int runsPerBlock;
    double loadAvgStart;
    double loadAvgEnd;
    SideBySide.Stats fp32 = new SideBySide.Stats();
    SideBySide.Stats int8 = new SideBySide.Stats();
    Map<String, double[]> profile; // op type -> {fp32 us, int8 us} per run

    double ratio() {
      return int8.quantile(0.5) / fp32.quantile(0.5);
    }

    private double[] ratioInterval;

    /**
     * The 95 % bootstrap interval of {@link #ratio()} over rounds ({@link RoundStatistics#ratioInterval}),
     * drawn once: the table and the JSON both print it.
     */
    double[] ratioInterval() {
      if (ratioInterval == null) {
        ratioInterval = RoundStatistics.ratioInterval(int8.runsMs, fp32.runsMs, runsPerBlock, SideBySide.RATIO_SEED);
      }
      return ratioInterval;
    }
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("int8-vs-fp32: " + e.getMessage());
      System.err.println(usage());
      System.exit(2);
      return;
    }
    if (o == null) {
      System.out.println(usage());
      return;
    }
    String started = Instant.now().toString();
    double loadStart = SideBySide.loadAverage();
    List<Result> results = new ArrayList<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    SideBySide.Options paths = new SideBySide.Options();
    paths.fixtures = o.fixtures;
    paths.torchvision = o.torchvision;
    for (String name : o.models) {
      Path onnx;
      try {
        onnx = name.equals("cnn") ? SideBySide.fashionMnist(paths, "cnn") : SideBySide.torchvision(paths, name);
      } catch (SideBySide.Skip e) {
        skipped.put(name, e.getMessage());
        System.err.println("skip " + name + ": " + e.getMessage());
        continue;
      }
      try {
        results.addAll(measure(o, name, onnx));
      } catch (Exception e) {
        skipped.put(name, e.toString());
        System.err.println("failed " + name + ": " + e);
        e.printStackTrace();
      }
    }
    double loadEnd = SideBySide.loadAverage();
    java.io.PrintStream tableOut = o.json ? System.err : System.out;
    if (o.json) {
      System.out.println(json(o, started, loadStart, loadEnd, results, skipped));
    }
    tableOut.print(table(results));
    tableOut.println(String.format(Locale.ROOT,
        "Java %s, %d CPUs, load average %.2f at start, %.2f at end. ratio = int8 median / fp32 median (< 1: int8 faster); 95%% int. = bootstrap interval over rounds.",
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), loadStart, loadEnd));
    skipped.forEach((k, v) -> tableOut.println("skipped " + k + ": " + v));
  }

  static String usage() {
    return "usage: int8-vs-fp32 [--models cnn,mobilenetv2] [--threads 1,2] [--batch 1] [--rounds 20] [--round-ms 150]\n"
        + "    [--warmup-ms 1500] [--warmup-runs 10] [--calibration 100] [--seed 42] [--profile] [--json]\n"
        + "    [--fixtures DIR] [--torchvision DIR]";
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
          continue;
        case "--profile":
          o.profile = true;
          continue;
        default:
          break;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--threads":
          o.threads = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
          break;
        case "--batch":
          o.batch = Integer.parseInt(v);
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
        case "--calibration":
          o.calibration = Integer.parseInt(v);
          if (o.calibration < 1) {
            throw new IllegalArgumentException("--calibration must be at least 1, got " + v);
          }
          break;
        case "--seed":
          o.seed = Long.parseLong(v);
          break;
        case "--models":
          o.models = Arrays.asList(v.split(","));
          for (String m : o.models) {
            if (!m.equals("cnn") && !m.equals("mobilenetv2") && !m.equals("resnet18")) {
              throw new IllegalArgumentException("unknown model '" + m + "' (cnn, mobilenetv2, resnet18)");
            }
          }
          break;
        case "--fixtures":
          o.fixtures = Path.of(v);
          break;
        case "--torchvision":
          o.torchvision = Path.of(v);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + a);
      }
    }
    return o;
  }

  /** Converts {@code onnx} both ways, then measures each thread count. */
  static List<Result> measure(Options o, String name, Path onnx) throws Exception {
    String input;
    int[] shape;
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "int8-vs-fp32");
    try (OrtSession ort = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
      Map.Entry<String, NodeInfo> first = ort.getInputInfo().entrySet().iterator().next();
      input = first.getKey();
      long[] declared = ((TensorInfo) first.getValue().getInfo()).getShape();
      shape = new int[declared.length];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = declared[i] < 0 ? 1 : (int) declared[i];
      }
    }
    shape[0] = o.batch;
    System.err.println(name + ": converting to fp32 and int8 (" + o.calibration + " calibration samples) ...");
    long t0 = System.nanoTime();
    byte[] fp32 = Converter.convert(onnx, ConvertOptions.builder().inputShape(input, shape).build()).artifact();
    double fp32Ms = (System.nanoTime() - t0) / 1e6;
    Tensor calibration = calibration(o, name, onnx, shape);
    t0 = System.nanoTime();
    byte[] int8 = Converter.convert(onnx, ConvertOptions.builder().inputShape(input, shape)
        .quantize(QuantizeMode.INT8).calibration(calibration).build()).artifact();
    double int8Ms = (System.nanoTime() - t0) / 1e6;
    List<Result> out = new ArrayList<>();
    try (Model mf = Model.load(ByteBuffer.wrap(fp32)); Model mq = Model.load(ByteBuffer.wrap(int8))) {
      for (int t : o.threads) {
        System.err.println("running " + name + " threads " + t + " ...");
        Result r = new Result();
        r.model = name;
        r.threads = t;
        r.shape = shape;
        r.fp32ConvertMs = fp32Ms;
        r.int8ConvertMs = int8Ms;
        r.loadAvgStart = SideBySide.loadAverage();
        run(o, r, mf, mq);
        if (o.profile) {
          r.profile = profile(o, mf, mq, t);
        }
        r.loadAvgEnd = SideBySide.loadAverage();
        System.err.println(String.format(Locale.ROOT, "  fp32 median %.4f ms, int8 median %.4f ms, ratio %.2f",
            r.fp32.quantile(0.5), r.int8.quantile(0.5), r.ratio()));
        out.add(r);
      }
    }
    return out;
  }

  /**
   * The calibration samples: the first N of the CNN's {@code calibration_images.npy}; for the
   * torchvision models the fixture input (when present) and seeded images uniform in [−2, 2) (about
   * the range of ImageNet-normalized pixels).
   */
  static Tensor calibration(Options o, String name, Path onnx, int[] shape) throws Exception {
    int per = 1;
    for (int i = 1; i < shape.length; i++) {
      per *= shape[i];
    }
    int[] dims = shape.clone();
    if (name.equals("cnn")) {
      float[] all = Npy.read(onnx.getParent().resolve("calibration_images.npy")).tensor().toFloatArray();
      int n = Math.min(o.calibration, all.length / per);
      dims[0] = n;
      return Tensor.ofFloats(Shape.of(dims), Arrays.copyOf(all, n * per));
    }
    float[] v = new float[o.calibration * per];
    Random random = new Random(o.seed + 1);
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextFloat() * 4 - 2;
    }
    Path fixture = onnx.getParent().resolve(name + "_input.npy");
    if (Files.isRegularFile(fixture)) {
      float[] x = Npy.read(fixture).tensor().toFloatArray();
      System.arraycopy(x, 0, v, 0, Math.min(per, x.length));
    }
    dims[0] = o.calibration;
    return Tensor.ofFloats(Shape.of(dims), v);
  }

  /** One session per precision, the same input; warm-up, then alternating rounds. */
  private static void run(Options o, Result r, Model mf, Model mq) {
    SessionOptions so = SessionOptions.builder().threads(r.threads).build();
    try (Session sf = mf.newSession(so); Session sq = mq.newSession(so)) {
      Runnable[] engines = {runner(o, mf, sf), runner(o, mq, sq)};
      double[] warm = new double[2];
      long warmEnd = System.nanoTime() + (long) (2 * o.warmupMs * 1e6);
      int chunk = 1;
      int warmRuns = 0;
      while (System.nanoTime() < warmEnd || warmRuns < o.warmupRuns) {
        warmRuns += chunk;
        for (int e = 0; e < 2; e++) {
          long s = System.nanoTime();
          for (int i = 0; i < chunk; i++) {
            engines[e].run();
          }
          warm[e] = (System.nanoTime() - s) / 1e6 / chunk;
        }
        chunk = (int) Math.max(1, Math.min(1000, 50 / Math.max(1e-3, Math.max(warm[0], warm[1]))));
      }
      int k = (int) Math.max(1, Math.min(10_000, Math.round(o.roundMs / Math.max(1e-3, Math.max(warm[0], warm[1])))));
      r.runsPerBlock = k;
      double[][] runs = new double[2][o.rounds * k];
      for (int round = 0; round < o.rounds; round++) {
        for (int half = 0; half < 2; half++) {
          int e = (round + half) % 2;
          for (int i = 0; i < k; i++) {
            long s = System.nanoTime();
            engines[e].run();
            runs[e][round * k + i] = (System.nanoTime() - s) / 1e6;
          }
        }
      }
      r.fp32.runsMs = runs[0];
      r.int8.runsMs = runs[1];
    }
  }

  private static Runnable runner(Options o, Model m, Session s) {
    Map<String, ByteBuffer> in = new LinkedHashMap<>();
    Random random = new Random(o.seed);
    for (dev.topiary.TensorInfo info : m.inputs()) {
      int n = info.shape().elementCount();
      ByteBuffer b = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
      for (int i = 0; i < n; i++) {
        b.putFloat(i * 4, random.nextFloat() * 2 - 1);
      }
      in.put(info.name(), b);
    }
    Map<String, ByteBuffer> out = new LinkedHashMap<>();
    for (dev.topiary.TensorInfo info : m.outputs()) {
      out.put(info.name(), ByteBuffer.allocateDirect(info.shape().elementCount() * info.dataType().byteSize())
          .order(ByteOrder.nativeOrder()));
    }
    return () -> s.run(in, out);
  }

  /**
   * Microseconds per run of each op type, fp32 and int8: every plan step run and timed on its own,
   * the model run whole {@code runs} times after a warm-up, the median of each step kept.
   */
  static Map<String, double[]> profile(Options o, Model mf, Model mq, int threads) {
    Map<String, double[]> byOp = new java.util.TreeMap<>();
    Model[] models = {mf, mq};
    for (int e = 0; e < 2; e++) {
      Plan plan = ModelAccess.get().plan(models[e]);
      Parallel parallel = threads == 1 ? Parallel.sequential() : new ThreadPool(threads);
      try {
        Object[] arrays = plan.newFrameArrays();
        float[][] scratch = new float[parallel.workers()][plan.scratchFloats()];
        int[][] scratchInts = new int[parallel.workers()][plan.scratchInts()];
        long[][] scratchLongs = new long[parallel.workers()][plan.scratchLongs()];
        byte[][] scratchBytes = new byte[parallel.workers()][plan.scratchBytes()];
        Frame frame = new Frame(arrays, plan.frameOffsets(), parallel, scratch, scratchInts, scratchLongs,
            scratchBytes);
        Random random = new Random(o.seed);
        for (int k = 0; k < plan.inputs().size(); k++) {
          int id = plan.inputId(k);
          if (plan.tensorType(id) == DataType.FLOAT32) {
            float[] a = (float[]) arrays[id];
            int off = plan.frameOffsets()[id];
            int n = plan.inputs().get(k).shape().elementCount();
            for (int i = 0; i < n; i++) {
              a[off + i] = random.nextFloat() * 2 - 1;
            }
          }
        }
        List<Plan.Step> steps = plan.steps();
        long end = System.nanoTime() + (long) (o.warmupMs * 1e6);
        int warm = 0;
        while (System.nanoTime() < end || warm < o.warmupRuns) {
          for (Plan.Step s : steps) {
            s.kernel.run(frame);
          }
          warm++;
        }
        int runs = Math.max(11, Math.min(2001, warm));
        double[][] t = new double[steps.size()][runs];
        for (int r = 0; r < runs; r++) {
          for (int i = 0; i < steps.size(); i++) {
            long s = System.nanoTime();
            steps.get(i).kernel.run(frame);
            t[i][r] = (System.nanoTime() - s) / 1e3;
          }
        }
        for (int i = 0; i < steps.size(); i++) {
          Arrays.sort(t[i]);
          String op = steps.get(i).opType + (e == 1 && isInt8(plan, steps.get(i)) ? " int8" : "") + " "
              + kernelName(steps.get(i));
          byOp.computeIfAbsent(op, x -> new double[2])[e] += t[i][runs / 2];
        }
      } finally {
        if (parallel instanceof ThreadPool) {
          ((ThreadPool) parallel).close();
        }
      }
    }
    return byOp;
  }

  /** The kernel's class, or the class that made it for a lambda. */
  private static String kernelName(Plan.Step s) {
    String n = s.kernel.getClass().getName();
    n = n.substring(n.lastIndexOf('.') + 1);
    int lambda = n.indexOf("$$");
    return lambda >= 0 ? n.substring(0, lambda) : n;
  }

  private static boolean isInt8(Plan plan, Plan.Step s) {
    return s.outputs.length > 0 && plan.tensorType(s.outputs[0]) == DataType.INT8;
  }

  static String table(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    String h = "%-12s %3s %-14s | %9s %19s | %9s %19s | %6s %11s | %6s %6s%n";
    sb.append(String.format(Locale.ROOT, h, "model", "thr", "input", "fp32 med", "fp32 p10-p90", "int8 med",
        "int8 p10-p90", "ratio", "95% int.", "K", "rounds"));
    for (Result r : results) {
      double[] ci = r.ratioInterval();
      sb.append(String.format(Locale.ROOT,
          "%-12s %3d %-14s | %9.4f %9.4f-%-9.4f | %9.4f %9.4f-%-9.4f | %6.2f %11s | %6d %6d%n",
          r.model, r.threads, Shape.of(r.shape), r.fp32.quantile(0.5), r.fp32.quantile(0.1), r.fp32.quantile(0.9),
          r.int8.quantile(0.5), r.int8.quantile(0.1), r.int8.quantile(0.9), r.ratio(),
          String.format(Locale.ROOT, "%.2f-%.2f", ci[0], ci[1]), r.runsPerBlock,
          r.fp32.runsMs.length / Math.max(1, r.runsPerBlock)));
    }
    for (Result r : results) {
      if (r.profile == null) {
        continue;
      }
      sb.append(String.format(Locale.ROOT, "%nper op, %s, %d thread(s), median us per run (steps timed one by one):%n",
          r.model, r.threads));
      sb.append(String.format(Locale.ROOT, "  %-46s %10s %10s%n", "op", "fp32 us", "int8 us"));
      double[] total = new double[2];
      for (Map.Entry<String, double[]> e : r.profile.entrySet()) {
        double[] v = e.getValue();
        total[0] += v[0];
        total[1] += v[1];
        sb.append(String.format(Locale.ROOT, "  %-46s %10.1f %10.1f%n", e.getKey(), v[0], v[1]));
      }
      sb.append(String.format(Locale.ROOT, "  %-46s %10.1f %10.1f%n", "total", total[0], total[1]));
    }
    return sb.toString();
  }

  static String json(Options o, String started, double loadStart, double loadEnd, List<Result> results,
      Map<String, String> skipped) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\n  \"schema\": \"").append(SCHEMA).append("\",\n");
    sb.append("  \"started\": \"").append(started).append("\",\n");
    sb.append("  \"java\": \"").append(System.getProperty("java.vm.name")).append(' ')
        .append(System.getProperty("java.version")).append("\",\n");
    sb.append("  \"cpus\": ").append(Runtime.getRuntime().availableProcessors()).append(",\n");
    sb.append("  \"loadAverage\": {\"start\": ").append(num(loadStart)).append(", \"end\": ").append(num(loadEnd))
        .append("},\n");
    sb.append("  \"settings\": {\"rounds\": ").append(o.rounds).append(", \"roundMs\": ").append(num(o.roundMs))
        .append(", \"warmupMs\": ").append(num(o.warmupMs)).append(", \"warmupRuns\": ").append(o.warmupRuns)
        .append(", \"calibration\": ").append(o.calibration).append(", \"seed\": ").append(o.seed).append("},\n");
    sb.append("  \"results\": [");
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      sb.append(i == 0 ? "\n" : ",\n");
      sb.append("    {\"model\": \"").append(r.model).append("\", \"threads\": ").append(r.threads)
          .append(", \"inputShape\": ").append(Arrays.toString(r.shape))
          .append(", \"fp32ConvertMs\": ").append(num(r.fp32ConvertMs))
          .append(", \"int8ConvertMs\": ").append(num(r.int8ConvertMs))
          .append(", \"runsPerBlock\": ").append(r.runsPerBlock).append(", \"rounds\": ").append(o.rounds)
          .append(", \"loadAverage\": {\"start\": ").append(num(r.loadAvgStart)).append(", \"end\": ")
          .append(num(r.loadAvgEnd)).append("},\n");
      sb.append("     \"fp32\": ").append(stats(r.fp32)).append(",\n");
      sb.append("     \"int8\": ").append(stats(r.int8)).append(",\n");
      if (r.profile != null) {
        sb.append("     \"profileUs\": {");
        int j = 0;
        for (Map.Entry<String, double[]> e : r.profile.entrySet()) {
          sb.append(j++ == 0 ? "" : ", ").append('"').append(e.getKey()).append("\": [").append(num(e.getValue()[0]))
              .append(", ").append(num(e.getValue()[1])).append(']');
        }
        sb.append("},\n");
      }
      double[] ci = r.ratioInterval();
      sb.append("     \"ratioMedian\": ").append(num(r.ratio())).append(", \"ratioMedianInterval95\": [")
          .append(num(ci[0])).append(", ").append(num(ci[1])).append("]}");
    }
    sb.append("\n  ],\n  \"skipped\": [");
    int i = 0;
    for (Map.Entry<String, String> e : skipped.entrySet()) {
      sb.append(i++ == 0 ? "\n" : ",\n").append("    {\"what\": \"").append(e.getKey()).append("\", \"reason\": \"")
          .append(e.getValue().replace("\\", "\\\\").replace("\"", "\\\"")).append("\"}");
    }
    sb.append(i == 0 ? "]\n}" : "\n  ]\n}");
    return sb.toString();
  }

  private static String stats(SideBySide.Stats s) {
    return "{\"medianMs\": " + num(s.quantile(0.5)) + ", \"p10Ms\": " + num(s.quantile(0.1)) + ", \"p90Ms\": "
        + num(s.quantile(0.9)) + ", \"minMs\": " + num(s.min()) + ", \"runs\": " + s.runsMs.length + "}";
  }

  private static String num(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "null";
    }
    return String.format(Locale.ROOT, "%.6g", v);
  }
}
