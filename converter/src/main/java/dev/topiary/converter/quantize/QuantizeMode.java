package dev.topiary.converter.quantize;

/** How a conversion compresses the model after the passes. */
public enum QuantizeMode {
  /** No quantization: FLOAT32 weights and activations. */
  NONE,
  /** FLOAT16 weights, widened to FLOAT32 at load. */
  FP16,
  /** Dynamic range: INT8 per-channel weights of Conv2D, FullyConnected and MatMul, float activations. */
  DYNAMIC,
  /** Full int8 with calibration: INT8 activations and weights, INT32 biases (TFLite int8). */
  INT8;

  /** The command-line spelling: {@code fp16}, {@code dynamic}, {@code int8}. */
  public String cliName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
