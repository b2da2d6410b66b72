package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.quantization.QuantParams;

/**
 * Dynamic-range FullyConnected and Conv2D: FLOAT32 input, constant INT8 weights (symmetric, per
 * tensor or per output channel along axis 0), optional FLOAT32 bias, FLOAT32 output (docs/OPS.md).
 *
 * <p>At run time the input is quantized asymmetrically to int8 — per row of {@code [..., K]} for
 * FullyConnected, per image for Conv2D — with TFLite's {@code AsymmetricQuantizeFloats}: the range
 * {@code [min(0, min x), max(0, max x)]} over 255 steps, the zero point chosen and rounded as
 * {@code ChooseQuantizationParams}, each value {@code round_half_away(zp + x · (1/scale))} (in float) clamped
 * to {@code [−128, 127]}. Then {@code acc = Σ w·(x_q − zp)} in int32 (padded taps contribute 0) and
 * {@code y = act(acc · scale · w_scale[oc] + b[oc])}. A row (image) holding NaN or ±∞ gives NaN
 * outputs.
 *
 * <p>The quantized input lives in the worker's float scratch as the exact integers
 * {@code x_q − zp} ({@code |·| ≤ 255}), read back with an int cast, so the kernel allocates nothing.
 * One kernel per op: it is simple enough to be its own reference, and tests check it against the
 * FLOAT32 op.
 */
final class DynamicRange {
  private DynamicRange() {}

  static Kernel fullyConnected(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(2, 3);
    ctx.requireType(0, DataType.FLOAT32);
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
    float[] bias = floatBias(ctx, n);
    Activation act = Activation.fromNode(ctx);
    int[] ys = xs.clone();
    ys[ys.length - 1] = n;
    ctx.setOutput(0, DataType.FLOAT32, ys);
    long rows = 1;
    for (int i = 0; i < xs.length - 1; i++) {
      rows *= xs[i];
    }
    int m = n == 0 ? 0 : (int) rows;
    return rowsKernel(ctx, Int8Conv.bytes(ctx.constantLongs(1)), weightScales(wq, n), bias, act, m, n, k);
  }

  /**
   * Dynamic-range rows: {@code m} rows of {@code k} floats (input 0) times INT8 {@code w [n, k]}
   * with per-output scales, into output 0. Shared with MatMul (constant B, transposed).
   */
  static Kernel rowsKernel(BindContext ctx, byte[] w, float[] wScale, float[] bias, Activation act, int m, int n,
      int k) {
    ctx.requestScratch(k);
    int x = ctx.inputId(0);
    int y = ctx.outputId(0);
    Chunks.Body body = (f, from, to, wk) -> {
      float[] xv = f.f32(x);
      int xo = f.off(x);
      float[] yv = f.f32(y);
      int yo = f.off(y);
      float[] q = f.scratch(wk);
      for (int r = from; r < to; r++) {
        float scale = quantize(xv, xo + r * k, k, q, 0);
        int yr = yo + r * n;
        for (int j = 0; j < n; j++) {
          int acc = 0;
          int wj = j * k;
          for (int kk = 0; kk < k; kk++) {
            acc += w[wj + kk] * (int) q[kk];
          }
          yv[yr + j] = act.apply(acc * (scale * wScale[j]) + (bias == null ? 0f : bias[j]));
        }
      }
    };
    long work = (long) m * n * k;
    return f -> Chunks.run(f, m, work, body);
  }

  static Kernel conv(BindContext ctx) throws ModelFormatException {
    ConvParams p = ConvParams.of(ctx, DataType.FLOAT32, true);
    QuantParams wq = Int8Checks.weights(ctx, 1, p.o);
    float[] bias = floatBias(ctx, p.o);
    Activation act = Activation.fromNode(ctx);
    byte[] w = Int8Conv.bytes(ctx.constantLongs(1));
    float[] wScale = weightScales(wq, p.o);
    if (p.group == 1) {
      // The image quantizer's float row lives in the float scratch.
      ctx.requestScratch(p.h * p.w * p.c);
      return Int8ConvTiled.dynamic(ctx, p, w, wScale, bias, act, ctx.inputId(0), ctx.outputId(0));
    }
    // Grouped and depthwise: the weights are stored INT8 (the file stays small) but dequantized at
    // load and run by the FLOAT32 kernels. With K·K·C/group products per output there is nothing
    // for integer arithmetic to win, and quantizing every input image cost 10-20x the float time.
    float[] wf = new float[w.length];
    int per = w.length / p.o;
    for (int i = 0; i < w.length; i++) {
      wf[i] = w[i] * wScale[i / per];
    }
    return Conv2DOp.floatKernel(ctx, p, wf, bias, act);
  }


  /**
   * Quantizes {@code x[off, off + len)} into {@code q[qo, qo + len)} as the exact integers
   * {@code x_q − zp}; returns the scale, or NaN when the values are not all finite.
   */
  static float quantize(float[] x, int off, int len, float[] q, int qo) {
    float min = 0f;
    float max = 0f;
    boolean finite = true;
    for (int i = off; i < off + len; i++) {
      float v = x[i];
      if (Float.isNaN(v) || Float.isInfinite(v)) {
        finite = false;
      }
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (!finite) {
      return Float.NaN;
    }
    if (min == max) {
      // All zeros: q = zp for every value.
      java.util.Arrays.fill(q, qo, qo + len, 0f);
      return 1f;
    }
    double rmin = min;
    double rmax = max;
    double scaleD = (rmax - rmin) / 255.0;
    double zpFromMin = -128 - rmin / scaleD;
    double zpFromMax = 127 - rmax / scaleD;
    double errMin = 128 + Math.abs(rmin / scaleD);
    double errMax = 127 + Math.abs(rmax / scaleD);
    double zpD = errMin < errMax ? zpFromMin : zpFromMax;
    int zp = zpD < -128 ? -128 : zpD > 127 ? 127 : (int) (zpD >= 0 ? Math.floor(zpD + 0.5) : -Math.floor(-zpD + 0.5));
    float scale = (float) scaleD;
    float inv = (float) (1.0 / scale);
    for (int i = 0; i < len; i++) {
      // TFLite rounds zp + x/scale in float (not zp + round(x/scale): they differ at ties).
      long v = QuantParams.roundHalfAwayFromZero(zp + x[off + i] * inv);
      int c = (int) Math.max(-128, Math.min(127, v));
      q[qo + i] = c - zp;
    }
    return scale;
  }

  private static float[] floatBias(BindContext ctx, int n) throws ModelFormatException {
    if (!ctx.hasInput(2)) {
      return null;
    }
    ConvParams.requireFloatConstant(ctx, 2, "bias");
    int[] bs = ctx.inputShape(2);
    if (bs.length != 1 || bs[0] != n) {
      throw ctx.error("bias must have shape [" + n + "] (one value per output), got " + Shape.of(bs));
    }
    return ctx.constantFloats(2);
  }

  static float[] weightScales(QuantParams wq, int n) {
    float[] s = new float[n];
    for (int j = 0; j < n; j++) {
      s[j] = Int8Checks.weightScale(wq, j);
    }
    return s;
  }
}
