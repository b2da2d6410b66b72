package dev.topiary.internal.ops;

/**
 * One node's computation, bound at plan time: shapes, tensor ids, packed weights and parameters are
 * fixed; {@link #run} only reads inputs and writes outputs through the {@link Frame}. A kernel is
 * shared by every session of a model, so it holds no mutable state: scratch memory comes from the
 * frame.
 */
public interface Kernel {
  /** Computes the node's outputs. Must not allocate in steady state. */
  void run(Frame frame);
}
