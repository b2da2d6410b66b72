package dev.topiary.internal.ops;

import dev.topiary.ModelFormatException;

/**
 * The contract of one op type: every check of inputs, attributes and shapes happens in
 * {@link #bind}, which declares the output types and shapes through the context and returns a
 * kernel that can trust its inputs.
 */
public interface OpFactory {
  /** The op type as stored in artifacts, e.g. {@code "Conv2D"}. */
  String opType();

  /**
   * Checks the node and binds its kernel. Must call {@link BindContext#setOutput} for every output.
   *
   * @throws ModelFormatException if inputs, attributes or shapes are invalid (use {@link BindContext#error})
   */
  Kernel bind(BindContext ctx) throws ModelFormatException;
}
