package dev.topiary.converter.cli;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Tensor;
import dev.topiary.TensorInfo;
import dev.topiary.converter.cli.CommandSpec.Option;
import dev.topiary.converter.npy.Npy;
import dev.topiary.converter.npy.NpyArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code topiary run MODEL --input NAME=FILE.npy ...}: runs a model once on {@code .npy} inputs,
 * writes each output as {@code <name>.npy} and prints a summary (statistics per output, the top-5
 * classes of a {@code [1,K]} float output with the model's labels, load time and latency).
 */
final class RunCommand implements Command {
  static final int TOP_K = 5;

  private static final CommandSpec SPEC =
      new CommandSpec(
          "run",
          "run MODEL --input [NAME=]FILE.npy ... [options]",
          "run a model once on .npy inputs and write its outputs as .npy files",
          """
          Loads MODEL, reads each input from a NumPy .npy file, runs the model once and writes
          every output to DIR/<output name>.npy (characters other than letters, digits, '.', '_'
          and '-' become '_'). Prints per output its shape, type, min, max and mean, and for a
          [1,K] float output the top-5 indices with the model's labels; then the latency of the
          run (the first run of a fresh session) and the load time.

          Each input file must match the model's input shape and type exactly; float64 and
          float16 files are converted to float32 (with a note on stderr).

          MODEL may be an ONNX model: it is converted in memory first, as 'topiary convert'
          would with the same --input-shape, --labels and --no-optimize options.""",
          List.of("MODEL"),
          Conversion.concat(List.of(
              Option.repeated("--input", "[NAME=]FILE.npy",
                  "an input tensor; repeat for each input (NAME may be left out for a single-input model)"),
              Option.value("--output-dir", "DIR", "where to write the outputs, created if missing (default: .)"),
              Option.value("--threads", "N", "threads to compute with, 1..256 (default: min(4, processors))"),
              Option.flag("--json", "print the summary as one JSON object (schema topiary.run/1)")),
              Conversion.OPTIONS));

  @Override
  public CommandSpec spec() {
    return SPEC;
  }

  @Override
  public int run(Args args, Console console) throws Exception {
    int threads = args.intValue("--threads", SessionOptions.defaults().threads(), 1, 256);
    boolean json = args.has("--json");
    Path outDir = Path.of(args.value("--output-dir", "."));
    if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
      throw new CliException("--output-dir " + outDir + " is not a directory");
    }
    ModelFile modelFile = ModelFile.open(args, console);
    Path modelPath = modelFile.path();

    long t0 = System.nanoTime();
    try (Model model = modelFile.load()) {
      long loadNanos = System.nanoTime() - t0;
      Map<String, String> files = bindInputs(args.values("--input"), model.inputs());
      Map<String, Tensor> inputs = new LinkedHashMap<>();
      List<Object> inputReport = new ArrayList<>();
      List<String> notes = new ArrayList<>();
      for (TensorInfo info : model.inputs()) {
        String file = files.get(info.name());
        NpyArray a = Npy.read(CliFiles.existingFile(file, ".npy file"));
        Tensor t = a.tensor();
        if (t.dataType() != info.dataType() || !t.shape().equals(info.shape())) {
          throw new CliException("input '" + info.name() + "' from " + file + ": expected " + info.shape() + " "
              + info.dataType() + ", got " + t.shape() + " " + t.dataType() + " (" + a.descr() + ")");
        }
        a.note().ifPresent(n -> notes.add(file + ": " + n));
        inputs.put(info.name(), t);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", info.name());
        r.put("file", file);
        r.put("dtype", info.dataType().name());
        r.put("shape", info.shape().dims());
        r.put("npy_dtype", a.descr());
        r.put("note", a.note().orElse(null));
        inputReport.add(r);
      }
      notes.forEach(console::note);

      Map<String, Tensor> outputs;
      long runNanos;
      try (Session session = model.newSession(SessionOptions.builder().threads(threads).build())) {
        long t1 = System.nanoTime();
        outputs = session.run(inputs);
        runNanos = System.nanoTime() - t1;
      }

      Files.createDirectories(outDir);
      Set<String> taken = new HashSet<>();
      List<Object> outputReport = new ArrayList<>();
      for (TensorInfo info : model.outputs()) {
        Tensor t = outputs.get(info.name());
        Path file = outDir.resolve(CliFiles.npyFileName(info.name(), taken));
        Npy.write(t, file);
        outputReport.add(describeOutput(info, t, file, model.metadata().labels()));
      }

      Map<String, Object> report = new LinkedHashMap<>();
      report.put("schema", "topiary.run/1");
      report.put("model", modelPath.toString());
      report.put("sha256", model.sha256());
      report.put("threads", threads);
      report.put("load_ms", loadNanos / 1e6);
      report.put("latency_ms", runNanos / 1e6);
      report.put("inputs", inputReport);
      report.put("outputs", outputReport);
      report.put("conversion", modelFile.conversionReport());
      if (json) {
        console.out().println(Json.pretty(report));
      } else {
        printText(console, modelFile, model, inputReport, outputReport, loadNanos, runNanos, threads);
      }
      return Main.OK;
    }
  }

  /**
   * Maps each model input to its file. An argument is {@code NAME=FILE} when the text before some
   * {@code =} is an input name; otherwise, for a single-input model, the whole argument is the file.
   */
  static Map<String, String> bindInputs(List<String> specs, List<TensorInfo> modelInputs) throws UsageException {
    Map<String, String> files = new LinkedHashMap<>();
    for (String spec : specs) {
      String name = null;
      String file = null;
      for (int eq = spec.indexOf('='); eq >= 0; eq = spec.indexOf('=', eq + 1)) {
        String candidate = spec.substring(0, eq);
        if (indexOf(modelInputs, candidate) >= 0) {
          name = candidate;
          file = spec.substring(eq + 1);
          break;
        }
      }
      if (name == null) {
        if (modelInputs.size() == 1 && (spec.indexOf('=') < 0 || CliFiles.exists(spec))) {
          name = modelInputs.get(0).name();
          file = spec;
        } else if (spec.indexOf('=') >= 0) {
          throw new UsageException("--input " + spec + ": the model has no input '" + spec.substring(0, spec.indexOf('='))
              + "'; its inputs are " + describe(modelInputs));
        } else {
          throw new UsageException("--input " + spec + ": name the input as NAME=FILE.npy; the model's inputs are "
              + describe(modelInputs));
        }
      }
      if (file.isEmpty()) {
        throw new UsageException("--input " + spec + ": missing file name after '='");
      }
      if (files.put(name, file) != null) {
        throw new UsageException("input '" + name + "' given more than once");
      }
    }
    for (TensorInfo info : modelInputs) {
      if (!files.containsKey(info.name())) {
        throw new UsageException("missing input '" + info.name() + "' " + info.shape() + " " + info.dataType()
            + ": pass --input " + (modelInputs.size() == 1 ? "" : info.name() + "=") + "FILE.npy");
      }
    }
    return files;
  }

  private static Map<String, Object> describeOutput(TensorInfo info, Tensor t, Path file, List<String> labels) {
    TensorStats s = TensorStats.of(t);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", info.name());
    r.put("file", file.toString());
    r.put("dtype", info.dataType().name());
    r.put("shape", info.shape().dims());
    r.put("min", s.min());
    r.put("max", s.max());
    r.put("mean", s.mean());
    r.put("nan_count", s.nanCount());
    if (isClassScores(info)) {
      int k = info.shape().dim(1);
      List<Object> top = new ArrayList<>();
      for (TensorStats.Ranked e : TensorStats.top(t, TOP_K)) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("index", e.index());
        entry.put("value", (float) e.value());
        entry.put("label", labels.size() == k ? labels.get(e.index()) : null);
        top.add(entry);
      }
      r.put("top", top);
    } else {
      r.put("top", null);
    }
    return r;
  }

  /** A {@code [1,K]} float output: one score per class. */
  static boolean isClassScores(TensorInfo info) {
    return info.dataType() == DataType.FLOAT32 && info.shape().rank() == 2 && info.shape().dim(0) == 1
        && info.shape().dim(1) > 1;
  }

  @SuppressWarnings("unchecked")
  private static void printText(Console console, ModelFile file, Model model, List<Object> inputs,
      List<Object> outputs, long loadNanos, long runNanos, int threads) {
    var out = console.out();
    if (file.converted()) {
      out.println("model    " + file.path() + "  (" + Conversion.oneLineSummary(file.conversion()) + ")");
      out.println("artifact " + Fmt.bytes(model.fileSize()) + " in memory, loaded in " + Fmt.ms(loadNanos));
    } else {
      out.println("model    " + file.path() + "  (" + Fmt.bytes(model.fileSize()) + ", loaded in " + Fmt.ms(loadNanos) + ")");
    }
    for (Object o : inputs) {
      Map<String, Object> r = (Map<String, Object>) o;
      out.println("input    " + r.get("name") + "  " + Fmt.shape((int[]) r.get("shape")) + " " + r.get("dtype")
          + "  <- " + r.get("file"));
    }
    out.println();
    TextTable table = new TextTable("output", "shape", "dtype", ">min", ">max", ">mean", "file");
    for (Object o : outputs) {
      Map<String, Object> r = (Map<String, Object>) o;
      long nans = (Long) r.get("nan_count");
      table.row(r.get("name"), Fmt.shape((int[]) r.get("shape")), r.get("dtype"), Fmt.num((Double) r.get("min")),
          Fmt.num((Double) r.get("max")), Fmt.num((Double) r.get("mean")) + (nans > 0 ? " (" + nans + " NaN)" : ""),
          r.get("file"));
    }
    table.print(out, "");
    for (Object o : outputs) {
      Map<String, Object> r = (Map<String, Object>) o;
      List<Object> top = (List<Object>) r.get("top");
      if (top == null) {
        continue;
      }
      out.println();
      out.println("top-" + top.size() + " of " + r.get("name"));
      TextTable t = new TextTable(">rank", ">index", ">value", "label");
      int rank = 1;
      for (Object e : top) {
        Map<String, Object> m = (Map<String, Object>) e;
        Object label = m.get("label");
        t.row(rank++, m.get("index"), Fmt.num((Float) m.get("value")), label == null ? "" : label);
      }
      t.print(out, "  ");
    }
    out.println();
    out.println("latency  " + Fmt.ms(runNanos) + "  (first run of a fresh session, " + Fmt.count(threads, "thread") + ")");
  }

  private static int indexOf(List<TensorInfo> l, String name) {
    for (int i = 0; i < l.size(); i++) {
      if (l.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  private static String describe(List<TensorInfo> l) {
    List<String> s = new ArrayList<>();
    for (TensorInfo t : l) {
      s.add(t.toString());
    }
    return s.isEmpty() ? "none" : String.join(", ", s);
  }
}
