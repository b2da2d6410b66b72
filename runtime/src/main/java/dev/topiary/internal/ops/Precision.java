package dev.topiary.internal.ops;

/**
 * The numeric forms in which an op has kernels, declared per op type at registration
 * ({@link OpRegistry#precisions}) so that the planner checks them before binding and the converter
 * reads them when it decides what to quantize: capabilities are data, never discovered by trying.
 */
public enum Precision {
  /** FLOAT32 activations and constants: every op. */
  FLOAT32,
  /**
   * FLOAT16 constants widened to FLOAT32 at load, at the input slots
   * {@link OpRegistry#float16Slots} names; compute stays FLOAT32.
   */
  FLOAT16_WEIGHTS,
  /** Dynamic range: constant INT8 weights (input 1), FLOAT32 activations quantized on the fly. */
  DYNAMIC_RANGE,
  /**
   * Full integer: INT8 activations with per-tensor parameters (docs/OPS.md, "Quantized
   * execution"), including the boundary ops that convert to (Quantize) or from (Dequantize) INT8.
   * Fused activations other than {@link Activation.Kind#HARD_SWISH} are supported.
   */
  INT8
}
