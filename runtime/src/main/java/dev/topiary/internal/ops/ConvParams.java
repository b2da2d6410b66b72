package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;

/**
 * The checked geometry of one Conv2D node, shared by its reference and fast kernels: input
 * {@code [n, h, w, c]}, weights {@code [o, kh, kw, c/group]}, strides, dilations, resolved pads and
 * output {@code [n, oh, ow, o]}. {@link #of} performs every check of docs/OPS.md; kernels trust the
 * result.
 */
final class ConvParams {
  /** Bound on strides, dilations and explicit pads; far beyond any real model, keeps arithmetic in int. */
  static final int MAX_ATTR = 1 << 16;

  final int n;
  final int h;
  final int w;
  final int c;
  final int o;
  final int kh;
  final int kw;
  final int sh;
  final int sw;
  final int dh;
  final int dw;
  final int padTop;
  final int padLeft;
  final int padBottom;
  final int padRight;
  final int group;
  final int oh;
  final int ow;
  /** Input channels per group. */
  final int cg;
  /** Output channels per group. */
  final int og;

  private ConvParams(int[] x, int[] wt, int[] strides, int[] dilations, int[] pads, int group, int oh, int ow) {
    this.n = x[0];
    this.h = x[1];
    this.w = x[2];
    this.c = x[3];
    this.o = wt[0];
    this.kh = wt[1];
    this.kw = wt[2];
    this.sh = strides[0];
    this.sw = strides[1];
    this.dh = dilations[0];
    this.dw = dilations[1];
    this.padTop = pads[0];
    this.padLeft = pads[1];
    this.padBottom = pads[2];
    this.padRight = pads[3];
    this.group = group;
    this.oh = oh;
    this.ow = ow;
    this.cg = c / group;
    this.og = o / group;
  }

  /** Checks a Conv2D node (inputs, attributes, shapes), declares its output and returns its geometry. */
  static ConvParams of(BindContext ctx) throws ModelFormatException {
    return of(ctx, DataType.FLOAT32, false);
  }

  /**
   * As {@link #of(BindContext)} for an {@code input} of FLOAT32 or INT8 (the output has the input's
   * type); with {@code int8Weights} the weight and bias types are left to {@link Int8Checks}.
   */
  static ConvParams of(BindContext ctx, DataType input, boolean int8Weights) throws ModelFormatException {
    ctx.requireInputs(2, 3);
    ctx.requireType(0, input);
    ctx.requireRank(0, 4);
    if (!int8Weights) {
      requireFloatConstant(ctx, 1, "weights");
    }
    ctx.requireRank(1, 4);
    int[] x = ctx.inputShape(0);
    int[] wt = ctx.inputShape(1);
    for (int d : x) {
      if (d == 0) {
        throw ctx.error("input " + Shape.of(x) + " is empty");
      }
    }
    for (int d : wt) {
      if (d == 0) {
        throw ctx.error("weights " + Shape.of(wt) + " are empty");
      }
    }
    int group = ctx.attrInt("group", 1, 1, Integer.MAX_VALUE);
    int c = x[3];
    int o = wt[0];
    if (c % group != 0) {
      throw ctx.error("input channels " + c + " are not divisible by group " + group);
    }
    if (o % group != 0) {
      throw ctx.error("output channels " + o + " (weights dim 0) are not divisible by group " + group);
    }
    if (wt[3] != c / group) {
      throw ctx.error("weights " + Shape.of(wt) + " must be [O,KH,KW,C/group] with C/group = " + (c / group)
          + " (input " + Shape.of(x) + ", group " + group + "), got " + wt[3]);
    }
    if (ctx.hasInput(2)) {
      if (!int8Weights) {
        requireFloatConstant(ctx, 2, "bias");
      }
      int[] b = ctx.inputShape(2);
      if (b.length != 1 || b[0] != o) {
        throw ctx.error("bias must have shape [" + o + "] (one value per output channel), got " + Shape.of(b));
      }
    }
    int[] strides = ctx.attrInts("strides", new int[] {1, 1}, 2, 1, MAX_ATTR);
    int[] dilations = ctx.attrInts("dilations", new int[] {1, 1}, 2, 1, MAX_ATTR);
    String padding = ctx.attrString("padding", "EXPLICIT");
    int[] pads;
    int oh;
    int ow;
    switch (padding) {
      case "EXPLICIT":
        pads = ctx.attrInts("pads", new int[] {0, 0, 0, 0}, 4, 0, MAX_ATTR);
        oh = outSize(ctx, "height", x[1], wt[1], strides[0], dilations[0], pads[0], pads[2]);
        ow = outSize(ctx, "width", x[2], wt[2], strides[1], dilations[1], pads[1], pads[3]);
        break;
      case "VALID":
      case "SAME_UPPER":
      case "SAME_LOWER": {
        int[] given = ctx.attrInts("pads", new int[] {0, 0, 0, 0}, 4, 0, MAX_ATTR);
        for (int p : given) {
          if (p != 0) {
            throw ctx.error("attribute 'pads' must be absent or zero with padding " + padding);
          }
        }
        pads = new int[4];
        if (!padding.equals("VALID")) {
          boolean upper = padding.equals("SAME_UPPER");
          same(ctx, x[1], wt[1], strides[0], dilations[0], upper, pads, 0, 2);
          same(ctx, x[2], wt[2], strides[1], dilations[1], upper, pads, 1, 3);
        }
        oh = outSize(ctx, "height", x[1], wt[1], strides[0], dilations[0], pads[0], pads[2]);
        ow = outSize(ctx, "width", x[2], wt[2], strides[1], dilations[1], pads[1], pads[3]);
        break;
      }
      default:
        throw ctx.error("unknown padding '" + padding + "' (expected EXPLICIT, VALID, SAME_UPPER or SAME_LOWER)");
    }
    ConvParams p = new ConvParams(x, wt, strides, dilations, pads, group, oh, ow);
    ctx.setOutput(0, input, new int[] {p.n, p.oh, p.ow, p.o});
    return p;
  }

