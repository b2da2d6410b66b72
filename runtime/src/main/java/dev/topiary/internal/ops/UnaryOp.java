package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;

/**
 * Base of elementwise FLOAT32 ops with one input and one output of the same shape. Subclasses
 * read their attributes in {@link #function} and return the per-element function.
 */
abstract class UnaryOp implements OpFactory {
  /** The per-element function, applied to a contiguous range. */
  interface Fn {
    void apply(float[] x, int xo, float[] y, int yo, int n);
  }

  /** Reads the node's attributes and returns its function. */
  abstract Fn function(BindContext ctx) throws ModelFormatException;

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(1, 1);
    ctx.requireType(0, DataType.FLOAT32);
    ctx.setOutput(0, DataType.FLOAT32, ctx.inputShape(0));
    final Fn fn = function(ctx);
    final int x = ctx.inputId(0);
    final int y = ctx.outputId(0);
    final int n = dev.topiary.Shape.of(ctx.inputShape(0)).elementCount();
    return f -> fn.apply(f.f32(x), f.off(x), f.f32(y), f.off(y), n);
  }
}
