package dev.topiary.converter.cli;

import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.internal.format.ArtifactFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The MODEL argument of {@code run}, {@code inspect} and {@code bench}: a {@code .topiary}
 * artifact, or an ONNX model that {@link #open} converts in memory with the conversion options of
 * the command line ({@link Conversion#OPTIONS}). The kind is decided by the file's first bytes,
 * the artifact magic or the start of an ONNX protobuf, and only when neither matches by the
 * extension; a file that is neither is then read as an artifact, whose reader names the problem.
 */
final class ModelFile {
  /** What a model file holds. */
  enum Kind {
    TOPIARY,
    ONNX
  }

  private final Path path;
  private final ConversionResult conversion;
  private final ConvertOptions options;
  private final List<String> notes;

  private ModelFile(Path path, ConversionResult conversion, ConvertOptions options, List<String> notes) {
    this.path = path;
    this.conversion = conversion;
    this.options = options;
    this.notes = notes;
  }

  /**
   * Opens positional argument 0 of {@code args}, converting it when it is an ONNX model, and prints
   * the conversion's notes on stderr.
   *
   * @throws UsageException for malformed conversion options, or conversion options given with an artifact
   * @throws CliException if the file is missing or the ONNX model cannot be converted
   * @throws IOException if the file cannot be read or is not a valid ONNX model
   */
  static ModelFile open(Args args, Command.Console console) throws Exception {
    return open(args.positional(0), args, console, "--labels");
  }

  /**
   * Opens model file {@code arg} with the conversion options of {@code args}, whose class labels
   * file (for ONNX models) is given by option {@code labelsOption}.
   */
  static ModelFile open(String arg, Args args, Command.Console console, String labelsOption) throws Exception {
    Path path = CliFiles.existingFile(arg, "model file");
    if (kind(path) == Kind.TOPIARY) {
      String option = Conversion.givenOption(args, labelsOption.equals("--labels") ? "" : "--labels");
      if (option != null) {
        throw new UsageException(option + " applies to ONNX models; " + path + " is a .topiary artifact");
      }
      if (!labelsOption.equals("--labels") && args.has(labelsOption)) {
        throw new UsageException(labelsOption + " applies to ONNX models; " + path + " is a .topiary artifact");
      }
      return new ModelFile(path, null, null, List.of());
    }
    ConvertOptions options = Conversion.options(args, labelsOption);
    ConversionResult r = Conversion.convert(path, options, console);
    List<String> notes = Conversion.notes(r, options);
    Conversion.printNotes(console, path, notes);
    return new ModelFile(path, r, options, notes);
  }

  /**
   * Opens model file {@code arg} as the "before" side of a comparison: an artifact as it is, an
   * ONNX model imported without optimisation or quantization (only {@code --input-shape} applies),
   * so that its nodes are the ONNX graph's, one for one, in FLOAT32.
   */
  static ModelFile openImported(String arg, Args args, Command.Console console) throws Exception {
    Path path = CliFiles.existingFile(arg, "model file");
    if (kind(path) == Kind.TOPIARY) {
      return new ModelFile(path, null, null, List.of());
    }
    ConvertOptions.Builder b = ConvertOptions.builder().optimize(false);
    for (Map.Entry<String, int[]> e : Conversion.inputShapes(args.values("--input-shape")).entrySet()) {
      b.inputShape(e.getKey(), e.getValue());
    }
    ConvertOptions options = b.build();
    ConversionResult r = Conversion.convert(path, options, console);
    List<String> notes = Conversion.notes(r, options);
    Conversion.printNotes(console, path, notes);
    return new ModelFile(path, r, options, notes);
  }

  /**
   * The kind of model in {@code file}: {@link Kind#TOPIARY} when it starts with the artifact magic,
   * {@link Kind#ONNX} when its first bytes are a field of an ONNX {@code ModelProto} or, failing
   * both, when its name ends in {@code .onnx}.
   */
  static Kind kind(Path file) throws IOException {
    byte[] head = new byte[16];
    int n = 0;
    try (InputStream in = Files.newInputStream(file)) {
      for (int r; n < head.length && (r = in.read(head, n, head.length - n)) > 0; ) {
        n += r;
      }
    }
    byte[] magic = ArtifactFormat.MAGIC;
    if (n >= magic.length && Arrays.equals(Arrays.copyOf(head, magic.length), magic)) {
      return Kind.TOPIARY;
    }
    if (looksLikeOnnx(head, n, Files.size(file))) {
      return Kind.ONNX;
    }
    return String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT).endsWith(".onnx") ? Kind.ONNX : Kind.TOPIARY;
  }

  /**
   * Whether {@code head} starts like a serialized {@code ModelProto}: its first tag is one of the
   * message's fields with the right wire type, and a varint field's value or a length-delimited
   * field's length is well formed and fits in the file. Exporters write {@code ir_version}
   * (field 1, tag {@code 0x08}) first.
   */
  static boolean looksLikeOnnx(byte[] head, int n, long fileSize) {
    if (n < 2) {
      return false;
    }
    int tag = head[0] & 0xFF;
    int pos = 1;
    if ((tag & 0x80) != 0) {
      tag = (tag & 0x7F) | ((head[1] & 0xFF) << 7);
      pos = 2;
      if ((head[1] & 0x80) != 0) {
        return false;
      }
    }
    int field = tag >>> 3;
    int wire = tag & 7;
    boolean varintField = field == 1 || field == 5;
    boolean lengthField = (field >= 2 && field <= 4) || (field >= 6 && field <= 8) || field == 14 || field == 20
        || field == 25;
    if (!(varintField && wire == 0) && !(lengthField && wire == 2)) {
      return false;
    }
    long value = 0;
    for (int shift = 0; ; shift += 7) {
      if (pos >= n || shift > 63) {
        return false;
      }
      int b = head[pos++] & 0xFF;
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
    }
    return varintField || (value >= 0 && value <= fileSize - pos);
  }

  /** The path as given. */
  Path path() {
    return path;
  }

  /** Whether the file is an ONNX model, converted in memory. */
  boolean converted() {
    return conversion != null;
  }

  /** The conversion, or null for an artifact. */
  ConversionResult conversion() {
    return conversion;
  }

  /** Whether the conversion ran the optimising passes (true for an artifact). */
  boolean optimized() {
    return options == null || options.optimize();
  }

  /** The bytes the model is loaded from: the artifact file's, or the conversion's. */
  byte[] artifactBytes() throws IOException {
    return conversion == null ? Files.readAllBytes(path) : conversion.artifact();
  }

  /** Nanoseconds the conversion took (reading the ONNX file included), or 0 for an artifact. */
  long convertNanos() {
    return conversion == null ? 0 : conversion.summary().elapsed().toNanos();
  }

  /**
   * Loads the model: memory-mapped from the file for an artifact, from the converted bytes otherwise.
   *
   * @throws ModelFormatException if the artifact is invalid or the runtime cannot plan it (message prefixed by the path)
   */
  Model load() throws IOException {
    if (conversion == null) {
      return Model.load(path);
    }
    try {
      return Model.load(ByteBuffer.wrap(conversion.artifact()));
    } catch (ModelFormatException e) {
      throw new ModelFormatException(path + " (converted in memory): " + e.getMessage(), e);
    }
  }

  /** Reads the artifact for inspection (see {@link ArtifactFile}). */
  ArtifactFile read() throws IOException {
    return conversion == null ? ArtifactFile.read(path)
        : ArtifactFile.read(ByteBuffer.wrap(conversion.artifact()), path + " (converted in memory)");
  }

  /** The {@code conversion} object of the JSON reports ({@link Conversion#report}), or null for an artifact. */
  Map<String, Object> conversionReport() {
    return conversion == null ? null : Conversion.report(path, conversion, options, notes);
  }
}
