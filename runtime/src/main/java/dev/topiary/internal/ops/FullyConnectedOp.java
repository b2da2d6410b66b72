package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.TransposedGemm;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * FullyConnected (docs/OPS.md): {@code y[..., n] = act(Σ_k x[..., k]·w[n, k] + b[n])} with constant
 * weights {@code [N, K]} and optional constant bias {@code [N]}. The fast path is a {@link GemmKernel}
 * over the rows of {@code x} with the weights packed at load time, or for narrow outputs with many
 * rows a {@link TransposedGemmKernel} reading the weights in place, or a {@link VectorGemmKernel}
 * when the plan has {@link VectorKernels}; weights whose zero fraction
 * exceeds {@link SparseLinearKernel#THRESHOLD} bind the compressed-row {@link SparseLinearKernel}.
 * INT8 inputs go to {@link Int8FullyConnected}, FLOAT32 inputs with INT8 weights to
 * {@link DynamicRange}.
 */
final class FullyConnectedOp implements OpFactory {
  @Override
  public String opType() {
    return "FullyConnected";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    if (ctx.inputCount() >= 2 && ctx.hasInput(0) && ctx.inputType(0) == DataType.INT8) {
      return Int8FullyConnected.bind(ctx);
    }
    if (ctx.inputCount() >= 2 && ctx.hasInput(1) && ctx.inputType(1) == DataType.INT8) {
      return DynamicRange.fullyConnected(ctx);
    }
    ctx.requireInputs(2, 3);
    ctx.requireType(0, DataType.FLOAT32);
    int[] xs = ctx.inputShape(0);
    if (xs.length < 1) {
      throw ctx.error("input 0 must have rank >= 1, got a scalar");
    }
    ConvParams.requireFloatConstant(ctx, 1, "weights");
    int[] ws = ctx.inputShape(1);
    int k = xs[xs.length - 1];
    if (ws.length != 2 || ws[1] != k) {
      throw ctx.error("weights must be [N," + k + "] to match the input's last dimension (input " + Shape.of(xs)
          + "), got " + Shape.of(ws));
    }
    int n = ws[0];
    if (ctx.hasInput(2)) {
      ConvParams.requireFloatConstant(ctx, 2, "bias");
      int[] bs = ctx.inputShape(2);
      if (bs.length != 1 || bs[0] != n) {
        throw ctx.error("bias must have shape [" + n + "] (one value per output), got " + Shape.of(bs));
      }
    }
    Activation act = Activation.fromNode(ctx);
    int[] ys = xs.clone();
    ys[ys.length - 1] = n;
    ctx.setOutput(0, DataType.FLOAT32, ys);
    // Rows: the product of the leading dimensions (fits an int: setOutput bounded m·n, and with
    // n = 0 there is nothing to compute).
    long rows = 1;
    for (int i = 0; i < xs.length - 1; i++) {
      rows *= xs[i];
    }
    int m = n == 0 ? 0 : (int) rows;
    float[] w = ctx.constantFloats(1);
    float[] b = ctx.hasInput(2) ? ctx.constantFloats(2) : null;
    int x = ctx.inputId(0);
    int y = ctx.outputId(0);
    if (ctx.referenceKernels()) {
      return new Reference(m, n, k, w, b, act, x, y);
    }
    if (SparseLinearKernel.preferred(ctx, 1)) {
      return new SparseLinearKernel(m, n, k, w, b, act, x, y);
    }
    VectorKernels vk = ctx.vectorKernels();
    if (vk != null) {
      return VectorGemmKernel.single(ctx, vk, m, n, k, w, k, 1, b, act, k, n, x, y);
    }
    if (TransposedGemm.preferred(m, n)) {
      TransposedGemm t = new TransposedGemm(m, n, k, b, Epilogue.kind(act), act.min(), act.max());
      return new TransposedGemmKernel(ctx, t, new int[1], new int[1], new int[1], k, w, k, 1, n, x, -1, y);
    }
    Gemm g = Epilogue.gemm(m, n, k, Gemm.Packed.ofTransposed(w, 0, k, k, n), b, act);
    return new GemmKernel(ctx, new Gemm[] {g}, new int[1], new int[1], new int[1], k, 0, n, x, -1, y);
  }

  /** The formula as plain loops: the oracle of the fast path. */
  static final class Reference implements Kernel {
    private final int m;
    private final int n;
    private final int k;
    private final float[] w;
    private final float[] b;
    private final Activation act;
    private final int x;
    private final int y;

    Reference(int m, int n, int k, float[] w, float[] b, Activation act, int x, int y) {
      this.m = m;
      this.n = n;
      this.k = k;
      this.w = w;
      this.b = b;
      this.act = act;
      this.x = x;
      this.y = y;
    }

    @Override
    public void run(Frame f) {
      float[] in = f.f32(x);
      int xo = f.off(x);
      float[] out = f.f32(y);
      int yo = f.off(y);
      for (int r = 0; r < m; r++) {
        for (int j = 0; j < n; j++) {
          float s = 0f;
          for (int kk = 0; kk < k; kk++) {
            s += in[xo + r * k + kk] * w[j * k + kk];
          }
          if (b != null) {
            s += b[j];
          }
          out[yo + r * n + j] = act.apply(s);
        }
      }
    }
  }
}
