package dev.topiary.converter.cli;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.UnsupportedOpsException;
import dev.topiary.converter.cli.CommandSpec.Option;
import dev.topiary.converter.npy.Npy;
import dev.topiary.converter.npy.NpyArray;
import dev.topiary.converter.onnx.OnnxFormatException;
import dev.topiary.converter.onnx.OnnxReader;
import dev.topiary.converter.onnx.proto.GraphProto;
import dev.topiary.converter.onnx.proto.TensorProto;
import dev.topiary.converter.onnx.proto.ValueInfoProto;
import dev.topiary.converter.quantize.CalibrationMethod;
import dev.topiary.converter.quantize.QuantizeMode;
import dev.topiary.internal.format.ArtifactReader;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.TensorDesc;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Converting an ONNX model from the command line, in one place for {@code convert}, {@code demo}
 * and for {@code run}, {@code inspect} and {@code bench} given an ONNX model: the conversion
 * options and their parsing, the call to {@link Converter}, the translation of its errors into
 * one-line messages and exit codes, the notes shown to the user, and the JSON form of the summary.
 */
final class Conversion {
  /** Largest labels file read. */
  static final long MAX_LABELS_BYTES = 16 << 20;

  /** Options of every command that may convert: {@code convert}, {@code run}, {@code inspect}, {@code bench}. */
  static final List<Option> OPTIONS =
      List.of(
          Option.repeated("--input-shape", "NAME=D0,D1,...",
              "ONNX models: the static shape of input NAME, e.g. input=8,1,28,28; repeat per input"
                  + " (default: as declared, an unknown batch dimension becomes 1)"),
          Option.value("--labels", "FILE", "ONNX models: class labels to store, one per line, UTF-8 (default: none)"),
          Option.flag("--no-optimize", "ONNX models: run only the passes a valid artifact needs (default: optimize)"),
          Option.value("--quantize", "MODE", "ONNX models: fp16 (FLOAT16 weights), dynamic (INT8 weights, float"
              + " activations) or int8 (needs --calibration) (default: none, FLOAT32)"),
          Option.value("--calibration", "X.npy", "ONNX models, --quantize int8, --prune and --prune-channels: calibration"
              + " samples, FLOAT32"
              + " [N, ...] walked along the first dimension"),
          Option.value("--calibration-method", "M", "ONNX models, --quantize int8: minmax, percentile (0.01th to"
              + " 99.99th) or mse (default: minmax)"),
          Option.value("--keep-float", "NODE,...", "ONNX models, --quantize int8: artifact nodes left in float"
              + " (default: none)"));

  /** Metadata options, taken by {@code convert} only. */
  static final List<Option> METADATA_OPTIONS =
      List.of(
          Option.value("--name", "S", "model name to store (default: the ONNX graph name)"),
          Option.value("--description", "S", "model description to store (default: the ONNX doc string)"),
          Option.value("--normalize-mean", "A,B,...", "per-channel input normalization mean to store, with --normalize-std (default: none)"),
          Option.value("--normalize-std", "A,B,...", "per-channel input normalization std to store, with --normalize-mean (default: none)"));

  /** Pruning options, taken by {@code convert} only. */
  static final List<Option> PRUNE_OPTIONS =
      List.of(
          Option.value("--prune", "SPARSITY", "unstructured pruning: zero this fraction of the Conv/FullyConnected/MatMul"
              + " weights, in [0, 1), stored sparsely when smaller (default: none)"),
          Option.value("--prune-method", "magnitude|reconstruct", "--prune: drop the smallest weights, or reconstruct each"
              + " layer on the calibration data (--prune-calibration, else --calibration) by least squares;"
              + " --prune-channels: keep the readers' weights (bias-corrected), or re-fit the layers that lost input"
              + " channels by least squares (default: reconstruct with calibration data, else magnitude)"),
          Option.value("--prune-scope", "layer|global", "--prune the same share of each layer, or global: one magnitude"
              + " threshold over all of them (reconstruct: zeros allocated by each layer's measured error) (default: layer)"),
          Option.flag("--prune-all-layers", "--prune also depthwise/grouped Conv and layers with <= 9 weights per output"
              + " channel or < 1000 weights (default: kept dense, the other layers take their share)"),
          Option.value("--prune-channels", "FRACTION", "structured pruning: remove this fraction of each Conv/FullyConnected's"
              + " output channels and the matching inputs of its readers, in [0, 1) (default: none)"),
          Option.value("--prune-norm", "l1|l2", "filter norm ranking channels for --prune-channels (default: l1)"),
          Option.value("--prune-calibration", "FILE.npy", "inputs for reconstruction / bias correction after pruning,"
              + " walked in batches along the first dimension (default: --calibration X.npy when given, else none)"));

