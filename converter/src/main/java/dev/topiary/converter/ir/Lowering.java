package dev.topiary.converter.ir;

import dev.topiary.converter.ConversionException;

/**
 * What a rule sees while lowering one node to runtime ops: the node, its input facts, and ways to
 * add nodes and to replace the node's outputs. Everything added goes into one patch.
 */
public interface Lowering {
  Node node();

  Op op();

  /** The node's input {@code i}, or {@link Outlet#NONE} when omitted or beyond the inputs given. */
  Outlet input(int i);

  /** Fact of input {@code i}, or null when the input is omitted. */
  Fact inputFact(int i);

  Fact outputFact(int slot);

  /** True when output {@code slot} has a reader (a live node or a graph output). */
  boolean outputUsed(int slot);

  /** Adds a single-output node named after {@code suffix} ("" keeps the node's own name). */
  Outlet add(String suffix, Op op, Outlet... inputs);

  /** Adds a constant. */
  Outlet constant(String suffix, TensorValue value);

  /** Routes every consumer of the node's output {@code slot} to {@code replacement}. */
  void replace(int slot, Outlet replacement);

  /** An exception naming the node, its op type and {@code message}. */
  ConversionException error(String message);
}
