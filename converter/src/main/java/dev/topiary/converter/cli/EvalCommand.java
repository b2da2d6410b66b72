package dev.topiary.converter.cli;

import dev.topiary.Model;
import dev.topiary.SessionOptions;
import dev.topiary.Tensor;
import dev.topiary.converter.cli.CommandSpec.Option;
import dev.topiary.converter.npy.Npy;
import dev.topiary.converter.npy.NpyArray;
import dev.topiary.converter.quantize.BatchRunner;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code topiary eval MODEL --inputs X.npy --labels Y.npy}: classification accuracy of a model
 * (an artifact, or an ONNX model converted in memory) on labelled samples, overall (top-1 and
 * top-K) and per class, optionally next to a second model ({@code --compare}).
 */
final class EvalCommand implements Command {
  private static final CommandSpec SPEC =
      new CommandSpec(
          "eval",
          "eval MODEL --inputs X.npy --labels Y.npy [options]",
          "measure a classifier's accuracy on labelled samples, overall and per class",
          """
          Runs MODEL (a .topiary artifact, or an ONNX model converted in memory with the conversion
          options below) over the samples of X.npy, walked in batches along the first dimension
          (the model's batch size; one sample per run for a batch-1 model), and compares the
          highest score of the first output with the label in Y.npy (integers, one per sample).
          Prints top-1 and top-K accuracy and the accuracy of every class, with the class names
          stored in the model when there is one per class. With --compare OTHER, OTHER is
          evaluated on the same samples (converted with the same options when it is ONNX) and
          the per-class accuracies are shown side by side with the change.""",
          List.of("MODEL"),
          Conversion.concat(
              List.of(
                  Option.value("--inputs", "X.npy", "samples, [N, ...] with each sample shaped like the model input"
                      + " without its batch dimension (required)"),
                  Option.value("--labels", "Y.npy", "class index of each sample, N integers (required)"),
                  Option.value("--top", "K", "also count a sample correct when its label is among the K highest"
                      + " scores, 1..1000 (default: 5, at most the class count)"),
                  Option.value("--compare", "OTHER", "a second model evaluated on the same samples (default: none)"),
                  Option.value("--threads", "N", "threads of the session, 1..256 (default: min(4, processors))"),
                  Option.value("--class-names", "FILE", "ONNX models: class names to store, one per line (default:"
                      + " none)"),
                  Option.flag("--json", "print one JSON object (schema topiary.eval/1)")),
              withoutLabels(Conversion.OPTIONS)));

  private static List<Option> withoutLabels(List<Option> options) {
    List<Option> l = new ArrayList<>();
    for (Option o : options) {
      if (!o.name().equals("--labels")) {
        l.add(o);
      }
    }
    return l;
  }

  @Override
  public CommandSpec spec() {
    return SPEC;
  }

  @Override
  public int run(Args args, Console console) throws Exception {
    if (!args.has("--inputs")) {
      throw new UsageException("missing --inputs X.npy: the samples to evaluate on");
    }
    if (!args.has("--labels")) {
      throw new UsageException("missing --labels Y.npy: the class index of each sample");
    }
    int threads = args.intValue("--threads", SessionOptions.defaults().threads(), 1, 256);
    int top = args.intValue("--top", 5, 1, 1000);
    String xFile = args.value("--inputs", null);
    String yFile = args.value("--labels", null);
    ModelFile first = ModelFile.open(args.positional(0), args, console, "--class-names");
    ModelFile second = args.has("--compare")
        ? ModelFile.open(args.value("--compare", null), args, console, "--class-names") : null;
    NpyArray xa = Npy.read(CliFiles.existingFile(xFile, "--inputs file"));
    xa.note().ifPresent(n -> console.note(xFile + ": " + n));
    NpyArray ya = Npy.read(CliFiles.existingFile(yFile, "--labels file"));
    Tensor x = xa.tensor();

    Evaluation a;
    Evaluation b = null;
    try (Model m = first.load()) {
      a = evaluate(m, first, x, ya.tensor(), xFile, yFile, top, args.has("--top"), threads, console);
    }
    if (second != null) {
      try (Model m = second.load()) {
        b = evaluate(m, second, x, ya.tensor(), xFile, yFile, top, args.has("--top"), threads, console);
      }
      if (b.classes != a.classes) {
        throw new CliException("--compare " + second.path() + ": the model has " + b.classes + " classes but "
            + first.path() + " has " + a.classes);
      }
    }
    Map<String, Object> report = report(first, a, second, b, xFile, yFile, threads);
    if (args.has("--json")) {
      console.out().println(Json.pretty(report));
    } else {
      print(console.out(), first, a, second, b);
    }
    return Main.OK;
  }

