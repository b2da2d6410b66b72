package dev.topiary.converter.cli;

import dev.topiary.Model;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.quantize.BatchRunner;
import dev.topiary.converter.quantize.LayerReport;
import dev.topiary.converter.quantize.MixedPrecision;
import dev.topiary.converter.quantize.QuantizeMode;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The compression part of {@code convert}'s summary: per layer op, dtype before and after,
 * parameters, bytes before and after and (int8) SQNR; the overall size ratio; and with
 * {@code --eval} the accuracy of the float and the converted artifact, overall and per class.
 */
final class QuantReport {
  private QuantReport() {}

  /** The {@code quantization} object of {@code topiary.convert/1}. */
  static Map<String, Object> json(ConversionResult r, ConvertOptions options, List<LayerReport> layers) {
    Map<String, Object> m = new LinkedHashMap<>();
    ConversionResult.QuantizationReport q = r.quantization();
    m.put("mode", q == null ? "none" : q.mode().cliName());
    m.put("calibration_method", q != null && q.mode() == QuantizeMode.INT8 ? options.calibrationMethod().cliName() : null);
    long floatBytes = q == null ? r.artifact().length : q.floatBytes();
    m.put("float_bytes", floatBytes);
    m.put("bytes", (long) r.artifact().length);
    m.put("size_ratio", (double) r.artifact().length / floatBytes);
    List<Object> l = new ArrayList<>();
    for (LayerReport x : layers) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("node", x.node());
      e.put("op", x.op());
      e.put("dtype_before", x.dtypeBefore());
      e.put("dtype_after", x.dtypeAfter());
      e.put("parameters", x.parameters());
      e.put("bytes_before", x.bytesBefore());
      e.put("bytes_after", x.bytesAfter());
      e.put("sqnr_db", x.sqnrDb());
      l.add(e);
    }
    m.put("layers", l);
    m.put("mixed_precision", q == null ? null : mixedPrecision(q.mixedPrecision()));
    return m;
  }

  /** The {@code mixed_precision} object: null without {@code --max-accuracy-drop}. */
  static Map<String, Object> mixedPrecision(MixedPrecision.Report r) {
    if (r == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("max_accuracy_drop_pp", r.budgetPp());
    m.put("images", r.evalSamples());
    m.put("accuracy_float", r.floatAccuracy());
    m.put("accuracy_int8", r.int8Accuracy());
    m.put("accuracy_final", r.finalAccuracy());
    m.put("drop_int8_pp", r.int8DropPp());
    m.put("drop_final_pp", r.finalDropPp());
    m.put("within_budget", r.withinBudget());
    m.put("kept_float", new ArrayList<Object>(r.keptFloat()));
    List<Object> s = new ArrayList<>();
    for (MixedPrecision.Layer x : r.sensitivity()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("node", x.node());
      e.put("op", x.op());
      e.put("accuracy_kept_float", x.accuracyKeptFloat());
      e.put("recovered_pp", x.recoveredPp());
      e.put("sqnr_db", x.sqnrDb());
      e.put("kept_float", r.keptFloat().contains(x.node()));
      s.add(e);
    }
    m.put("sensitivity", s);
    m.put("evaluations", r.evaluations());
    m.put("search_ms", r.nanos() / 1e6);
    return m;
  }

  /**
   * The {@code evaluation} object: accuracy of {@code before} (the float artifact) and
   * {@code after}, overall and per class. {@code after} is null when this runtime cannot run it.
   */
  static Map<String, Object> evaluate(byte[] before, byte[] after, String xFile, String yFile, Command.Console console)
      throws Exception {
    Tensor x = dev.topiary.converter.npy.Npy.read(CliFiles.existingFile(xFile, "--eval samples file")).tensor();
    Tensor y = dev.topiary.converter.npy.Npy.read(CliFiles.existingFile(yFile, "--eval labels file")).tensor();
    Evaluation a = run(before, x, y, xFile, yFile, console);
    Evaluation b;
    String error = null;
    try {
      b = run(after, x, y, xFile, yFile, console);
    } catch (dev.topiary.ModelFormatException e) {
      b = null;
      error = e.getMessage();
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("inputs", xFile);
    m.put("labels", yFile);
    m.put("images", a.images);
    m.put("accuracy_before", a.accuracy());
    m.put("accuracy_after", b == null ? null : b.accuracy());
    m.put("accuracy_change", b == null ? null : b.accuracy() - a.accuracy());
    m.put("error", error);
    List<Object> pc = new ArrayList<>();
    for (int c = 0; c < a.classes; c++) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("index", c);
      e.put("label", a.label(c));
      e.put("images", a.classImages[c]);
      e.put("accuracy_before", a.classAccuracy(c));
      e.put("accuracy_after", b == null ? null : b.classAccuracy(c));
      pc.add(e);
    }
    m.put("per_class", pc);
    return m;
  }

  private static Evaluation run(byte[] artifact, Tensor x, Tensor y, String xFile, String yFile, Command.Console console)
      throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(artifact))) {
      String why = BatchRunner.mismatch(m, x);
      if (why != null) {
        throw new CliException("--eval " + xFile + ": " + why);
      }
      int classes = Evaluation.classes(m);
      long[] labels = Evaluation.labels(y, "--eval labels " + yFile, x.shape().dims()[0], xFile, classes);
      Progress p = new Progress(console, "convert --eval", labels.length);
      try {
        return Evaluation.run(m, x, labels, 1, 1, p);
      } finally {
        p.clear();
      }
    }
  }

  @SuppressWarnings("unchecked")
  static void print(PrintStream out, Map<String, Object> q, Map<String, Object> eval) {
    out.println();
    out.println(InspectCommand.kv("quantization", q.get("mode") + (q.get("calibration_method") == null ? ""
        : " (calibration " + q.get("calibration_method") + ")") + ": " + Fmt.grouped((Long) q.get("float_bytes"))
        + " -> " + Fmt.grouped((Long) q.get("bytes")) + " bytes, "
        + String.format(Locale.ROOT, "%.3fx", (Double) q.get("size_ratio"))));
    TextTable t = new TextTable("node", "op", "dtype", ">params", ">bytes before", ">after", ">SQNR dB");
    for (Object o : (List<Object>) q.get("layers")) {
      Map<String, Object> l = (Map<String, Object>) o;
      String dt = l.get("dtype_before").equals(l.get("dtype_after")) ? (String) l.get("dtype_after")
          : l.get("dtype_before") + " -> " + l.get("dtype_after");
      Double s = (Double) l.get("sqnr_db");
      t.row(l.get("node"), l.get("op"), dt, Fmt.grouped((Long) l.get("parameters")),
          Fmt.grouped((Long) l.get("bytes_before")), Fmt.grouped((Long) l.get("bytes_after")),
          s == null ? "" : s.isInfinite() ? "inf" : String.format(Locale.ROOT, "%.1f", s));
    }
    t.print(out, "");
    Map<String, Object> mp = (Map<String, Object>) q.get("mixed_precision");
    if (mp != null) {
      out.println();
      out.println(InspectCommand.kv("mixed prec.", String.format(Locale.ROOT,
          "budget %.2f pp drop; float %s, all-int8 %s (%+.2f pp), final %s (%+.2f pp)%s; %d evaluations in %s",
          (Double) mp.get("max_accuracy_drop_pp"), EvalCommand.percent((Double) mp.get("accuracy_float")),
          EvalCommand.percent((Double) mp.get("accuracy_int8")), -(Double) mp.get("drop_int8_pp"),
          EvalCommand.percent((Double) mp.get("accuracy_final")), -(Double) mp.get("drop_final_pp"),
          Boolean.TRUE.equals(mp.get("within_budget")) ? "" : " OVER BUDGET", (Integer) mp.get("evaluations"),
          Fmt.ms((Double) mp.get("search_ms") * 1e6))));
      List<Object> sens = (List<Object>) mp.get("sensitivity");
      if (!sens.isEmpty()) {
        TextTable st = new TextTable("node", "op", ">acc. if only it float", ">recovers", ">int8 SQNR dB", "kept float");
        for (Object o : sens) {
          Map<String, Object> e = (Map<String, Object>) o;
          Double s = (Double) e.get("sqnr_db");
          st.row(e.get("node"), e.get("op"), EvalCommand.percent((Double) e.get("accuracy_kept_float")),
              String.format(Locale.ROOT, "%+.2f pp", (Double) e.get("recovered_pp")),
              s == null ? "" : s.isInfinite() ? "inf" : String.format(Locale.ROOT, "%.1f", s),
              Boolean.TRUE.equals(e.get("kept_float")) ? "yes" : "");
        }
        st.print(out, "");
      }
    }
    if (eval == null) {
      return;
    }
    out.println();
    Double after = (Double) eval.get("accuracy_after");
    out.println(InspectCommand.kv("accuracy", EvalCommand.percent((Double) eval.get("accuracy_before")) + " -> "
        + (after == null ? "(cannot run: " + Main.oneLine((String) eval.get("error")) + ")"
            : EvalCommand.percent(after) + " (" + EvalCommand.change((Double) eval.get("accuracy_change")) + ")")
        + " on " + eval.get("images") + " samples of " + eval.get("inputs")));
    TextTable c = new TextTable(">class", "label", ">images", ">before", ">after", ">change");
    for (Object o : (List<Object>) eval.get("per_class")) {
      Map<String, Object> e = (Map<String, Object>) o;
      Double x = (Double) e.get("accuracy_before");
      Double y = (Double) e.get("accuracy_after");
      c.row(e.get("index"), e.get("label") == null ? "" : e.get("label"), e.get("images"), EvalCommand.percent(x),
          EvalCommand.percent(y), x == null || y == null ? "-" : EvalCommand.change(y - x));
    }
    c.print(out, "");
  }
}
