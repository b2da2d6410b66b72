package dev.topiary.converter;

import dev.topiary.converter.quantize.LayerReport;
import dev.topiary.converter.quantize.MixedPrecision;
import dev.topiary.converter.quantize.QuantizeMode;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a conversion produced: the artifact bytes and a summary of what happened to the model.
 *
 * @param artifact the {@code .topiary} file contents
 * @param summary  ops, parameters, sizes, time and notes
 * @param quantization what quantization did, per layer; null when the model was not quantized
 */
public record ConversionResult(byte[] artifact, Summary summary, QuantizationReport quantization) {
  /** A result without quantization. */
  public ConversionResult(byte[] artifact, Summary summary) {
    this(artifact, summary, null);
  }

  /**
   * @param mode         the quantization applied
   * @param floatBytes   size of the FLOAT32 artifact the quantization started from
   * @param bytes        size of the quantized artifact
   * @param layers       one entry per node of the float artifact
   * @param floatArtifact the FLOAT32 artifact the quantization started from
   * @param mixedPrecision what the int8 mixed-precision search did; null when not asked for
   */
  public record QuantizationReport(QuantizeMode mode, long floatBytes, long bytes, List<LayerReport> layers,
      byte[] floatArtifact, MixedPrecision.Report mixedPrecision) {
    /** A report without mixed precision. */
    public QuantizationReport(QuantizeMode mode, long floatBytes, long bytes, List<LayerReport> layers,
        byte[] floatArtifact) {
      this(mode, floatBytes, bytes, layers, floatArtifact, null);
    }
  }

  /**
   * @param opsBefore      ONNX op types and how many nodes use each, as imported
   * @param opsAfter       runtime op types and how many nodes use each, as written
   * @param parameterCount elements of all constants in the artifact
   * @param bytesIn        size of the ONNX model (external data not included)
   * @param bytesOut       size of the artifact
   * @param elapsed        wall time of the conversion
   * @param notes          things the caller should know, e.g. "batch dimension of 'input' fixed to 1"
   * @param passLog        one line per applied patch, in order
   * @param sourceOpset    the model's default-domain opset
   * @param sourceProducer the tool that wrote the ONNX file, e.g. "pytorch 1.13.1"
   */
  public record Summary(Map<String, Integer> opsBefore, Map<String, Integer> opsAfter, long parameterCount,
      long bytesIn, long bytesOut, Duration elapsed, List<String> notes, List<String> passLog, int sourceOpset,
      String sourceProducer) {}
}