  private Conversion() {}

  /** Option lists joined in order, for a command's spec. */
  @SafeVarargs
  static List<Option> concat(List<Option>... lists) {
    List<Option> l = new ArrayList<>();
    for (List<Option> x : lists) {
      l.addAll(x);
    }
    return List.copyOf(l);
  }

  /** The first conversion option present in {@code args}, or null: a command given a .topiary artifact refuses them. */
  static String givenOption(Args args) {
    return givenOption(args, "");
  }

  /** As {@link #givenOption(Args)}, ignoring option {@code except} (a command's own option of that name). */
  static String givenOption(Args args, String except) {
    for (Option o : concat(OPTIONS, METADATA_OPTIONS, PRUNE_OPTIONS)) {
      if (!o.name().equals(except) && args.has(o.name())) {
        return o.name();
      }
    }
    return null;
  }

  /**
   * The conversion options given on the command line.
   *
   * @throws UsageException for a malformed {@code --input-shape}, {@code --normalize-*} value
   * @throws CliException if the labels file cannot be used
   */
  static ConvertOptions options(Args args) throws UsageException, CliException, IOException {
    return options(args, "--labels");
  }

  /** As {@link #options(Args)}, with the class labels file given by option {@code labelsOption}. */
  static ConvertOptions options(Args args, String labelsOption) throws UsageException, CliException, IOException {
    ConvertOptions.Builder b = ConvertOptions.builder();
    quantization(args, b);
    for (Map.Entry<String, int[]> e : inputShapes(args.values("--input-shape")).entrySet()) {
      b.inputShape(e.getKey(), e.getValue());
    }
    b.optimize(!args.has("--no-optimize"));
    if (args.has(labelsOption)) {
      b.labels(readLabels(args.value(labelsOption, null)));
    }
    b.name(args.value("--name", null));
    b.description(args.value("--description", null));
    boolean mean = args.has("--normalize-mean");
    boolean std = args.has("--normalize-std");
    if (mean != std) {
      throw new UsageException((mean ? "--normalize-mean needs --normalize-std" : "--normalize-std needs --normalize-mean")
          + " (one value per channel in each)");
    }
    if (mean) {
      float[] m = floats("--normalize-mean", args.value("--normalize-mean", ""), false);
      float[] s = floats("--normalize-std", args.value("--normalize-std", ""), true);
      if (m.length != s.length) {
        throw new UsageException("--normalize-mean has " + Fmt.count(m.length, "value") + " but --normalize-std has "
            + s.length + "; give one per channel in each");
      }
      b.normalization(m, s);
    }
    if (args.has("--prune")) {
      b.prune(fraction("--prune", "sparsity", args.value("--prune", "")));
    }
    b.pruneAllLayers(args.has("--prune-all-layers"));
    if (args.has("--prune-channels")) {
      b.pruneChannels(fraction("--prune-channels", "fraction", args.value("--prune-channels", "")));
    }
    if (args.has("--prune-calibration")) {
      Path cal = CliFiles.existingFile(args.value("--prune-calibration", null), "calibration data");
      b.pruneCalibration(dev.topiary.converter.npy.Npy.read(cal).tensor());
    } else if ((args.has("--prune") || args.has("--prune-channels")) && args.has("--calibration") && !QuantizeMode.INT8.cliName().equals(args.value("--quantize", "").strip().toLowerCase(Locale.ROOT))) {
      // With --quantize int8 the options already hold the --calibration tensor and pruning uses it.
      b.pruneCalibration(Npy.read(CliFiles.existingFile(args.value("--calibration", null), "calibration file")).tensor());
    }
    if (args.has("--prune-method")) {
      String method = args.value("--prune-method", "");
      switch (method) {
        case "magnitude" -> b.pruneMethod(ConvertOptions.PruneMethod.MAGNITUDE);
        case "reconstruct" -> b.pruneMethod(ConvertOptions.PruneMethod.RECONSTRUCT);
        default -> throw new UsageException("--prune-method: expected magnitude or reconstruct, got '" + method + "'");
      }
      if (!args.has("--prune") && !args.has("--prune-channels")) {
        throw new UsageException("--prune-method applies to --prune SPARSITY and --prune-channels FRACTION");
      }
      if (method.equals("reconstruct") && !args.has("--prune-calibration") && !args.has("--calibration")) {
        throw new UsageException("--prune-method reconstruct needs calibration data: --prune-calibration X.npy or"
            + " --calibration X.npy");
      }
    }
    String scope = args.value("--prune-scope", "layer");
    switch (scope) {
      case "layer" -> b.pruneScope(ConvertOptions.PruneScope.LAYER);
      case "global" -> b.pruneScope(ConvertOptions.PruneScope.GLOBAL);
      default -> throw new UsageException("--prune-scope: expected layer or global, got '" + scope + "'");
    }
    String norm = args.value("--prune-norm", "l1");
    switch (norm) {
      case "l1" -> b.pruneNorm(ConvertOptions.PruneNorm.L1);
      case "l2" -> b.pruneNorm(ConvertOptions.PruneNorm.L2);
      default -> throw new UsageException("--prune-norm: expected l1 or l2, got '" + norm + "'");
    }
    return b.build();
  }

