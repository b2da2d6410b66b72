package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;

/**
 * Base of elementwise FLOAT32 ops with one input and one output of the same shape. Subclasses
 * read their attributes in {@link #function} and return the per-element function. Large tensors
 * are split into contiguous ranges across the session's workers.
 */
abstract class UnaryOp implements OpFactory {
  /** The per-element function, applied to a contiguous range. */
  interface Fn {
    void apply(float[] x, int xo, float[] y, int yo, int n);
  }

  /** Elements per parallel item: ranges start at multiples of it. */
  private static final int RANGE = 4096;

  /** Reads the node's attributes and returns its function. */
  abstract Fn function(BindContext ctx) throws ModelFormatException;

  /** Relative cost of one element, in units of a simple arithmetic op (transcendentals cost more). */
  int costPerElement() {
    return 1;
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(1, 1);
    ctx.requireType(0, DataType.FLOAT32);
    ctx.setOutput(0, DataType.FLOAT32, ctx.inputShape(0));
    final Fn fn = function(ctx);
    final int x = ctx.inputId(0);
    final int y = ctx.outputId(0);
    final int n = dev.topiary.Shape.of(ctx.inputShape(0)).elementCount();
    final int ranges = (n + RANGE - 1) / RANGE;
    final long work = (long) n * costPerElement();
    final Chunks.Body body = (f, from, to, w) -> {
      int start = from * RANGE;
      int end = (int) Math.min((long) to * RANGE, n);
      fn.apply(f.f32(x), f.off(x) + start, f.f32(y), f.off(y) + start, end - start);
    };
    return f -> Chunks.run(f, ranges, work, body);
  }
}
