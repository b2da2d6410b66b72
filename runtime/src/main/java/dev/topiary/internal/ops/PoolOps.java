package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Precision.*;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.internal.cpu.VectorKernels;
import java.util.Arrays;
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
      // Per-channel int32 sums: on the Vector API a block of channels at a time in one register,
      // else pixel by pixel into C sums (a channel-major loop strided by C through the input took
      // 4.2 µs against fp32's 0.3 on 7×7×128).
      ctx.requestScratchInts(c);
      VectorKernels vk = ctx.int8VectorKernels();
      return f -> {
        byte[] in = f.i8(x);
        byte[] out = f.i8(y);
        int[] acc = f.scratchInts(0);
        int xo = f.off(x);
        int yo = f.off(y);
        for (int b = 0; b < n; b++) {
          if (vk != null) {
            vk.int8ChannelSums(in, xo + b * hw * c, hw, c, acc);
          } else {
            Arrays.fill(acc, 0, c, 0);
            for (int p = 0; p < hw; p++) {
              int at = xo + (b * hw + p) * c;
              for (int ch = 0; ch < c; ch++) {
                acc[ch] += in[at + ch];
              }
            }
          }
          for (int ch = 0; ch < c; ch++) {
            int sum = acc[ch];
            out[yo + b * c + ch] = (byte) (sum > 0 ? (sum + hw / 2) / hw : (sum - hw / 2) / hw);
          }
        }
      };
    }
  }
}