  /** A fraction in [0, 1) given to {@code option}. */
  private static double fraction(String option, String what, String text) throws UsageException {
    double v;
    try {
      v = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(option + ": " + what + " must be a number in [0, 1), got '" + text + "'");
    }
    if (!(v >= 0 && v < 1)) {
      throw new UsageException(option + ": " + what + " must be in [0, 1), got " + text);
    }
    return v;
  }

  /**
   * Reads {@code --quantize}, {@code --calibration}, {@code --calibration-method} and
   * {@code --keep-float} into {@code b}.
   *
   * @throws UsageException for an unknown mode or method, int8 without calibration data, or a
   *     calibration option without {@code --quantize int8}
   */
  private static void quantization(Args args, ConvertOptions.Builder b)
      throws UsageException, CliException, IOException {
    String mode = args.value("--quantize", null);
    QuantizeMode m = QuantizeMode.NONE;
    if (mode != null) {
      for (QuantizeMode q : QuantizeMode.values()) {
        if (q != QuantizeMode.NONE && q.cliName().equals(mode.strip().toLowerCase(Locale.ROOT))) {
          m = q;
        }
      }
      if (m == QuantizeMode.NONE) {
        throw new UsageException("--quantize " + mode + ": expected fp16, dynamic or int8");
      }
    }
    b.quantize(m);
    if (m != QuantizeMode.INT8) {
      for (String o : new String[] {"--calibration", "--calibration-method", "--keep-float", "--max-accuracy-drop"}) {
        if (args.has(o) && !(o.equals("--calibration") && (args.has("--prune") || args.has("--prune-channels")))) {
          throw new UsageException(o + " applies to --quantize int8");
        }
      }
      return;
    }
    if (!args.has("--calibration")) {
      throw new UsageException("--quantize int8 needs --calibration X.npy (samples to measure activation ranges on)");
    }
    String method = args.value("--calibration-method", "minmax");
    CalibrationMethod cm = null;
    for (CalibrationMethod c : CalibrationMethod.values()) {
      if (c.cliName().equals(method.strip().toLowerCase(Locale.ROOT))) {
        cm = c;
      }
    }
    if (cm == null) {
      throw new UsageException("--calibration-method " + method + ": expected minmax, percentile or mse");
    }
    b.calibrationMethod(cm);
    String file = args.value("--calibration", null);
    NpyArray a = Npy.read(CliFiles.existingFile(file, "calibration file"));
    b.calibration(a.tensor());
    if (args.has("--keep-float")) {
      Set<String> keep = new LinkedHashSet<>();
      for (String n : args.value("--keep-float", "").split(",")) {
        if (!n.strip().isEmpty()) {
          keep.add(n.strip());
        }
      }
      b.keepFloat(keep);
    }
    if (args.has("--max-accuracy-drop")) {
      maxAccuracyDrop(args, b);
    }
  }

