package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Precision.*;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import java.util.EnumSet;

/** Registers the NHWC pools: MaxPool, AvgPool ({@link Pool2DOp}) and GlobalAvgPool. */
final class PoolOps {
  private PoolOps() {}

  static void register(OpRegistry r) {
    r.add(new Pool2DOp(true), EnumSet.of(FLOAT32, INT8));
    r.add(new Pool2DOp(false), EnumSet.of(FLOAT32, INT8));
    r.add(new GlobalAvgPool(), EnumSet.of(FLOAT32, INT8));
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
      if (ctx.hasInput(0) && ctx.inputType(0) == DataType.INT8) {
        return int8(ctx);
      }
      ctx.requireType(0, DataType.FLOAT32);
      ctx.requireRank(0, 4);
      return ReduceMeanOp.bindMean(ctx, ctx.inputShape(0), new boolean[] {false, true, true, false}, true);
    }

    /**
     * INT8: the sum of each channel over H·W in int32, divided rounding half away from zero as
     * the INT8 AvgPool; output parameters equal the input's.
     */
    private static Kernel int8(BindContext ctx) throws ModelFormatException {
      Int8Checks.input(ctx, 0);
      Int8Checks.output(ctx, 0);
      Int8Checks.sameAsInput(ctx, 0, 0);
      ctx.requireRank(0, 4);
      int[] s = ctx.inputShape(0);
      if (s[1] == 0 || s[2] == 0) {
        throw ctx.error("input " + dev.topiary.Shape.of(s) + " has no pixels to average");
      }
      ctx.setOutput(0, DataType.INT8, new int[] {s[0], 1, 1, s[3]});
      int n = s[0];
      int hw = s[1] * s[2];
      int c = s[3];
      int x = ctx.inputId(0);
      int y = ctx.outputId(0);
      return f -> {
        byte[] in = f.i8(x);
        byte[] out = f.i8(y);
        int xo = f.off(x);
        int yo = f.off(y);
        for (int b = 0; b < n; b++) {
          for (int ch = 0; ch < c; ch++) {
            int acc = 0;
            for (int p = 0; p < hw; p++) {
              acc += in[xo + (b * hw + p) * c + ch];
            }
            out[yo + b * c + ch] = (byte) (acc > 0 ? (acc + hw / 2) / hw : (acc - hw / 2) / hw);
          }
        }
      };
    }
  }
}