  /** Requires input {@code i} to be a FLOAT32 or FLOAT16 constant (FLOAT16 is widened at load). */
  static void requireFloatConstant(BindContext ctx, int i, String what) throws ModelFormatException {
    if (!ctx.isConstant(i)) {
      throw ctx.error(what + " (input " + i + ") must be a constant");
    }
    DataType t = ctx.inputType(i);
    if (t != DataType.FLOAT32 && t != DataType.FLOAT16) {
      throw ctx.error(what + " (input " + i + ") must be FLOAT32 or FLOAT16, got " + t);
    }
  }

  /** {@code floor((in + padBegin + padEnd − d·(k−1) − 1) / s) + 1}, which must be at least 1. */
  private static int outSize(BindContext ctx, String dim, int in, int k, int s, int d, int p0, int p1)
      throws ModelFormatException {
    long span = (long) in + p0 + p1 - (long) d * (k - 1) - 1;
    if ((long) in + p0 + p1 > Integer.MAX_VALUE / 2) {
      throw ctx.error("padded input " + dim + " " + ((long) in + p0 + p1) + " is too large");
    }
    if (span < 0) {
      throw ctx.error("kernel " + dim + " " + k + " with dilation " + d + " spans " + ((long) d * (k - 1) + 1)
          + " but the padded input " + dim + " is " + ((long) in + p0 + p1) + ": the output would be empty");
    }
    long out = span / s + 1;
    if (out > Integer.MAX_VALUE) {
      throw ctx.error("output " + dim + " " + out + " is too large");
    }
    return (int) out;
  }

  /** SAME padding: {@code out = ceil(in / s)}; odd total padding goes at the end (upper) or start. */
  private static void same(BindContext ctx, int in, int k, int s, int d, boolean upper, int[] pads, int begin,
      int end) throws ModelFormatException {
    long out = ((long) in + s - 1) / s;
    long total = Math.max(0, (out - 1) * s + (long) d * (k - 1) + 1 - in);
    if (total > 2L * MAX_ATTR) {
      throw ctx.error("SAME padding of " + total + " for kernel " + k + " with dilation " + d + " is too large");
    }
    long small = total / 2;
    pads[begin] = (int) (upper ? small : total - small);
    pads[end] = (int) (upper ? total - small : small);
  }

  /** Depthwise: one input channel per group (and possibly several outputs per channel). */
  boolean depthwise() {
    return group == c && group > 1;
  }

  /** A 1×1 convolution with stride 1 and no padding: a GEMM straight on the NHWC input. */
  boolean pointwise() {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0;
  }

  /** Depth of one output value's sum: {@code kh·kw·c/group}. */
  int depth() {
    return kh * kw * cg;
  }

  /** Output rows of the implicit GEMM: {@code n·oh·ow}. */
  int rows() {
    return n * oh * ow;
  }
}
