package dev.topiary.internal.ops;

import dev.topiary.ModelFormatException;

/**
 * Registers the activations: Relu, Relu6, Clip, Sigmoid, Tanh, HardSwish, LeakyRelu, Gelu, Softmax.
 * The elementwise ones are {@link UnaryOp}s defined here; NaN inputs give NaN outputs.
 */
final class ActivationOps {
  private ActivationOps() {}

  static void register(OpRegistry r) {
    r.add(new ReluOp());
    r.add(new Relu6());
    r.add(new Clip());
    r.add(new Sigmoid());
    r.add(new Tanh());
    r.add(new HardSwish());
    r.add(new LeakyRelu());
    r.add(new Gelu());
    r.add(new SoftmaxOp());
  }

  /** min(max(x, 0), 6). */
  static final class Relu6 extends UnaryOp {
    @Override
    public String opType() {
      return "Relu6";
    }

    @Override
    Fn function(BindContext ctx) {
      return clamp(0f, 6f);
    }
  }

  /** min(max(x, min), max) with attributes {@code min} (−∞) and {@code max} (+∞), min ≤ max. */
  static final class Clip extends UnaryOp {
    @Override
    public String opType() {
      return "Clip";
    }

    @Override
    Fn function(BindContext ctx) throws ModelFormatException {
      float lo = ctx.attrFloat("min", Float.NEGATIVE_INFINITY);
      float hi = ctx.attrFloat("max", Float.POSITIVE_INFINITY);
      if (Float.isNaN(lo) || Float.isNaN(hi) || lo > hi) {
        throw ctx.error("attributes 'min' and 'max' must satisfy min <= max, got min " + lo + ", max " + hi);
      }
      return clamp(lo, hi);
    }
  }

  /** 1 / (1 + e^−x), computed in double: saturates to 0 or 1 without overflow or NaN. */
  static final class Sigmoid extends UnaryOp {
    @Override
    public String opType() {
      return "Sigmoid";
    }

    @Override
    int costPerElement() {
      return 16;
    }

    @Override
    Fn function(BindContext ctx) {
      return (x, xo, y, yo, n) -> {
        for (int i = 0; i < n; i++) {
          // exp(−x) overflows to +∞ for x < −709: 1/(1+∞) = 0, the right limit.
          y[yo + i] = (float) (1.0 / (1.0 + Math.exp(-(double) x[xo + i])));
        }
      };
    }
  }

  /** tanh(x). */
  static final class Tanh extends UnaryOp {
    @Override
    public String opType() {
      return "Tanh";
    }

    @Override
    int costPerElement() {
      return 16;
    }

    @Override
    Fn function(BindContext ctx) {
      return (x, xo, y, yo, n) -> {
        for (int i = 0; i < n; i++) {
          y[yo + i] = (float) Math.tanh(x[xo + i]);
        }
      };
    }
  }

  /** x · min(max(x + 3, 0), 6) / 6, the same arithmetic as the fused HARD_SWISH activation. */
  static final class HardSwish extends UnaryOp {
    @Override
    public String opType() {
      return "HardSwish";
    }

    @Override
    Fn function(BindContext ctx) {
      return (x, xo, y, yo, n) -> {
        for (int i = 0; i < n; i++) {
          y[yo + i] = Activation.hardSwish(x[xo + i]);
        }
      };
    }
  }

  /** x ≥ 0 ? x : alpha·x with a finite attribute {@code alpha} (0.01). */
  static final class LeakyRelu extends UnaryOp {
    @Override
    public String opType() {
      return "LeakyRelu";
    }

    @Override
    Fn function(BindContext ctx) throws ModelFormatException {
      final float alpha = ctx.attrFloat("alpha", 0.01f);
      if (Float.isNaN(alpha) || Float.isInfinite(alpha)) {
        throw ctx.error("attribute 'alpha' must be finite, got " + alpha);
      }
      return (x, xo, y, yo, n) -> {
        for (int i = 0; i < n; i++) {
          float v = x[xo + i];
          y[yo + i] = v < 0f ? alpha * v : v;
        }
      };
    }
  }

  /**
   * x·Φ(x) with {@code approximate} = {@code none} (exact, through {@link Erf}) or {@code tanh}.
   * Both are evaluated in forms without cancellation for negative x, so small outputs keep their
   * relative accuracy: {@code x·Φ(x) = x·erfc(−x/√2)/2}, and {@code 0.5·x·(1 + tanh(u)) =
   * x / (1 + e^(−2u))}.
   */
  static final class Gelu extends UnaryOp {
    private static final double SQRT1_2 = 0.70710678118654752440;
    private static final double SQRT_2_OVER_PI = 0.79788456080286535588;

    @Override
    public String opType() {
      return "Gelu";
    }

    @Override
    int costPerElement() {
      return 24;
    }

    @Override
    Fn function(BindContext ctx) throws ModelFormatException {
      String approx = ctx.attrString("approximate", "none");
      switch (approx) {
        case "none":
          return (x, xo, y, yo, n) -> {
            for (int i = 0; i < n; i++) {
              y[yo + i] = exact(x[xo + i]);
            }
          };
        case "tanh":
          return (x, xo, y, yo, n) -> {
            for (int i = 0; i < n; i++) {
              y[yo + i] = tanhApprox(x[xo + i]);
            }
          };
        default:
          throw ctx.error("attribute 'approximate' must be 'none' or 'tanh', got '" + approx + "'");
      }
    }

    static float exact(float x) {
      // Below −40 the true value is below 1e-300: −0 in float. Also maps −∞ to −0, not −∞·0 = NaN.
      if (x < -40f) {
        return -0f;
      }
      return (float) (0.5 * x * Erf.erfc(-x * SQRT1_2));
    }

    static float tanhApprox(float x) {
      if (x < -40f) {
        return -0f;
      }
      double v = x;
      double u = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
      return (float) (v / (1.0 + Math.exp(-2.0 * u)));
    }
  }

  /** lo ≤ y ≤ hi; comparisons written so that NaN passes through. */
  static UnaryOp.Fn clamp(final float lo, final float hi) {
    return (x, xo, y, yo, n) -> {
      for (int i = 0; i < n; i++) {
        float v = x[xo + i];
        y[yo + i] = v < lo ? lo : (v > hi ? hi : v);
      }
    };
  }
}