  /**
   * Reads {@code --max-accuracy-drop PP} with the {@code --eval X.npy Y.npy} set it is measured on.
   *
   * @throws UsageException when PP is not a non-negative number or {@code --eval} is missing
   */
  private static void maxAccuracyDrop(Args args, ConvertOptions.Builder b)
      throws UsageException, CliException, IOException {
    String text = args.value("--max-accuracy-drop", "");
    double pp;
    try {
      pp = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new UsageException("--max-accuracy-drop: expected percentage points (a number >= 0), got '" + text + "'");
    }
    if (!(pp >= 0) || Double.isInfinite(pp)) {
      throw new UsageException("--max-accuracy-drop: expected percentage points (a number >= 0), got " + text);
    }
    if (!args.has("--eval")) {
      throw new UsageException("--max-accuracy-drop needs --eval X.npy Y.npy (the samples and labels the accuracy"
          + " drop is measured on)");
    }
    List<String> files = args.values("--eval");
    dev.topiary.Tensor x = Npy.read(CliFiles.existingFile(files.get(0), "--eval samples file")).tensor();
    dev.topiary.Tensor y = Npy.read(CliFiles.existingFile(files.get(1), "--eval labels file")).tensor();
    int n = x.shape().dims().length == 0 ? 0 : x.shape().dims()[0];
    long[] labels = Evaluation.labels(y, "--eval labels " + files.get(1), n, files.get(0), Integer.MAX_VALUE);
    b.maxAccuracyDrop(pp, x, labels);
  }

  /**
   * Parses {@code --input-shape} values, {@code NAME=D0,D1,...} with positive dimensions. The name
   * is everything before the last {@code =}, so input names containing {@code =} work.
   *
   * @throws UsageException naming the malformed argument
   */
  static Map<String, int[]> inputShapes(List<String> specs) throws UsageException {
    Map<String, int[]> shapes = new LinkedHashMap<>();
    for (String spec : specs) {
      String arg = "--input-shape " + spec + ": ";
      int eq = spec.lastIndexOf('=');
      if (eq < 0) {
        throw new UsageException(arg + "expected NAME=D0,D1,... (e.g. input=1,3,224,224)");
      }
      String name = spec.substring(0, eq);
      String dims = spec.substring(eq + 1).strip();
      if (name.isEmpty()) {
        throw new UsageException(arg + "missing input name before '='");
      }
      if (dims.isEmpty()) {
        throw new UsageException(arg + "missing dimensions after '='");
      }
      String[] parts = dims.split(",", -1);
      int[] shape = new int[parts.length];
      long elements = 1;
      for (int i = 0; i < parts.length; i++) {
        String p = parts[i].strip();
        long d = -1;
        if (p.matches("[0-9]+")) {
          try {
            d = Long.parseLong(p);
          } catch (NumberFormatException e) {
            d = Long.MAX_VALUE;
          }
        }
        if (d <= 0) {
          throw new UsageException(arg + "dimension " + i + " '" + p + "' is not a positive whole number");
        }
        if (d > Integer.MAX_VALUE) {
          throw new UsageException(arg + "dimension " + i + " '" + p + "' is too large (at most " + Integer.MAX_VALUE + ")");
        }
        shape[i] = (int) d;
        elements *= d;
        if (elements > Integer.MAX_VALUE) {
          throw new UsageException(arg + "more than 2^31-1 elements");
        }
      }
      if (shapes.put(name, shape) != null) {
        throw new UsageException("--input-shape given twice for input '" + name + "'");
      }
    }
    return shapes;
  }

