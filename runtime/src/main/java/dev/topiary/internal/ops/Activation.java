package dev.topiary.internal.ops;

import dev.topiary.ModelFormatException;

/**
 * A fused activation applied to a kernel's output: NONE, RELU, RELU6, CLIP(min, max) or HARD_SWISH.
 * Read from a node's {@code activation} attribute (with {@code activation_min}/{@code activation_max}
 * for CLIP). RELU and RELU6 are clips with fixed bounds.
 */
public final class Activation {
  public enum Kind { NONE, RELU, RELU6, CLIP, HARD_SWISH }

  public static final Activation NONE = new Activation(Kind.NONE, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);

  private final Kind kind;
  private final float min;
  private final float max;

  private Activation(Kind kind, float min, float max) {
    this.kind = kind;
    this.min = min;
    this.max = max;
  }

  public static Activation clip(float min, float max) {
    return new Activation(Kind.CLIP, min, max);
  }

  /** Reads the activation attributes of the node being bound. */
  public static Activation fromNode(BindContext ctx) throws ModelFormatException {
    String name = ctx.attrString("activation", "NONE");
    switch (name) {
      case "NONE": return NONE;
      case "RELU": return new Activation(Kind.RELU, 0f, Float.POSITIVE_INFINITY);
      case "RELU6": return new Activation(Kind.RELU6, 0f, 6f);
      case "HARD_SWISH": return new Activation(Kind.HARD_SWISH, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
      case "CLIP": {
        float lo = ctx.attrFloat("activation_min", Float.NEGATIVE_INFINITY);
        float hi = ctx.attrFloat("activation_max", Float.POSITIVE_INFINITY);
        if (Float.isNaN(lo) || Float.isNaN(hi) || lo > hi) {
          throw ctx.error("activation CLIP needs activation_min <= activation_max, got " + lo + ", " + hi);
        }
        return clip(lo, hi);
      }
      default:
        throw ctx.error("unknown activation '" + name + "' (expected NONE, RELU, RELU6, CLIP or HARD_SWISH)");
    }
  }

  public Kind kind() {
    return kind;
  }

  public boolean isNone() {
    return kind == Kind.NONE;
  }

  /** Lower clamp bound (−∞ when none). */
  public float min() {
    return min;
  }

  /** Upper clamp bound (+∞ when none). */
  public float max() {
    return max;
  }

  /** Applies the activation to one value. */
  public float apply(float x) {
    switch (kind) {
      case NONE: return x;
      case HARD_SWISH: return hardSwish(x);
      default: return clamp(x, min, max);
    }
  }

  /** Applies the activation to {@code n} values starting at {@code off}, in place. */
  public void apply(float[] a, int off, int n) {
    switch (kind) {
      case NONE:
        return;
      case HARD_SWISH:
        for (int i = off; i < off + n; i++) {
          a[i] = hardSwish(a[i]);
        }
        return;
      default:
        float lo = min;
        float hi = max;
        for (int i = off; i < off + n; i++) {
          a[i] = Math.min(Math.max(a[i], lo), hi);
        }
    }
  }

  /** x · relu6(x + 3) / 6. */
  public static float hardSwish(float x) {
    return x * Math.min(Math.max(x + 3f, 0f), 6f) * (1f / 6f);
  }

  private static float clamp(float x, float lo, float hi) {
    // NaN propagates, as in the reference frameworks.
    return x < lo ? lo : (x > hi ? hi : x);
  }

  @Override
  public String toString() {
    return kind == Kind.CLIP ? "CLIP(" + min + "," + max + ")" : kind.name();
  }
}
