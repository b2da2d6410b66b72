package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.quantization.QuantParams;

/**
 * MatMul with a constant INT8 {@code b [K, N]} (per tensor, or per output column along axis 1):
 * with INT8 {@code a [..., M, K]} the INT8 FullyConnected arithmetic (no bias) into an INT8 output;
 * with FLOAT32 {@code a} the dynamic-range rows kernel into a FLOAT32 output. {@code b} is
 * transposed to {@code [N, K]} at load, so both reuse the FullyConnected kernels. A rank-1 {@code a}
 * is one row and the output drops that dimension. Batched or rank-1 {@code b} is not supported
 * with INT8 and fails at load.
 */
final class Int8MatMul {
  private Int8MatMul() {}

  static Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(2, 2);
    boolean int8 = ctx.inputType(0) == DataType.INT8;
    if (!int8) {
      ctx.requireType(0, DataType.FLOAT32);
    }
    int[] as = ctx.inputShape(0);
    int[] bs = ctx.inputShape(1);
    if (as.length < 1) {
      throw ctx.error("input 0 must have rank >= 1, got a scalar");
    }
    if (bs.length != 2) {
      throw ctx.error("INT8 b (input 1 '" + ctx.inputName(1) + "') must be a constant [K,N] matrix, got "
          + Shape.of(bs));
    }
    int k = as[as.length - 1];
    if (bs[0] != k) {
      throw ctx.error("inner dimensions differ: a " + Shape.of(as) + " has K = " + k + ", b " + Shape.of(bs)
          + " has K = " + bs[0]);
    }
    int n = bs[1];
    QuantParams in = int8 ? Int8Checks.input(ctx, 0) : null;
    QuantParams wq = Int8Checks.weights(ctx, 1, n, 1);
    Activation act = Activation.fromNode(ctx);
    int[] ys = as.clone();
    ys[ys.length - 1] = n;
    long rows = 1;
    for (int i = 0; i < as.length - 1; i++) {
      rows *= as[i];
    }
    int m = n == 0 ? 0 : (int) rows;
    long[] b = ctx.constantLongs(1);
    byte[] w = new byte[n * k];
    for (int kk = 0; kk < k; kk++) {
      for (int j = 0; j < n; j++) {
        w[j * k + kk] = (byte) b[kk * n + j];
      }
    }
    if (!int8) {
      ctx.setOutput(0, DataType.FLOAT32, ys);
      return DynamicRange.rowsKernel(ctx, w, DynamicRange.weightScales(wq, n), null, act, m, n, k);
    }
    QuantParams out = Int8Checks.output(ctx, 0);
    int[] range = Int8Checks.activationRange(ctx, act, out);
    ctx.setOutput(0, DataType.INT8, ys);
    return Int8FullyConnected.kernel(ctx, in, wq, w, null, out, range, m, n, k);
  }
}
