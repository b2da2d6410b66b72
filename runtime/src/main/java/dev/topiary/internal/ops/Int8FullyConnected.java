package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.cpu.TransposedGemm;
import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.quantization.FixedPoint;
import dev.topiary.quantization.QuantParams;

/**
 * FullyConnected with INT8 input {@code [..., K]}, constant INT8 weights {@code [N, K]} (per tensor
 * or per output channel), optional INT32 bias {@code [N]} and INT8 output, as TFLite's
 * {@code reference_integer_ops::FullyConnected}: {@code acc = Σ_k w[n,k]·(x[k] − zp_x) + b[n]},
 * {@code y = clamp(MBQM(acc, m[n], shift[n]) + zp_y, lo, hi)}.
 *
 * <p>The multiplier follows TFLite: with per-tensor weights {@code (double)(float)(s_x·s_w) / s_y}
 * ({@code GetQuantizedConvolutionMultipler} multiplies the scales in float); with per-channel
 * weights {@code (double) s_x · s_w[n] / s_y}.
 *
 * <p>Wide outputs (96 or more, or more outputs than rows: a classifier head) run through
 * {@link Int8ConvGemm} as a 1×1 convolution; with the Vector API kernels every width runs through
 * {@link VectorInt8ConvKernel}. Otherwise the fast kernel computes {@code Σ w·x} four outputs at a
 * time and adds the precomputed {@code b[n] − zp_x·Σ_k w[n,k]}: the same int32 value, so the same
 * bits.
 */
final class Int8FullyConnected {
  private Int8FullyConnected() {}

  static Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(2, 3);
    QuantParams in = Int8Checks.input(ctx, 0);
    int[] xs = ctx.inputShape(0);
    if (xs.length < 1) {
      throw ctx.error("input 0 must have rank >= 1, got a scalar");
    }
    int[] ws = ctx.inputShape(1);
    int k = xs[xs.length - 1];
    if (ws.length != 2 || ws[1] != k) {
      throw ctx.error("weights must be [N," + k + "] to match the input's last dimension (input " + Shape.of(xs)
          + "), got " + Shape.of(ws));
    }
    int n = ws[0];
    QuantParams wq = Int8Checks.weights(ctx, 1, n);
    int[] bias = Int8Checks.bias(ctx, 2, n, in.scale(0), wq);
    QuantParams out = Int8Checks.output(ctx, 0);
    int[] range = Int8Checks.activationRange(ctx, Activation.fromNode(ctx), out);
    int[] ys = xs.clone();
    ys[ys.length - 1] = n;
    ctx.setOutput(0, DataType.INT8, ys);
    long rows = 1;
    for (int i = 0; i < xs.length - 1; i++) {
      rows *= xs[i];
    }
    int m = n == 0 ? 0 : (int) rows;
    return kernel(ctx, in, wq, Int8Conv.bytes(ctx.constantLongs(1)), bias, out, range, m, n, k);
  }

  /**
   * The kernel over {@code m} rows of {@code k} INT8 values and weights {@code w [n, k]} whose scale
   * for output {@code j} is {@link Int8Checks#weightScale}{@code (wq, j)}; input 0 and output 0 of
   * the node. Shared with the INT8 MatMul (constant B, transposed).
   */
  static Kernel kernel(BindContext ctx, QuantParams in, QuantParams wq, byte[] w, int[] bias, QuantParams out,
      int[] range, int m, int n, int k) throws ModelFormatException {
    int[] mult = new int[n];
    int[] shift = new int[n];
    for (int j = 0; j < n; j++) {
      double real = wq.isPerTensor()
          ? (double) (in.scale(0) * wq.scale(0)) / out.scale(0)
          : (double) in.scale(0) * Int8Checks.weightScale(wq, j) / out.scale(0);
      FixedPoint.Multiplier q = Int8Checks.multiplier(ctx, real);
      mult[j] = q.multiplier;
      shift[j] = q.shift;
    }
    int zpIn = in.zeroPoint(0);
    int zpOut = out.zeroPoint(0);
    int lo = range[0];
    int hi = range[1];
    int x = ctx.inputId(0);
    int y = ctx.outputId(0);
    if (ctx.referenceKernels()) {
      return f -> {
        byte[] xv = f.i8(x);
        int xo = f.off(x);
        byte[] yv = f.i8(y);
        int yo = f.off(y);
        for (int r = 0; r < m; r++) {
          for (int j = 0; j < n; j++) {
            int acc = 0;
            for (int kk = 0; kk < k; kk++) {
              acc += w[j * k + kk] * (xv[xo + r * k + kk] - zpIn);
            }
            if (bias != null) {
              acc += bias[j];
            }
            yv[yo + r * n + j] = Int8Conv.requantize(acc, mult[j], shift[j], zpOut, lo, hi);
          }
        }
      };
    }
    VectorKernels vk = ctx.int8VectorKernels();
    if (vk != null || !TransposedGemm.preferred(m, n)) {
      Int8Conv.Bound b = new Int8Conv.Bound();
      b.p = ConvParams.fullyConnected(m, k, n);
      b.w = w;
      b.bias = bias;
      b.zpIn = zpIn;
      b.zpOut = zpOut;
      b.lo = lo;
      b.hi = hi;
      b.mult = mult;
      b.shift = shift;
      return vk != null ? new VectorInt8ConvKernel(ctx, vk, b, x, y) : new Int8ConvGemm(ctx, b, x, y);
    }
    int[] adj = new int[n];
    for (int j = 0; j < n; j++) {
      int s = 0;
      for (int kk = 0; kk < k; kk++) {
        s += w[j * k + kk];
      }
      adj[j] = (bias == null ? 0 : bias[j]) - zpIn * s;
    }
    long work = (long) m * n * k;
    Chunks.Body body = (f, from, to, wk) -> {
      byte[] xv = f.i8(x);
      int xo = f.off(x);
      byte[] yv = f.i8(y);
      int yo = f.off(y);
      for (int r = from; r < to; r++) {
        int xr = xo + r * k;
        int yr = yo + r * n;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
          int w0 = j * k;
          int w1 = w0 + k;
          int w2 = w1 + k;
          int w3 = w2 + k;
          int a0 = 0;
          int a1 = 0;
          int a2 = 0;
          int a3 = 0;
          for (int kk = 0; kk < k; kk++) {
            int v = xv[xr + kk];
            a0 += w[w0 + kk] * v;
            a1 += w[w1 + kk] * v;
            a2 += w[w2 + kk] * v;
            a3 += w[w3 + kk] * v;
          }
          yv[yr + j] = Int8Conv.requantize(a0 + adj[j], mult[j], shift[j], zpOut, lo, hi);
          yv[yr + j + 1] = Int8Conv.requantize(a1 + adj[j + 1], mult[j + 1], shift[j + 1], zpOut, lo, hi);
          yv[yr + j + 2] = Int8Conv.requantize(a2 + adj[j + 2], mult[j + 2], shift[j + 2], zpOut, lo, hi);
          yv[yr + j + 3] = Int8Conv.requantize(a3 + adj[j + 3], mult[j + 3], shift[j + 3], zpOut, lo, hi);
        }
        for (; j < n; j++) {
          int a = 0;
          int wj = j * k;
          for (int kk = 0; kk < k; kk++) {
            a += w[wj + kk] * xv[xr + kk];
          }
          yv[yr + j] = Int8Conv.requantize(a + adj[j], mult[j], shift[j], zpOut, lo, hi);
        }
      }
    };
    return f -> Chunks.run(f, m, work, body);
  }
}
