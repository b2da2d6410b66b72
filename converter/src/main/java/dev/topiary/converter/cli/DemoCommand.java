package dev.topiary.converter.cli;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Tensor;
import dev.topiary.TensorInfo;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.cli.CommandSpec.Option;
import dev.topiary.converter.npy.Npy;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code topiary demo}: converts the bundled Fashion-MNIST CNN from ONNX, runs the 1000 bundled test
 * images through it one by one and prints a small table: sizes, conversion time, accuracy next to
 * the accuracy PyTorch measured on the same images, and batch-1 latency.
 *
 * <p>Images are run one at a time, with the batch of 1 the conversion fixes: converting with a larger
 * batch made the pass no faster (see docs/CLI.md for the measurement) and grew the arena with the
 * batch, and batch-1 runs are the latency the table reports.
 */
final class DemoCommand implements Command {
  /** The fixtures' directory under the repository root. */
  static final String FIXTURES = "tools/fixtures/fashion-mnist";
  /** What generates the fixtures, relative to the repository root. */
  static final String GENERATOR = "tools/fixtures/make_fixtures.sh";
  /** The system property and the environment variable that name the repository root. */
  static final String HOME_PROPERTY = "topiary.home";
  static final String HOME_VARIABLE = "TOPIARY_HOME";

  private static final String MODEL = "cnn.onnx";
  private static final String IMAGES = "test_images.npy";
  private static final String LABELS = "test_labels.npy";
  private static final String JSON = "fixtures.json";

  private static final CommandSpec SPEC =
      new CommandSpec(
          "demo",
          "demo [options]",
          "convert the bundled Fashion-MNIST CNN and measure its accuracy and latency",
          """
          Converts the Fashion-MNIST CNN bundled in the repository
          (tools/fixtures/fashion-mnist/cnn.onnx) with the class names and input normalization
          recorded in fixtures.json, runs the 1000 bundled test images through it one at a
          time and prints the artifact and ONNX sizes, the conversion time, the accuracy next
          to the accuracy PyTorch measured on the same images, the first run's latency, and
          the batch-1 latency (median and p90 of a second pass over the images, warm).

          The repository root is the system property topiary.home (set by the ./topiary
          launcher), else the environment variable TOPIARY_HOME, else the nearest directory
          above the current one that holds tools/fixtures or converter/pom.xml. When the
          fixtures are missing, generate them with tools/fixtures/make_fixtures.sh.""",
          List.of(),
          List.of(
              Option.value("--threads", "N", "threads to compute with, 1..256 (default: min(4, processors))"),
              Option.value("--fixtures", "DIR", "the fixtures directory (default: " + FIXTURES + " under the repository root)"),
              Option.flag("--json", "print one JSON object (schema topiary.demo/1) instead of the table")));

  @Override
  public CommandSpec spec() {
    return SPEC;
  }

