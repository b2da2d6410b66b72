package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;

/** Registers the NHWC pools: MaxPool, AvgPool ({@link Pool2DOp}) and GlobalAvgPool. */
final class PoolOps {
  private PoolOps() {}

  static void register(OpRegistry r) {
    r.add(new Pool2DOp(true));
    r.add(new Pool2DOp(false));
    r.add(new GlobalAvgPool());
  }

  /** Mean over H and W of {@code [N, H, W, C]}: output {@code [N, 1, 1, C]}; a ReduceMean. */
  static final class GlobalAvgPool implements OpFactory {
    @Override
    public String opType() {
      return "GlobalAvgPool";
    }

    @Override
    public Kernel bind(BindContext ctx) throws ModelFormatException {
      ctx.requireInputs(1, 1);
      ctx.requireType(0, DataType.FLOAT32);
      ctx.requireRank(0, 4);
      return ReduceMeanOp.bindMean(ctx, ctx.inputShape(0), new boolean[] {false, true, true, false}, true);
    }
  }
}