  /** Comma-separated finite numbers; {@code positive} also requires each to be above 0. */
  private static float[] floats(String option, String value, boolean positive) throws UsageException {
    String[] parts = value.split(",", -1);
    float[] f = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i].strip();
      float v;
      try {
        v = p.matches("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?") ? Float.parseFloat(p) : Float.NaN;
      } catch (NumberFormatException e) {
        v = Float.NaN;
      }
      if (!Float.isFinite(v) || (positive && !(v > 0))) {
        throw new UsageException(option + " " + value + ": '" + p + "' is not a " + (positive ? "positive " : "")
            + "finite number");
      }
      f[i] = v;
    }
    return f;
  }

  /**
   * Reads a labels file: UTF-8 (a byte-order mark is skipped), one label per line, {@code \n} or
   * {@code \r\n} line ends; the empty line after a final line end is not a label.
   *
   * @throws CliException if the file is missing, too large, not UTF-8 or holds no labels
   */
  static List<String> readLabels(String file) throws CliException, IOException {
    Path p = CliFiles.existingFile(file, "labels file");
    long size = Files.size(p);
    if (size > MAX_LABELS_BYTES) {
      throw new CliException("labels file " + file + ": " + size + " bytes is more than the " + MAX_LABELS_BYTES
          + " bytes a labels file may have");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(p))).toString();
    } catch (CharacterCodingException e) {
      throw new CliException("labels file " + file + " is not UTF-8 text");
    }
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    List<String> labels = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    if (labels.get(labels.size() - 1).isEmpty()) {
      labels.remove(labels.size() - 1);
    }
    labels.replaceAll(l -> l.endsWith("\r") ? l.substring(0, l.length() - 1) : l);
    if (labels.isEmpty()) {
      throw new CliException("labels file " + file + " is empty; it should hold one label per line");
    }
    return labels;
  }

  /**
   * Converts {@code onnx}.
   *
   * @throws OnnxFormatException if the file is not a valid ONNX model (message prefixed by the path)
   * @throws CliException listing every unsupported op type with its nodes, or naming the node that
   *     cannot be converted
   * @throws UsageException if {@code --input-shape} names an input the model does not have
   */
  static ConversionResult convert(Path onnx, ConvertOptions options) throws IOException, CliException, UsageException {
    return convert(onnx, options, null);
  }

  /**
   * As {@link #convert(Path, ConvertOptions)}, showing the elapsed time on {@code console}'s stderr
   * while the conversion (calibration included) takes more than a second, when it is a terminal.
   */
  static ConversionResult convert(Path onnx, ConvertOptions options, Command.Console console)
      throws IOException, CliException, UsageException {
    if (console != null) {
      try (Progress.Ticker t = Progress.ticking(console, "converting " + onnx.getFileName())) {
        return convert(onnx, options, null);
      }
    }
    try {
      return Converter.convert(onnx, options);
    } catch (OnnxFormatException e) {
      String m = e.getMessage();
      String file = String.valueOf(onnx.getFileName());
      throw new OnnxFormatException(onnx + ": " + (m.startsWith(file + ": ") ? m.substring(file.length() + 2) : m), e);
    } catch (UnsupportedOpsException e) {
      throw new CliException(onnx + ": cannot convert: " + e.getMessage());
    } catch (ConversionException e) {
      checkInputNames(onnx, options);
      throw new CliException(onnx + ": cannot convert: "
          + e.getMessage().replace("ConvertOptions.inputShape", "--input-shape").replace("the options give", "--input-shape gives"));
    }
  }

  /** Throws a usage error when a shape was given for an input the model does not have. */
  private static void checkInputNames(Path onnx, ConvertOptions options) throws IOException, UsageException {
    if (options.inputShapes().isEmpty()) {
      return;
    }
    GraphProto g = OnnxReader.read(onnx).proto().getGraph();
    Set<String> initializers = new HashSet<>();
    for (TensorProto t : g.getInitializerList()) {
      initializers.add(t.getName());
    }
    List<String> inputs = new ArrayList<>();
    for (ValueInfoProto v : g.getInputList()) {
      if (!initializers.contains(v.getName())) {
        inputs.add("'" + v.getName() + "'");
      }
    }
    for (Map.Entry<String, int[]> e : options.inputShapes().entrySet()) {
      if (!inputs.contains("'" + e.getKey() + "'")) {
        StringBuilder dims = new StringBuilder();
        for (int d : e.getValue()) {
          dims.append(dims.length() > 0 ? "," : "").append(d);
        }
        throw new UsageException("--input-shape " + e.getKey() + "=" + dims + ": the model has no input '" + e.getKey()
            + "'; its inputs are " + (inputs.isEmpty() ? "none" : String.join(", ", inputs)));
      }
    }
  }

  /**
   * What the user should know about a conversion: the converter's notes with the CLI option that
   * changes them, and a warning when the labels do not match the number of classes of any output.
   */
  static List<String> notes(ConversionResult r, ConvertOptions options) {
    List<String> notes = new ArrayList<>();
    for (String n : r.summary().notes()) {
      notes.add(n.startsWith("batch dimension of ") ? n + " (use --input-shape to change it)" : n);
    }
    List<String> labels = options.labels();
    if (!labels.isEmpty()) {
      String mismatch = null;
      boolean matched = false;
      try {
        Graph g = ArtifactReader.read(ByteBuffer.wrap(r.artifact()), false).header().getGraph();
        for (int id : g.getOutputsList()) {
          TensorDesc t = g.getTensors(id);
          if (t.getShapeCount() >= 1) {
            long k = t.getShape(t.getShapeCount() - 1);
            matched |= k == labels.size();
            if (mismatch == null && k > 1) {
              mismatch = "output '" + t.getName() + "' " + Fmt.shape(t.getShapeList()) + " has " + k + " classes";
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        mismatch = null;
      }
      if (!matched && mismatch != null) {
        notes.add(Fmt.count(labels.size(), "label") + " given but " + mismatch);
      }
    }
    return notes;
  }

  /** Prints each note as {@code topiary: note: <source>: <note>} on stderr. */
  static void printNotes(Command.Console console, Path source, List<String> notes) {
    for (String n : notes) {
      console.note(source + ": " + n);
    }
  }

  /** The summary as a JSON-ready tree (part of {@code topiary.convert/1}, and {@code conversion} elsewhere). */
  static Map<String, Object> report(Path source, ConversionResult r, ConvertOptions options, List<String> notes) {
    ConversionResult.Summary s = r.summary();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("source", source.toString());
    m.put("source_sha256", sourceSha256(r));
    m.put("source_opset", s.sourceOpset());
    m.put("source_producer", s.sourceProducer());
    m.put("optimized", options.optimize());
    m.put("convert_ms", s.elapsed().toNanos() / 1e6);
    m.put("bytes_in", s.bytesIn());
    m.put("bytes_out", s.bytesOut());
    m.put("size_ratio", s.bytesIn() == 0 ? null : (double) s.bytesOut() / s.bytesIn());
    m.put("parameters", s.parameterCount());
    m.put("ops_before", sortedCounts(s.opsBefore()));
    m.put("ops_after", sortedCounts(s.opsAfter()));
    m.put("nodes_before", total(s.opsBefore()));
    m.put("nodes_after", total(s.opsAfter()));
    m.put("patches_applied", s.passLog().size());
    m.put("notes", notes);
    return m;
  }

  private static String sourceSha256(ConversionResult r) {
    try {
      return ArtifactReader.read(ByteBuffer.wrap(r.artifact()), false).header().getSourceSha256();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Op counts, most frequent first, then by name. */
  static Map<String, Integer> sortedCounts(Map<String, Integer> counts) {
    List<Map.Entry<String, Integer>> l = new ArrayList<>(counts.entrySet());
    l.sort(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
    Map<String, Integer> m = new LinkedHashMap<>();
    for (Map.Entry<String, Integer> e : l) {
      m.put(e.getKey(), e.getValue());
    }
    return m;
  }

  static int total(Map<String, Integer> counts) {
    int n = 0;
    for (int c : counts.values()) {
      n += c;
    }
    return n;
  }

  /** One line for people: {@code "ONNX opset 13, pytorch 1.13.1, 126 KiB, converted in memory in 85.2 ms"}. */
  static String oneLineSummary(ConversionResult r) {
    ConversionResult.Summary s = r.summary();
    return "ONNX opset " + s.sourceOpset() + (s.sourceProducer().isEmpty() ? "" : ", " + s.sourceProducer())
        + ", " + Fmt.bytes(s.bytesIn()) + ", converted in memory in " + Fmt.ms(s.elapsed().toNanos());
  }
}
