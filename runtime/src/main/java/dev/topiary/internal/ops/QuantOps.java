package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Precision.*;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.quantization.QuantParams;
import java.util.EnumSet;

/**
 * Registers Quantize (FLOAT32 → INT8) and Dequantize (INT8 or INT32 → FLOAT32), the boundary ops of
 * quantized graphs (docs/OPS.md, "Quantized execution").
 */
final class QuantOps {
  private QuantOps() {}

  static void register(OpRegistry r) {
    r.add(new Quantize(), EnumSet.of(FLOAT32, INT8));
    r.add(new Dequantize(), EnumSet.of(INT8));
  }

  /**
   * {@code q = clamp(round_half_away(x / scale) + zp, −128, 127)} with the INT8 output's per-tensor
   * parameters; the division is in float, as TFLite's reference kernel. NaN quantizes to the zero
   * point.
   */
  static final class Quantize implements OpFactory {
    @Override
    public String opType() {
      return "Quantize";
    }

    @Override
    public Kernel bind(BindContext ctx) throws ModelFormatException {
      ctx.requireInputs(1, 1);
      ctx.requireType(0, DataType.FLOAT32);
      QuantParams q = Int8Checks.output(ctx, 0);
      int[] shape = ctx.inputShape(0);
      ctx.setOutput(0, DataType.INT8, shape);
      int n = Shape.of(shape).elementCount();
      int x = ctx.inputId(0);
      int y = ctx.outputId(0);
      VectorKernels vk = ctx.int8VectorKernels();
      if (vk != null && !ctx.referenceKernels()) {
        float scale = q.scale(0);
        int zp = q.zeroPoint(0);
        return f -> vk.quantize(f.f32(x), f.off(x), f.i8(y), f.off(y), n, scale, zp);
      }
      return f -> {
        float[] in = f.f32(x);
        int xo = f.off(x);
        byte[] out = f.i8(y);
        int yo = f.off(y);
        for (int i = 0; i < n; i++) {
          out[yo + i] = (byte) q.quantize(in[xo + i], 0, -128, 127);
        }
      };
    }
  }

  /**
   * {@code x = scale × (q − zp)} from INT8 or INT32 input, per tensor or per axis; the product is
   * taken in double and rounded once to float (TFLite's reference kernel), which for INT8 equals
   * the float product.
   */
  static final class Dequantize implements OpFactory {
    @Override
    public String opType() {
      return "Dequantize";
    }

    @Override
    public Kernel bind(BindContext ctx) throws ModelFormatException {
      ctx.requireInputs(1, 1);
      DataType t = ctx.inputType(0);
      if (t != DataType.INT8 && t != DataType.INT32) {
        throw ctx.error("input 0 '" + ctx.inputName(0) + "' must be INT8 or INT32, got " + t);
      }
      QuantParams q = ctx.inputQuant(0);
      if (q == null) {
        throw ctx.error("input 0 '" + ctx.inputName(0) + "' is " + t + " but has no quantization parameters");
      }
      int[] shape = ctx.inputShape(0);
      if (t == DataType.INT8) {
        for (int c = 0; c < q.channels(); c++) {
          if (q.zeroPoint(c) < -128 || q.zeroPoint(c) > 127) {
            throw ctx.error("input 0 '" + ctx.inputName(0) + "' has zero point " + q.zeroPoint(c)
                + ", outside the INT8 range [-128, 127]");
          }
        }
      }
      ctx.setOutput(0, DataType.FLOAT32, shape);
      int n = Shape.of(shape).elementCount();
      // Per axis: element i belongs to channel (i / inner) % channels.
      int inner = 1;
      int channels = 1;
      if (!q.isPerTensor()) {
        channels = shape[q.axis()];
        for (int d = q.axis() + 1; d < shape.length; d++) {
          inner *= shape[d];
        }
      }
      double[] scales = new double[q.channels()];
      int[] zps = q.zeroPoints();
      for (int c = 0; c < scales.length; c++) {
        scales[c] = q.scale(c);
      }
      int x = ctx.inputId(0);
      int y = ctx.outputId(0);
      boolean int8 = t == DataType.INT8;
      int innerF = inner;
      int channelsF = channels;
      return f -> {
        float[] out = f.f32(y);
        int yo = f.off(y);
        int xo = f.off(x);
        byte[] b = int8 ? f.i8(x) : null;
        int[] v = int8 ? null : f.i32(x);
        for (int i = 0; i < n; i++) {
          int c = channelsF == 1 ? 0 : (i / innerF) % channelsF;
          long qv = int8 ? b[xo + i] : v[xo + i];
          out[yo + i] = (float) (scales[c] * (qv - zps[c]));
        }
      };
    }
  }
}
