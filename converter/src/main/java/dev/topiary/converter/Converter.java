package dev.topiary.converter;

import dev.topiary.converter.artifact.ArtifactExporter;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.onnx.OnnxImporter;
import dev.topiary.converter.onnx.OnnxModel;
import dev.topiary.converter.onnx.OnnxReader;
import dev.topiary.converter.onnx.proto.ModelProto;
import dev.topiary.converter.onnx.proto.NodeProto;
import dev.topiary.converter.onnx.proto.StringStringEntryProto;
import dev.topiary.converter.passes.Optimizer;
import dev.topiary.converter.passes.PassContext;
import dev.topiary.converter.prune.Pruner;
import dev.topiary.converter.quantize.MixedPrecision;
import dev.topiary.converter.quantize.QuantizeMode;
import dev.topiary.converter.quantize.Quantizer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts ONNX models to {@code .topiary} artifacts.
 *
 * <pre>{@code
 * ConversionResult r = Converter.convert(Paths.get("mobilenet.onnx"),
 *     ConvertOptions.builder().inputShape("input", 1, 3, 224, 224).build());
 * Files.write(Paths.get("mobilenet.topiary"), r.artifact());
 * }</pre>
 *
 * <p>Pipeline: read and check the file ({@link OnnxReader}), import into the IR
 * ({@link OnnxImporter}; every unsupported op is reported at once), run the passes of
 * docs/PASSES.md ({@link Optimizer}), prune if asked ({@link Pruner}), write the artifact
 * ({@link ArtifactExporter}; pruned weights stored sparsely where that is smaller). The
 * artifact's inputs and outputs keep the ONNX names, shapes, types and layout.
 *
 * <p>Stateless and thread-safe.
 */
public final class Converter {
  /** Version written into the artifact's producer field. */
  public static final String VERSION = "0.1.0";
  /** The producer string, {@code "topiary-converter <version>"}. */
  public static final String PRODUCER = "topiary-converter " + VERSION;

  private Converter() {}

  /**
   * Converts an ONNX file; external data is read from the file's directory.
   *
   * @throws dev.topiary.converter.onnx.OnnxFormatException if the file is malformed or unsupported (IR, opset, type)
   * @throws UnsupportedOpsException listing every unsupported op type with its nodes
   * @throws ConversionException if a node cannot be converted (the message names it)
   * @throws IOException if the file cannot be read
   */
  public static ConversionResult convert(Path onnx, ConvertOptions options) throws IOException, ConversionException {
    long t0 = System.nanoTime();
    return run(OnnxReader.read(onnx), options, t0);
  }

  /** Converts an ONNX model held in memory; external data, if any, is refused. */
  public static ConversionResult convert(byte[] onnx, ConvertOptions options) throws IOException, ConversionException {
    return convert(onnx, null, options);
  }

  /** Converts an ONNX model held in memory whose external data files live in {@code baseDir} (nullable). */
  public static ConversionResult convert(byte[] onnx, Path baseDir, ConvertOptions options)
      throws IOException, ConversionException {
    long t0 = System.nanoTime();
    return run(OnnxReader.read(onnx, baseDir), options, t0);
  }

  /**
   * Imports and runs the passes without writing an artifact: the graph the exporter would write.
   * For tests and tools that inspect what the passes did.
   */
  public static Graph lowered(byte[] onnx, ConvertOptions options) throws IOException, ConversionException {
    OnnxModel model = OnnxReader.read(onnx, null);
    PassContext ctx = new PassContext(options.inputShapes());
    return optimize(model, options, ctx, optimizer(options));
  }

  private static Optimizer optimizer(ConvertOptions options) {
    return new Optimizer(options.optimize() ? Optimizer.optimizing() : Optimizer.required(),
        options.maxPatches(), options.checkGraph());
  }

  private static Graph optimize(OnnxModel model, ConvertOptions options, PassContext ctx, Optimizer opt)
      throws IOException, ConversionException {
    Graph g = OnnxImporter.importModel(model);
    OnnxImporter.checkSupported(g);
    Graph out = opt.run(g, ctx);
    Pruner.apply(out, options, ctx);
    return out;
  }

  private static ConversionResult run(OnnxModel model, ConvertOptions options, long t0)
      throws IOException, ConversionException {
    ModelProto mp = model.proto();
    Map<String, Integer> before = new TreeMap<>();
    for (NodeProto n : mp.getGraph().getNodeList()) {
      String d = n.getDomain();
      before.merge(d.isEmpty() || d.equals("ai.onnx") ? n.getOpType() : d + ":" + n.getOpType(), 1, Integer::sum);
    }
    PassContext ctx = new PassContext(options.inputShapes());
    Optimizer opt = optimizer(options);
    Graph g = optimize(model, options, ctx, opt);

    Map<String, Integer> after = new TreeMap<>();
    long params = 0;
    for (int id : g.order()) {
      Node n = g.node(id);
      if (n.op().dialect() == Dialect.RUNTIME) {
        after.merge(n.op().type(), 1, Integer::sum);
      } else if (IrOps.isConst(n.op())) {
        params += n.fact(0).value().count();
      }
    }
    String producer = (mp.getProducerName() + " " + mp.getProducerVersion()).trim();
    Map<String, String> props = new LinkedHashMap<>();
    props.put("source_format", "onnx");
    props.put("source_ir_version", String.valueOf(mp.getIrVersion()));
    props.put("source_opset", String.valueOf(model.opset()));
    if (!producer.isEmpty()) {
      props.put("source_producer", producer);
    }
    for (StringStringEntryProto e : mp.getMetadataPropsList()) {
      props.putIfAbsent("onnx." + e.getKey(), e.getValue());
    }
    String name = options.name() != null ? options.name() : mp.getGraph().getName();
    String description = options.description() != null ? options.description() : mp.getDocString();
    byte[] artifact = ArtifactExporter.export(g, new ArtifactExporter.Metadata(PRODUCER, model.sha256(), name,
        description, options.labels(), options.normalizationMean(), options.normalizationStd(), props),
        Pruner.requested(options));
    ConversionResult.QuantizationReport quant = null;
    List<String> notes = new ArrayList<>(ctx.notes());
    if (options.quantize() != QuantizeMode.NONE) {
      Quantizer.Options qo = new Quantizer.Options(options.quantize(), options.calibration(),
          options.calibrationMethod(), options.keepFloat());
      Quantizer.Result q;
      MixedPrecision.Report mixed = null;
      if (options.maxAccuracyDrop() != null) {
        MixedPrecision.Result r = MixedPrecision.search(artifact, qo, options.evalSamples(), options.evalLabels(),
            options.maxAccuracyDrop());
        q = r.quantized();
        mixed = r.report();
      } else {
        q = Quantizer.apply(artifact, qo);
      }
      quant = new ConversionResult.QuantizationReport(options.quantize(), artifact.length, q.artifact().length,
          q.layers(), artifact, mixed);
      notes.addAll(q.notes());
      if (mixed != null) {
        notes.add(mixed.note());
      }
      artifact = q.artifact();
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
    return new ConversionResult(artifact, new ConversionResult.Summary(before, after, params, model.sizeBytes(),
        artifact.length, elapsed, notes, opt.log(), model.opset(), producer), quant);
  }
}
