package dev.topiary.converter.ir;

/** Which level of the pipeline an op belongs to. */
public enum Dialect {
  /** Graph structure: {@code Input} and {@code Const}. */
  IR,
  /** ONNX semantics, as imported (NCHW, parameters as inputs), before lowering. */
  ONNX,
  /** A runtime op of docs/OPS.md with its attributes: what the artifact stores. */
  RUNTIME,
  /** An op the importer does not know; conversion reports it and stops. */
  PLACEHOLDER
}
