package dev.topiary.converter.cli;

import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.cli.CommandSpec.Option;
import dev.topiary.converter.onnx.OnnxReader;
import dev.topiary.converter.quantize.LayerReport;
import dev.topiary.converter.quantize.Quantizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code topiary convert MODEL.onnx -o OUT.topiary}: converts an ONNX model with
 * {@link dev.topiary.converter.Converter}, writes the artifact, and prints what happened: op counts
 * before and after the passes side by side, parameters, bytes in and out, time and notes.
 */
final class ConvertCommand implements Command {
  private static final CommandSpec SPEC =
      new CommandSpec(
          "convert",
          "convert MODEL.onnx -o OUT.topiary [options]",
          "convert an ONNX model to a .topiary artifact",
          """
          Reads MODEL.onnx (ONNX IR %d to %d, default-domain opsets %d to %d; external data from
          the model's directory), imports it, runs the passes of docs/PASSES.md and writes the
          artifact to OUT (replacing it; missing directories are created). Inputs and outputs
          keep their ONNX names, shapes, types and layout.

          Prints the op types before (ONNX) and after (runtime ops) side by side, the parameter
          count, the ONNX and artifact sizes and their ratio, the conversion time and notes,
          such as an unknown batch dimension fixed to 1. A model with unsupported ops fails
          with one line listing every unsupported op type and the names of its nodes."""
              .formatted(OnnxReader.MIN_IR, OnnxReader.MAX_IR, OnnxReader.MIN_OPSET, OnnxReader.MAX_OPSET),
          List.of("MODEL.onnx"),
          Conversion.concat(
              List.of(Option.value("--output", "OUT.topiary", "where to write the artifact (required)").withShortName("-o")),
              Conversion.OPTIONS,
              Conversion.METADATA_OPTIONS,
              Conversion.PRUNE_OPTIONS,
              List.of(
                  Option.value("--report", "FILE.json", "also write the JSON summary, with the per-layer"
                      + " quantization report, to FILE.json (default: none)"),
                  Option.pair("--eval", "X.npy Y.npy", "measure accuracy before and after quantization on samples"
                      + " X.npy with labels Y.npy, overall and per class (default: none)"),
                  Option.value("--max-accuracy-drop", "PP", "--quantize int8: keep the most sensitive layers in"
                      + " float until top-1 accuracy on --eval (required) drops by at most PP percentage points"
                      + " (default: none, every layer int8)"),
                  Option.flag("--json", "print the summary as one JSON object (schema topiary.convert/1)"))));

  @Override
  public CommandSpec spec() {
    return SPEC;
  }

  @Override
  public int run(Args args, Console console) throws Exception {
    if (!args.has("--output")) {
      throw new UsageException("missing -o OUT.topiary: where to write the artifact");
    }
    Path source = CliFiles.existingFile(args.positional(0), "ONNX model");
    Path out = Path.of(args.value("--output", null));
    if (Files.isDirectory(out)) {
      throw new CliException("-o " + out + " is a directory; name the artifact file, e.g. " + out.resolve(stem(source) + ".topiary"));
    }
    if (Files.exists(out) && Files.isSameFile(out, source)) {
      throw new UsageException("-o " + out + " is the ONNX model itself; write the artifact to another file");
    }
    ConvertOptions options = Conversion.options(args);
    if (ModelFile.kind(source) == ModelFile.Kind.TOPIARY) {
      throw new CliException(source + " is already a .topiary artifact, not an ONNX model (see 'topiary inspect')");
    }

    ConversionResult r = Conversion.convert(source, options, console);
    List<String> notes = Conversion.notes(r, options);
    write(r.artifact(), out);
    ArtifactFile written = ArtifactFile.read(ByteBuffer.wrap(r.artifact()), out.toString());
    if (written.planError() != null) {
      console.err().println("topiary: warning: this runtime cannot plan the artifact yet: " + Main.oneLine(written.planError()));
    }

    Map<String, Object> report = report(source, out, r, options, notes, written);
    List<LayerReport> layers = r.quantization() != null ? r.quantization().layers() : Quantizer.layersOf(r.artifact());
    Map<String, Object> quant = QuantReport.json(r, options, layers);
    Map<String, Object> eval = null;
    if (args.has("--eval")) {
      List<String> files = args.values("--eval");
      byte[] before = r.quantization() != null ? r.quantization().floatArtifact() : r.artifact();
      eval = QuantReport.evaluate(before, r.artifact(), files.get(0), files.get(1), console);
    }
    report.put("quantization", quant);
    report.put("evaluation", eval);
    if (args.has("--report")) {
      Path file = Path.of(args.value("--report", null));
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Files.writeString(file, Json.pretty(report) + "\n");
    }
    if (args.has("--json")) {
      console.out().println(Json.pretty(report));
    } else {
      printText(console.out(), report);
      if (r.quantization() != null || eval != null) {
        QuantReport.print(console.out(), quant, eval);
      }
    }
    return Main.OK;
  }

