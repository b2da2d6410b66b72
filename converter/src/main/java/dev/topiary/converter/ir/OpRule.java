package dev.topiary.converter.ir;

import dev.topiary.converter.ConversionException;

/**
 * The meaning of an op type: output facts (where every check happens), optional evaluation over
 * constant inputs (reference Java code, used by constant folding), and optional lowering to runtime
 * ops. Rules are stateless singletons.
 */
public interface OpRule {
  Dialect dialect();

  /**
   * Output facts for {@code inputs} ({@code null} for an omitted optional input). Inputs have
   * concrete shapes. Throws with a message that need not name the node (the caller adds it).
   */
  Fact[] facts(Op op, Fact[] inputs, int outputCount) throws ConversionException;

  /** Evaluates over constant inputs, or returns null when this op is not evaluated at conversion time. */
  default TensorValue[] eval(Op op, TensorValue[] inputs, Fact[] outputs) throws ConversionException {
    return null;
  }

  /** True when {@link #eval} may run on this op (small shape arithmetic or constant data movement). */
  default boolean foldable(Op op) {
    return false;
  }

  /** Rewrites the node into runtime ops; only ONNX-dialect rules implement this. */
  default void lower(Lowering ctx) throws ConversionException {
    throw new ConversionException("has no lowering to runtime ops");
  }
}
