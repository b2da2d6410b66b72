package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.quantization.FixedPoint;
import dev.topiary.quantization.QuantParams;

/**
 * Add and Mul on INT8 tensors with NumPy broadcasting, bit for bit as TFLite's int8 kernels.
 *
 * <p>Add ({@code reference_integer_ops::AddElementwise}): both inputs are brought to a common
 * fixed-point scale. With {@code twice_max = 2·max(s_a, s_b)}, input multipliers
 * {@code s_a / twice_max} and {@code s_b / twice_max} (each ≤ ½) and output multiplier
 * {@code twice_max / (2^20 · s_y)}: {@code a' = MBQM((a − zp_a) << 20, m_a)}, likewise {@code b'},
 * {@code y = clamp(MBQM(a' + b', m_y) + zp_y, lo, hi)}. The left shift of 20 keeps 20 fractional
 * bits through the rescaling (|a − zp_a| ≤ 255 < 2^8, so the shifted value fits in 29 bits).
 *
 * <p>Mul ({@code reference_integer_ops::MulElementwise}):
 * {@code y = clamp(MBQM((a − zp_a)·(b − zp_b), s_a·s_b/s_y) + zp_y, lo, hi)}, the multiplier's
 * product taken in double.
 *
 * <p>The reference kernel evaluates the formula per element, with index arithmetic over broadcast
 * strides. The fast kernel evaluates it once per pair of int8 values when the node is bound, into
 * a 64 KiB table indexed by {@code (a, b)}: running the node is one lookup per element (a
 * contiguous loop when the shapes are equal), the same bytes by construction (measured on
 * MobileNetV2's residual Adds: 25 ns per element for the formula, about 1 ns for the lookup).
 * With the Vector API kernels, an Add of equal shapes evaluates the formula on whole vectors
 * instead ({@link VectorKernels#int8Add}), about four times faster than the table.
 */
final class Int8Binary {
  /** TFLite's left shift for int8 Add. */
  static final int ADD_LEFT_SHIFT = 20;

  private Int8Binary() {}