  private static Evaluation evaluate(Model m, ModelFile file, Tensor x, Tensor y, String xFile, String yFile, int top,
      boolean topGiven, int threads, Console console) throws Exception {
    String why = BatchRunner.mismatch(m, x);
    if (why != null) {
      throw new CliException("--inputs " + xFile + ": " + file.path() + ": " + why);
    }
    int classes = Evaluation.classes(m);
    if (topGiven && top > classes) {
      throw new UsageException("--top " + top + ": " + file.path() + " has only " + classes + " classes");
    }
    long[] labels = Evaluation.labels(y, "--labels " + yFile, x.shape().dims()[0], "--inputs " + xFile, classes);
    Progress progress = new Progress(console, "eval", labels.length);
    try {
      return Evaluation.run(m, x, labels, Math.min(top, classes), threads, progress);
    } finally {
      progress.clear();
    }
  }

  /** The JSON-ready report ({@code topiary.eval/1}). */
  static Map<String, Object> report(ModelFile first, Evaluation a, ModelFile second, Evaluation b, String xFile,
      String yFile, int threads) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("schema", "topiary.eval/1");
    m.put("inputs", xFile);
    m.put("labels", yFile);
    m.put("threads", threads);
    m.putAll(one(first, a));
    if (b == null) {
      m.put("compare", null);
    } else {
      Map<String, Object> c = one(second, b);
      c.put("accuracy_change", b.accuracy() - a.accuracy());
      m.put("compare", c);
    }
    return m;
  }

  private static Map<String, Object> one(ModelFile f, Evaluation e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", f.path().toString());
    m.put("images", e.images);
    m.put("classes", e.classes);
    m.put("batch", e.batch);
    m.put("correct", e.correct);
    m.put("accuracy", e.accuracy());
    m.put("top_k", e.topK);
    m.put("top_k_correct", e.correctTopK);
    m.put("top_k_accuracy", e.images == 0 ? 0.0 : (double) e.correctTopK / e.images);
    m.put("per_class", e.perClass());
    m.put("eval_ms", e.nanos / 1e6);
    m.put("conversion", f.conversionReport());
    return m;
  }

  static String percent(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
  }

  private static void print(PrintStream out, ModelFile first, Evaluation a, ModelFile second, Evaluation b) {
    out.println(InspectCommand.kv("model", first.path() + (first.converted() ? " (converted in memory)" : "")));
    if (second != null) {
      out.println(InspectCommand.kv("compare", second.path() + (second.converted() ? " (converted in memory)" : "")));
    }
    out.println(InspectCommand.kv("samples", a.images + " in batches of " + a.batch + ", " + a.classes + " classes"));
    out.println(InspectCommand.kv("accuracy", percent(a.accuracy()) + " (" + a.correct + "/" + a.images + ")"
        + (b == null ? "" : "  vs " + percent(b.accuracy()) + " (" + b.correct + "/" + b.images + "), "
            + change(b.accuracy() - a.accuracy()))));
    if (a.topK > 1) {
      out.println(InspectCommand.kv("top-" + a.topK, percent((double) a.correctTopK / Math.max(1, a.images))
          + (b == null ? "" : "  vs " + percent((double) b.correctTopK / Math.max(1, b.images)))));
    }
    out.println();
    TextTable t = b == null ? new TextTable(">class", "label", ">images", ">correct", ">accuracy")
        : new TextTable(">class", "label", ">images", ">accuracy", ">compare", ">change");
    for (int c = 0; c < a.classes; c++) {
      String label = a.label(c) != null ? a.label(c) : b != null && b.label(c) != null ? b.label(c) : "";
      if (b == null) {
        t.row(c, label, a.classImages[c], a.classCorrect[c], percent(a.classAccuracy(c)));
      } else {
        Double x = a.classAccuracy(c);
        Double y = b.classAccuracy(c);
        t.row(c, label, a.classImages[c], percent(x), percent(y), x == null ? "-" : change(y - x));
      }
    }
    t.print(out, "");
  }

  /** A change in percentage points, signed: {@code +0.30 pp}. */
  static String change(double d) {
    return String.format(Locale.ROOT, "%+.2f pp", 100 * d);
  }
}