  @Override
  public int run(Args args, Console console) throws Exception {
    int threads = args.intValue("--threads", SessionOptions.defaults().threads(), 1, 256);
    Path dir = args.has("--fixtures") ? Path.of(args.value("--fixtures", null)) : display(home().resolve(FIXTURES));
    for (String f : new String[] {MODEL, IMAGES, LABELS, JSON}) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        throw new CliException("the Fashion-MNIST fixtures are missing (" + dir.resolve(f) + " not found); generate them with "
            + GENERATOR + " (it prints what to install)");
      }
    }
    DemoFixtures fx = DemoFixtures.read(dir.resolve(JSON));
    Tensor images = Npy.read(dir.resolve(IMAGES)).tensor();
    Tensor labelTensor = Npy.read(dir.resolve(LABELS)).tensor();
    int[] labels = labels(labelTensor, dir.resolve(LABELS));
    int n = labels.length;
    if (images.dataType() != DataType.FLOAT32 || images.shape().rank() < 2 || images.shape().dim(0) != n) {
      throw new CliException(dir.resolve(IMAGES) + ": expected " + n + " FLOAT32 images [" + n + ",...], got "
          + images.shape() + " " + images.dataType());
    }

    Path source = dir.resolve(MODEL);
    ConvertOptions.Builder b = ConvertOptions.builder().labels(fx.classNames());
    if (fx.mean() != null) {
      b.normalization(fx.mean(), fx.std());
    }
    ConvertOptions options = b.build();
    ConversionResult conversion = Conversion.convert(source, options);
    List<String> notes = new ArrayList<>(Conversion.notes(conversion, options));
    notes.removeIf(note -> note.startsWith("batch dimension of "));  // batch 1 is what the demo runs
    Conversion.printNotes(console, source, notes);

    Map<String, Object> r = new LinkedHashMap<>();
    r.put("schema", "topiary.demo/1");
    r.put("model", source.toString());
    r.put("onnx_bytes", conversion.summary().bytesIn());
    r.put("artifact_bytes", conversion.summary().bytesOut());
    r.put("parameters", conversion.summary().parameterCount());
    r.put("nodes_before", Conversion.total(conversion.summary().opsBefore()));
    r.put("nodes_after", Conversion.total(conversion.summary().opsAfter()));
    r.put("source_opset", conversion.summary().sourceOpset());
    r.put("convert_ms", conversion.summary().elapsed().toNanos() / 1e6);

    long t0 = System.nanoTime();
    Model loaded;
    try {
      loaded = Model.load(ByteBuffer.wrap(conversion.artifact()));
    } catch (ModelFormatException e) {
      throw new ModelFormatException(source + " (converted in memory): " + e.getMessage(), e);
    }
    try (Model model = loaded) {
      long loadNanos = System.nanoTime() - t0;
      Evaluation e = evaluate(model, images, labels, threads, console);
      r.put("load_ms", loadNanos / 1e6);
      r.put("images", n);
      r.put("correct", e.correct);
      r.put("accuracy", (double) e.correct / n);
      r.put("reference", fx.reference());
      r.put("reference_accuracy", fx.referenceAccuracy());
      List<Object> perClass = new ArrayList<>();
      for (int k = 0; k < e.classTotal.length; k++) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("index", k);
        c.put("label", k < fx.classNames().size() ? fx.classNames().get(k) : null);
        c.put("images", e.classTotal[k]);
        c.put("correct", e.classCorrect[k]);
        c.put("accuracy", e.classTotal[k] == 0 ? null : (double) e.classCorrect[k] / e.classTotal[k]);
        perClass.add(c);
      }
      r.put("per_class", perClass);
      r.put("threads", threads);
      r.put("batch", 1);
      long[] sorted = e.warmNanos.clone();
      Arrays.sort(sorted);
      r.put("first_run_ms", e.firstNanos / 1e6);
      r.put("runs", sorted.length);
      r.put("median_ms", sorted.length == 0 ? null : BenchCommand.median(sorted) / 1e6);
      r.put("p90_ms", sorted.length == 0 ? null : BenchCommand.percentile(sorted, 0.90) / 1e6);
      r.put("accuracy_pass_ms", e.accuracyNanos / 1e6);
      r.put("java", Runtime.version().toString());
      r.put("processors", Runtime.getRuntime().availableProcessors());
    }
    if (args.has("--json")) {
      console.out().println(Json.pretty(r));
    } else {
      printText(console.out(), r, source);
    }
    return Main.OK;
  }

  /**
   * What running every image gave: correct answers overall and per class, the first run's time,
   * the times of the warm pass, and the time of the accuracy pass.
   */
  private record Evaluation(int correct, int[] classCorrect, int[] classTotal, long firstNanos, long[] warmNanos,
      long accuracyNanos) {}

  /**
   * Runs every image through a fresh session, one at a time, in caller-owned buffers: a first pass
   * for the accuracy (its first run is the cold first-run latency), then a second pass, with the JIT
   * compiler warmed up, for the batch-1 latency.
   */
  private static Evaluation evaluate(Model model, Tensor images, int[] labels, int threads, Console console)
      throws CliException {
    if (model.inputs().size() != 1 || model.outputs().size() != 1) {
      throw new CliException("the demo model should have one input and one output, it has " + model.inputs().size()
          + " and " + model.outputs().size());
    }
    TensorInfo in = model.inputs().get(0);
    TensorInfo out = model.outputs().get(0);
    int n = labels.length;
    int imageBytes = Math.toIntExact((long) in.shape().elementCount() * in.dataType().byteSize());
    if (in.dataType() != DataType.FLOAT32 || in.shape().dim(0) != 1
        || (long) imageBytes * n != (long) images.shape().elementCount() * 4) {
      throw new CliException("the images " + images.shape() + " do not fit the model's input " + in);
    }
    int classes = out.shape().elementCount();
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new CliException("label " + labels[i] + " of image " + i + " is not one of the model's " + classes + " classes");
      }
    }
    ByteBuffer all = images.buffer().order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer scores = ByteBuffer.allocate(classes * 4).order(ByteOrder.LITTLE_ENDIAN);
    Map<String, ByteBuffer> inputs = new LinkedHashMap<>();
    Map<String, ByteBuffer> outputs = Map.of(out.name(), scores);
    int correct = 0;
    int[] classCorrect = new int[classes];
    int[] classTotal = new int[classes];
    long first = 0;
    long[] warm = new long[n];
    Progress progress = new Progress(console, "demo", 2 * n);
    long start = System.nanoTime();
    long accuracyNanos;
    try (Session session = model.newSession(SessionOptions.builder().threads(threads).build())) {
      for (int i = 0; i < n; i++) {
        inputs.put(in.name(), all.slice(i * imageBytes, imageBytes).order(ByteOrder.LITTLE_ENDIAN));
        long t = System.nanoTime();
        session.run(inputs, outputs);
        if (i == 0) {
          first = System.nanoTime() - t;
        }
        int best = 0;
        for (int k = 1; k < classes; k++) {
          if (scores.getFloat(4 * k) > scores.getFloat(4 * best)) {
            best = k;
          }
        }
        classTotal[labels[i]]++;
        if (best == labels[i]) {
          correct++;
          classCorrect[best]++;
        }
        progress.update("accuracy, image", i + 1);
      }
      accuracyNanos = System.nanoTime() - start;
      for (int i = 0; i < n; i++) {
        inputs.put(in.name(), all.slice(i * imageBytes, imageBytes).order(ByteOrder.LITTLE_ENDIAN));
        long t = System.nanoTime();
        session.run(inputs, outputs);
        warm[i] = System.nanoTime() - t;
        progress.update("latency, image", n + i + 1);
      }
    } finally {
      progress.clear();
    }
    return new Evaluation(correct, classCorrect, classTotal, first, warm, accuracyNanos);
  }

  /** The labels file as ints: INT64 or INT32, rank 1. */
  private static int[] labels(Tensor t, Path file) throws CliException {
    if (t.shape().rank() != 1 || (t.dataType() != DataType.INT64 && t.dataType() != DataType.INT32) || t.shape().dim(0) < 2) {
      throw new CliException(file + ": expected a [N] int64 array of class indices, got " + t.shape() + " " + t.dataType());
    }
    if (t.dataType() == DataType.INT32) {
      return t.toIntArray();
    }
    long[] l = t.toLongArray();
    int[] r = new int[l.length];
    for (int i = 0; i < l.length; i++) {
      r[i] = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, l[i]));
    }
    return r;
  }

  /**
   * The repository root: {@value #HOME_PROPERTY}, else {@value #HOME_VARIABLE}, else the nearest
   * directory from the current one upwards holding {@code tools/fixtures} or {@code converter/pom.xml}.
   */
  static Path home() throws CliException {
    String set = System.getProperty(HOME_PROPERTY);
    if (set == null || set.isEmpty()) {
      set = System.getenv(HOME_VARIABLE);
    }
    if (set != null && !set.isEmpty()) {
      return Path.of(set);
    }
    Path cwd = Path.of("").toAbsolutePath();
    for (Path d = cwd; d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("tools/fixtures")) || Files.isRegularFile(d.resolve("converter/pom.xml"))) {
        return d;
      }
    }
    throw new CliException("cannot find the Topiary repository from " + cwd + "; run ./topiary demo in a clone, set "
        + HOME_VARIABLE + ", or pass --fixtures DIR");
  }

  @SuppressWarnings("unchecked")
  private static void printText(PrintStream out, Map<String, Object> r, Path source) {
    int n = (Integer) r.get("images");
    out.println("Fashion-MNIST demo: " + source + ", converted and run on " + n + " test images");
    out.println();
    TextTable t = new TextTable("", "topiary", "reference");
    t.row("model", "artifact of " + Fmt.count((Integer) r.get("nodes_after"), "runtime op"),
        "ONNX opset " + r.get("source_opset") + ", " + Fmt.count((Integer) r.get("nodes_before"), "node"));
    t.row("size", Fmt.bytes((Long) r.get("artifact_bytes")), Fmt.bytes((Long) r.get("onnx_bytes")) + " (.onnx)");
    t.row("parameters", Fmt.grouped((Long) r.get("parameters")), "");
    t.row("conversion", Fmt.ms((Double) r.get("convert_ms") * 1e6), "cold JVM");
    Double ref = (Double) r.get("reference_accuracy");
    t.row("accuracy", percent((Double) r.get("accuracy")) + " (" + r.get("correct") + "/" + n + ")",
        ref == null ? "(not recorded)" : percent(ref) + " " + r.get("reference"));
    Map<String, Object> worst = null;
    for (Object o : (List<Object>) r.get("per_class")) {
      Map<String, Object> c = (Map<String, Object>) o;
      if (c.get("accuracy") != null && (worst == null || (Double) c.get("accuracy") < (Double) worst.get("accuracy"))) {
        worst = c;
      }
    }
    if (worst != null) {
      t.row("hardest class", (worst.get("label") != null ? worst.get("label") : "class " + worst.get("index")) + ": "
          + percent((Double) worst.get("accuracy")) + " (" + worst.get("correct") + "/" + worst.get("images") + ")", "");
    }
    if (r.get("median_ms") != null) {
      t.row("latency, batch 1", "median " + Fmt.ms((Double) r.get("median_ms") * 1e6) + ", p90 "
          + Fmt.ms((Double) r.get("p90_ms") * 1e6), r.get("runs") + " runs, warm");
    }
    t.row("first run", Fmt.ms((Double) r.get("first_run_ms") * 1e6), "fresh session, cold JVM");
    t.row("threads", r.get("threads"), "");
    t.print(out, "");
    out.println();
    out.println("Convert it yourself: ./topiary convert " + source + " -o cnn.topiary");
  }

  private static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
  }

  /** {@code p} relative to the current directory when it is below it, for shorter messages about a path the demo found. */
  private static Path display(Path p) {
    Path cwd = Path.of("").toAbsolutePath();
    Path abs = p.toAbsolutePath().normalize();
    return abs.startsWith(cwd) && !abs.equals(cwd) ? cwd.relativize(abs) : p;
  }
}