  static Kernel bind(BindContext ctx, boolean add) throws ModelFormatException {
    QuantParams qa = Int8Checks.input(ctx, 0);
    QuantParams qb = Int8Checks.input(ctx, 1);
    QuantParams qy = Int8Checks.output(ctx, 0);
    int[] as = ctx.inputShape(0);
    int[] bs = ctx.inputShape(1);
    int[] out;
    try {
      out = Broadcast.shape(as, bs);
    } catch (IllegalArgumentException e) {
      throw ctx.error(e.getMessage());
    }
    int[] range = Int8Checks.activationRange(ctx, Activation.fromNode(ctx), qy);
    ctx.setOutput(0, DataType.INT8, out);
    int za = qa.zeroPoint(0);
    int zb = qb.zeroPoint(0);
    int zy = qy.zeroPoint(0);
    int lo = range[0];
    int hi = range[1];
    int[] aStr = Broadcast.strides(as, out);
    int[] bStr = Broadcast.strides(bs, out);
    int count = Shape.of(out).elementCount();
    boolean same = java.util.Arrays.equals(as, bs);
    int a = ctx.inputId(0);
    int b = ctx.inputId(1);
    int y = ctx.outputId(0);
    Op op;
    // Add's three rescalings (unused by Mul).
    FixedPoint.Multiplier ma = null;
    FixedPoint.Multiplier mb = null;
    FixedPoint.Multiplier my = null;
    if (add) {
      // float·2 is exact, as is 2^20·s_y; the divisions are in double as in TFLite's Prepare.
      double twiceMax = 2 * Math.max(qa.scale(0), qb.scale(0));
      FixedPoint.Multiplier fa = smallerThanOne(ctx, qa.scale(0) / twiceMax, "input 0");
      FixedPoint.Multiplier fb = smallerThanOne(ctx, qb.scale(0) / twiceMax, "input 1");
      FixedPoint.Multiplier fy = smallerThanOne(ctx, twiceMax / ((1 << ADD_LEFT_SHIFT) * qy.scale(0)), "output");
      ma = fa;
      mb = fb;
      my = fy;
      op = (va, vb) -> {
        int sa = FixedPoint.multiplyByQuantizedMultiplier((va - za) * (1 << ADD_LEFT_SHIFT), fa.multiplier, fa.shift);
        int sb = FixedPoint.multiplyByQuantizedMultiplier((vb - zb) * (1 << ADD_LEFT_SHIFT), fb.multiplier, fb.shift);
        int v = FixedPoint.multiplyByQuantizedMultiplier(sa + sb, fy.multiplier, fy.shift) + zy;
        return v < lo ? lo : (v > hi ? hi : v);
      };
    } else {
      FixedPoint.Multiplier m = Int8Checks.multiplier(ctx, (double) qa.scale(0) * qb.scale(0) / qy.scale(0));
      op = (va, vb) -> {
        int v = FixedPoint.multiplyByQuantizedMultiplier((va - za) * (vb - zb), m.multiplier, m.shift) + zy;
        return v < lo ? lo : (v > hi ? hi : v);
      };
    }
    if (ctx.referenceKernels()) {
      return f -> {
        byte[] av = f.i8(a);
        byte[] bv = f.i8(b);
        byte[] yv = f.i8(y);
        int ao = f.off(a);
        int bo = f.off(b);
        int yo = f.off(y);
        for (int i = 0; i < count; i++) {
          int rem = i;
          int ai = 0;
          int bi = 0;
          for (int d = out.length - 1; d >= 0; d--) {
            int c = rem % out[d];
            rem /= out[d];
            ai += c * aStr[d];
            bi += c * bStr[d];
          }
          yv[yo + i] = (byte) op.apply(av[ao + ai], bv[bo + bi]);
        }
      };
    }
    VectorKernels vk = ctx.int8VectorKernels();
    if (add && same && vk != null) {
      return new VectorAddKernel(vk.int8Add(za, ma, zb, mb, my, zy, lo, hi), a, b, y, count);
    }
    // Both inputs are int8: the op has 65536 possible argument pairs. Tabulated once at load
    // (64 KiB per node), each element is one lookup of the arithmetic above.
    byte[] table = new byte[1 << 16];
    for (int va = -128; va < 128; va++) {
      for (int vb = -128; vb < 128; vb++) {
        table[(va & 0xFF) << 8 | (vb & 0xFF)] = (byte) op.apply(va, vb);
      }
    }
    return f -> {
      byte[] av = f.i8(a);
      byte[] bv = f.i8(b);
      byte[] yv = f.i8(y);
      int ao = f.off(a);
      int bo = f.off(b);
      int yo = f.off(y);
      if (same) {
        for (int i = 0; i < count; i++) {
          yv[yo + i] = table[(av[ao + i] & 0xFF) << 8 | (bv[bo + i] & 0xFF)];
        }
        return;
      }
      for (int i = 0; i < count; i++) {
        int rem = i;
        int ai = 0;
        int bi = 0;
        for (int d = out.length - 1; d >= 0; d--) {
          int c = rem % out[d];
          rem /= out[d];
          ai += c * aStr[d];
          bi += c * bStr[d];
        }
        yv[yo + i] = table[(av[ao + ai] & 0xFF) << 8 | (bv[bo + bi] & 0xFF)];
      }
    };
  }

  /** Add of equal shapes on the Vector API kernel: the arithmetic on whole vectors, no table. */
  static final class VectorAddKernel implements Kernel {
    private final VectorKernels.Int8Add add;
    private final int a;
    private final int b;
    private final int y;
    private final int count;

    VectorAddKernel(VectorKernels.Int8Add add, int a, int b, int y, int count) {
      this.add = add;
      this.a = a;
      this.b = b;
      this.y = y;
      this.count = count;
    }

    @Override
    public void run(Frame f) {
      add.compute(f.i8(a), f.off(a), f.i8(b), f.off(b), f.i8(y), f.off(y), count);
    }
  }

  /** The int8 arithmetic of one element pair. */
  private interface Op {
    int apply(int a, int b);
  }

  /** TFLite's {@code QuantizeMultiplierSmallerThanOneExp}: a multiplier in (0, 1), shift ≤ 0. */
  private static FixedPoint.Multiplier smallerThanOne(BindContext ctx, double real, String what)
      throws ModelFormatException {
    FixedPoint.Multiplier m = FixedPoint.quantizeMultiplier(real);
    if (!(real > 0 && real < 1) || m.shift > 0) {
      throw ctx.error("the " + what + " rescaling multiplier " + real + " of int8 Add must be in (0, 1)"
          + " (output scale too small for the inputs' scales)");
    }
    return m;
  }
}
