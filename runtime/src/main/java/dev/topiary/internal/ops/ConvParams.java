package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.cpu.Conv2DShape;

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

  /**
   * The geometry of a FullyConnected over {@code rows} rows of {@code k} values into {@code n}
   * outputs, as a 1×1 convolution over {@code [1, rows, 1, k]}: what the kernels shared with
   * Conv2D take.
   */
  static ConvParams fullyConnected(int rows, int k, int n) {
    return new ConvParams(new int[] {1, rows, 1, k}, new int[] {n, 1, 1, k}, new int[] {1, 1}, new int[] {1, 1},
        new int[4], 1, rows, 1);
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
    String padding = ctx.attrString("padding", Padding.EXPLICIT);
    int[] given = ctx.attrInts("pads", null, 4, 0, MAX_ATTR);
    int[] r;
    try {
      r = Padding.resolve(padding, given, new int[] {x[1], x[2]}, new int[] {wt[1], wt[2]}, strides, dilations,
          false);
    } catch (IllegalArgumentException e) {
      throw ctx.error(e.getMessage());
    }
    int[] pads = {r[0], r[1], r[2], r[3]};
    int oh = r[4];
    int ow = r[5];
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

  /** Multiply-adds of the whole convolution: {@code rows()·o·depth()}, the work a dispatch weighs. */
  long macs() {
    return (long) rows() * o * depth();
  }

  /** Output rows of the implicit GEMM: {@code n·oh·ow}. */
  int rows() {
    return n * oh * ow;
  }

  /** The geometry of one image, as the vector kernels take it. */
  Conv2DShape shape() {
    return new Conv2DShape(h, w, c, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow);
  }

  /**
   * Work units of the row-wise convolution kernels: (image, band of output rows), a band being a
   * few rows so that small images still give every worker work. Unit {@code u} is image
   * {@link #bandImage}, rows {@code [bandStart, bandEnd)}.
   */
  int bandRows() {
    return Math.max(1, Math.min(4, oh / 8));
  }

  /** Number of (image, band) work units. */
  int bandUnits() {
    return n * bandsPerImage();
  }

  int bandImage(int u) {
    return u / bandsPerImage();
  }

  int bandStart(int u) {
    return u % bandsPerImage() * bandRows();
  }

  int bandEnd(int u) {
    return Math.min(oh, bandStart(u) + bandRows());
  }

  private int bandsPerImage() {
    return (oh + bandRows() - 1) / bandRows();
  }
}