  /** The JSON-ready summary ({@code topiary.convert/1}); the text form is printed from it. */
  static Map<String, Object> report(Path source, Path out, ConversionResult r, ConvertOptions options,
      List<String> notes, ArtifactFile written) {
    Map<String, Object> inspect = InspectCommand.report(out, written);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("schema", "topiary.convert/1");
    m.put("model", source.toString());
    m.put("output", out.toString());
    m.put("sha256", written.artifact().digestHex());
    Map<String, Object> summary = Conversion.report(source, r, options, notes);
    summary.remove("source");
    m.putAll(summary);
    m.put("inputs", inspect.get("inputs"));
    m.put("outputs", inspect.get("outputs"));
    m.put("metadata", inspect.get("metadata"));
    m.put("planned", inspect.get("planned"));
    m.put("plan_error", inspect.get("plan_error"));
    return m;
  }

  /** Writes {@code bytes} to a temporary file next to {@code out}, then moves it over {@code out}. */
  private static void write(byte[] bytes, Path out) throws IOException {
    Path dir = out.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + out.getFileName(), ".tmp");
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static String stem(Path p) {
    String n = String.valueOf(p.getFileName());
    int dot = n.lastIndexOf('.');
    return dot > 0 ? n.substring(0, dot) : n;
  }

  @SuppressWarnings("unchecked")
  private static void printText(PrintStream out, Map<String, Object> r) {
    long in = (Long) r.get("bytes_in");
    long outBytes = (Long) r.get("bytes_out");
    String producer = (String) r.get("source_producer");
    out.println(InspectCommand.kv("converted", r.get("model") + " -> " + r.get("output") + "  in "
        + Fmt.ms((Double) r.get("convert_ms") * 1e6) + (Boolean.TRUE.equals(r.get("optimized")) ? "" : "  (--no-optimize)")));
    out.println(InspectCommand.kv("source", "ONNX opset " + r.get("source_opset")
        + (producer.isEmpty() ? "" : ", " + producer) + ", " + Fmt.grouped(in) + " bytes (" + Fmt.bytes(in) + ")"));
    Double ratio = (Double) r.get("size_ratio");
    out.println(InspectCommand.kv("artifact", Fmt.grouped(outBytes) + " bytes (" + Fmt.bytes(outBytes) + ")"
        + (ratio == null ? "" : String.format(java.util.Locale.ROOT, ", %.2fx the ONNX file", ratio))));
    out.println(InspectCommand.kv("sha256", r.get("sha256")));
    out.println(InspectCommand.kv("parameters", Fmt.grouped((Long) r.get("parameters"))));
    for (String side : new String[] {"inputs", "outputs"}) {
      for (Object o : (List<Object>) r.get(side)) {
        Map<String, Object> t = (Map<String, Object>) o;
        out.println(InspectCommand.kv(side.substring(0, side.length() - 1), t.get("name") + " "
            + Fmt.shape((List<Long>) t.get("shape")) + " " + t.get("dtype")));
      }
    }
    Map<String, Object> meta = (Map<String, Object>) r.get("metadata");
    List<String> stored = new ArrayList<>();
    if (!((String) meta.get("name")).isEmpty()) {
      stored.add("name '" + Main.oneLine((String) meta.get("name")) + "'");
    }
    if (!((String) meta.get("description")).isEmpty()) {
      stored.add("a description");
    }
    if ((Integer) meta.get("label_count") > 0) {
      stored.add(Fmt.count((Integer) meta.get("label_count"), "label"));
    }
    if (!((List<Object>) meta.get("normalization_mean")).isEmpty()) {
      stored.add("normalization mean " + meta.get("normalization_mean") + " std " + meta.get("normalization_std"));
    }
    out.println(InspectCommand.kv("metadata", stored.isEmpty() ? "(none)" : String.join(", ", stored)));

    out.println();
    printOps(out, (Map<String, Integer>) r.get("ops_before"), (Map<String, Integer>) r.get("ops_after"));

    List<String> notes = (List<String>) r.get("notes");
    if (!notes.isEmpty()) {
      out.println();
      out.println("notes");
      for (String n : notes) {
        out.println("  " + Main.oneLine(n));
      }
    }
  }

  /** ONNX op counts and runtime op counts in two column pairs, most frequent first, with totals. */
  static void printOps(PrintStream out, Map<String, Integer> before, Map<String, Integer> after) {
    TextTable t = new TextTable("ONNX op (before)", ">nodes", "", "runtime op (after)", ">nodes");
    List<Map.Entry<String, Integer>> b = new ArrayList<>(before.entrySet());
    List<Map.Entry<String, Integer>> a = new ArrayList<>(after.entrySet());
    for (int i = 0; i < Math.max(b.size(), a.size()); i++) {
      t.row(i < b.size() ? b.get(i).getKey() : "", i < b.size() ? b.get(i).getValue() : "", "",
          i < a.size() ? a.get(i).getKey() : "", i < a.size() ? a.get(i).getValue() : "");
    }
    t.row("total", Conversion.total(before), "", "total", Conversion.total(after));
    t.print(out, "");
  }
}
