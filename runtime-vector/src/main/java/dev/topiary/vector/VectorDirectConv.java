package dev.topiary.vector;

import dev.topiary.internal.cpu.Conv2DShape;
import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * An ungrouped convolution on NHWC tensors computed straight from the input, vectorised across
 * output channels: for convolutions with few input channels (network stems have 1–4), whose depth
 * {@code KH·KW·C} is too small for im2col and a packed GEMM to pay for their copies. Per output
 * pixel and depth step {@code (kh, kw, c)} one input scalar is broadcast and multiplied into a
 * vector of {@code L} output channels' weights. No gathering, no copies, no scratch.
 *
 * <p>Loops: output row, then a block of two channel vectors (two full ones, or a full one and the
 * partial last; then one, for what is left), then output pixels. Pixels whose taps all fall inside the image columns run four at a time: per
 * depth step two weight loads serve four broadcasts and eight independent accumulators (four with
 * one vector), enough chains to hide the fused multiply-add latency. The last one to three interior
 * pixels run as the block of four ending there, which recomputes (with the same operations, so the
 * same bits) up to three pixels already stored rather than take the one-pixel path: that path has a
 * single accumulator chain and is bound by the multiply-add latency. Within a kernel row inside the
 * image the depth steps of consecutive taps are consecutive input floats when the dilation is 1
 * ({@code KW·C} of them), so that row is one loop. The pixels at the left and right edges run one
 * at a time with their taps clipped to the image; kernel rows outside the image are skipped for the
 * whole output row. Weights are repacked at plan time depth-major, {@code [KH·KW·C][O rounded up
 * to L]}, zero-padded, so weight loads need no mask; a last channel vector narrower than {@code L}
 * is stored under a mask made once.
 *
 * <p>Bias and clamp (RELU, RELU6, CLIP) are applied in registers before each store; hard-swish in
 * a second pass over each finished output row, in L1.
 *
 * <p>Rounding: {@code acc = 0; acc = fma(x, w, acc)} over the taps inside the image in ascending
 * {@code (kh, kw, c)}, then {@code + bias}, then the activation: the order of {@link PackedPanels}
 * on im2col rows, so the two kernels differ only where im2col's zeros for padded taps do (the sign
 * of a zero sum, or NaN for an infinite weight), and results do not depend on the row split.
 */
final class VectorDirectConv implements VectorKernels.DirectConv {
  private static final VectorSpecies<Float> S = FloatVectorKernels.S;
  private static final int L = S.length();

  private final Conv2DShape g;
  /** Output channels. */
  private final int o;
  /** Output channels rounded up to whole vectors. */
  private final int op;
  /**
   * {@code wp[wo + k·op + j] = w[j·depth + k]} for depth index {@code k = (kh·KW + kw)·C + c};
   * {@code wo} a cache line ({@link AlignedFloats}).
   */
  private final float[] wp;
  private final int wo;
  /** Bias padded to {@code op}, zeros without one. */
  private final float[] bias;
  /** Where {@link #bias} starts (a cache line, {@link AlignedFloats}). */
  private final int bo;
  private final boolean hardSwish;
  /** The clamp's bounds in registers; ±∞ without one. */
  private final float lo;
  private final float hi;
  /** The compare bounds for {@code lo} and {@code hi} ({@link FloatVectorKernels#lowerCmp}). */
  private final float loCmp;
  private final float hiCmp;
  /**
   * Lanes of the last channel vector when {@code O} is not a multiple of {@code L}, else null. Made
   * once: a mask made in the loops and handed to a method C2 does not inline is boxed each time.
   */
  private final VectorMask<Float> tail;
  /**
   * A kernel row inside the image as {@code segs} runs of {@code span} consecutive input floats,
   * {@code KW} runs of {@code C} apart by {@code dw·C} in general, one run of {@code KW·C} when
   * {@code dw == 1}.
   */
  private final int segs;
  private final int span;
  /** Output columns whose taps are all inside the image: {@code [owLo, owHi)}. */
  private final int owLo;
  private final int owHi;
  /**
   * The strips of seven pixels rows run as ({@link DirectStrips}), or {@code null}: for one input
   * channel, 3×3, dilation 1 along the row, one padding column on the left, a multiple of 7 output
   * columns, at least two channel vectors out, and stride 1 with {@code W = OW} or stride 2 with
   * {@code W = 2·OW} or {@code 2·OW − 1}, unless {@link DirectStrips#forShape} has none to give.
   */
  private final DirectStrips stripsOne;

  VectorDirectConv(Conv2DShape g, int o, float[] w, float[] bias, FloatVectorKernels.Epilog epilog) {
    this(g, o, w, bias, epilog, DirectStrips.SHARED);
  }

  /** With the strip classes taken from {@code stripClasses} (tests give an empty, full set). */
  VectorDirectConv(Conv2DShape g, int o, float[] w, float[] bias, FloatVectorKernels.Epilog epilog,
      ShapeClasses stripClasses) {
    this.g = g;
    this.o = o;
    this.op = (o + L - 1) / L * L;
    this.tail = o % L == 0 ? null : S.indexInRange(o / L * L, o);
    int depth = g.kh * g.kw * g.c;
    AlignedFloats.Slice slice = AlignedFloats.allocate(Math.multiplyExact(depth, op));
    this.wp = slice.array;
    this.wo = slice.offset;
    for (int j = 0; j < o; j++) {
      for (int k = 0; k < depth; k++) {
        wp[wo + k * op + j] = w[j * depth + k];
      }
    }
    AlignedFloats.Slice biasSlice = AlignedFloats.allocate(op);
    this.bias = biasSlice.array;
    this.bo = biasSlice.offset;
    if (bias != null) {
      System.arraycopy(bias, 0, this.bias, bo, o);
    }
    this.hardSwish = epilog.act == Gemm.Act.HARD_SWISH;
    this.lo = epilog.clampLo;
    this.hi = epilog.clampHi;
    this.loCmp = epilog.clampLoCmp;
    this.hiCmp = epilog.clampHiCmp;
    this.segs = g.dw == 1 ? 1 : g.kw;
    this.span = g.dw == 1 ? g.kw * g.c : g.c;
    // ow·sw − padLeft ≥ 0 and ow·sw − padLeft + (kw−1)·dw ≤ w − 1.
    int first = (g.padLeft + g.sw - 1) / g.sw;
    int last = g.w - 1 + g.padLeft - (g.kw - 1) * g.dw;
    int end = last < 0 ? 0 : last / g.sw + 1;
    this.owLo = Math.min(first, g.ow);
    this.owHi = Math.max(owLo, Math.min(end, g.ow));
    boolean stripShape = g.c == 1 && g.kh == 3 && g.kw == 3 && g.dw == 1 && g.padLeft == 1 && g.ow % 7 == 0
        && o >= 2 * L && (g.sw == 1 && g.w == g.ow || g.sw == 2 && (g.w == 2 * g.ow || g.w == 2 * g.ow - 1));
    this.stripsOne = stripShape ? DirectStrips.forShape(stripClasses, o, op, g.w, g.ow, g.sw, g.dh, wp, wo,
        this.bias, bo, lo, hi, loCmp, hiCmp) : null;
  }

  /** Whether rows run as strips of code specialised to this shape (for tests). */
  boolean stripsSpecialised() {
    return stripsOne != null;
  }

  @Override
  public void compute(float[] in, int inOff, float[] out, int outOff, int image, int oh0, int oh1) {
    int imageBase = inOff + image * g.h * g.w * g.c;
    for (int oh = oh0; oh < oh1; oh++) {
      int ih0 = oh * g.sh - g.padTop;
      // Kernel rows [r0, r1) are inside the image.
      int r0 = ih0 >= 0 ? 0 : Math.min(g.kh, (-ih0 + g.dh - 1) / g.dh);
      int r1 = ih0 + (g.kh - 1) * g.dh < g.h ? g.kh : Math.max(r0, (g.h - 1 - ih0) / g.dh + 1);
      if (ih0 >= g.h) {
        r1 = r0;
      }
      int outRow = outOff + (image * g.oh + oh) * g.ow * o;
      int cb = 0;
      if (stripsOne != null) {
        cb = stripsOne.row(in, imageBase, ih0, r0, r1, out, outRow);
      }
      for (; cb + 2 * L <= o; cb += 2 * L) {
        int ow = 0;
        for (; ow < owLo; ow++) {
          edge(in, imageBase, ih0, r0, r1, ow, cb, out, outRow);
          edge(in, imageBase, ih0, r0, r1, ow, cb + L, out, outRow);
        }
        for (; ow + 4 <= owHi; ow += 4) {
          fourByTwo(in, imageBase, ih0, r0, r1, ow, cb, out, outRow + ow * o + cb);
        }
        if (ow < owHi && owHi - owLo >= 4) {
          fourByTwo(in, imageBase, ih0, r0, r1, owHi - 4, cb, out, outRow + (owHi - 4) * o + cb);
          ow = owHi;
        }
        for (; ow < g.ow; ow++) {
          edge(in, imageBase, ih0, r0, r1, ow, cb, out, outRow);
          edge(in, imageBase, ih0, r0, r1, ow, cb + L, out, outRow);
        }
      }
      if (o - cb > L) {
        int ow = 0;
        for (; ow < owLo; ow++) {
          edge(in, imageBase, ih0, r0, r1, ow, cb, out, outRow);
          edge(in, imageBase, ih0, r0, r1, ow, cb + L, out, outRow);
        }
        for (; ow + 4 <= owHi; ow += 4) {
          fourByTwoTail(in, imageBase, ih0, r0, r1, ow, cb, out, outRow + ow * o + cb);
        }
        if (ow < owHi && owHi - owLo >= 4) {
          fourByTwoTail(in, imageBase, ih0, r0, r1, owHi - 4, cb, out, outRow + (owHi - 4) * o + cb);
          ow = owHi;
        }
        for (; ow < g.ow; ow++) {
          edge(in, imageBase, ih0, r0, r1, ow, cb, out, outRow);
          edge(in, imageBase, ih0, r0, r1, ow, cb + L, out, outRow);
        }
        cb += 2 * L;
      }
      for (; cb < o; cb += L) {
        int ow = 0;
        for (; ow < owLo; ow++) {
          edge(in, imageBase, ih0, r0, r1, ow, cb, out, outRow);
        }
        for (; ow + 4 <= owHi; ow += 4) {
          four(in, imageBase, ih0, r0, r1, ow, cb, out, outRow + ow * o + cb);
        }
        if (ow < owHi && owHi - owLo >= 4) {
          four(in, imageBase, ih0, r0, r1, owHi - 4, cb, out, outRow + (owHi - 4) * o + cb);
          ow = owHi;
        }
        for (; ow < g.ow; ow++) {
          edge(in, imageBase, ih0, r0, r1, ow, cb, out, outRow);
        }
      }
      if (hardSwish) {
        hardSwishRow(out, outRow);
      }
    }
  }

  /**
   * Four adjacent output pixels from {@code ow} (all taps inside the image columns) × the full
   * channel vectors {@code [cb, cb + 2L)}, stored at {@code dst}. No masked variant: with one more
   * epilogue and store branch C2 stops inlining into this method (its node budget) and boxes the
   * vectors left over.
   */
  private void fourByTwo(float[] in, int imageBase, int ih0, int r0, int r1, int ow, int cb, float[] out, int dst) {
    int c = g.c;
    int step = g.sw * c;
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    for (int r = r0; r < r1; r++) {
      int src = imageBase + ((ih0 + r * g.dh) * g.w + ow * g.sw - g.padLeft) * c;
      int wk = r * g.kw * c * op + cb;
      for (int s = 0; s < segs; s++, src += g.dw * c) {
        for (int k = 0; k < span; k++, wk += op) {
          FloatVector w0 = FloatVector.fromArray(S, wp, wo + wk);
          FloatVector w1 = FloatVector.fromArray(S, wp, wo + wk + L);
          int x = src + k;
          FloatVector x0 = FloatVector.broadcast(S, in[x]);
          FloatVector x1 = FloatVector.broadcast(S, in[x + step]);
          FloatVector x2 = FloatVector.broadcast(S, in[x + 2 * step]);
          FloatVector x3 = FloatVector.broadcast(S, in[x + 3 * step]);
          a0 = x0.fma(w0, a0);
          b0 = x0.fma(w1, b0);
          a1 = x1.fma(w0, a1);
          b1 = x1.fma(w1, b1);
          a2 = x2.fma(w0, a2);
          b2 = x2.fma(w1, b2);
          a3 = x3.fma(w0, a3);
          b3 = x3.fma(w1, b3);
        }
      }
    }
    FloatVector bias0 = FloatVector.fromArray(S, bias, bo + cb);
    FloatVector bias1 = FloatVector.fromArray(S, bias, bo + cb + L);
    a0 = a0.add(bias0);
    a0 = a0.blend(FloatVector.broadcast(S, lo), a0.lt(loCmp));
    a0 = a0.blend(FloatVector.broadcast(S, hi), a0.compare(VectorOperators.GT, hiCmp));
    a0.intoArray(out, dst);
    a1 = a1.add(bias0);
    a1 = a1.blend(FloatVector.broadcast(S, lo), a1.lt(loCmp));
    a1 = a1.blend(FloatVector.broadcast(S, hi), a1.compare(VectorOperators.GT, hiCmp));
    a1.intoArray(out, dst + o);
    a2 = a2.add(bias0);
    a2 = a2.blend(FloatVector.broadcast(S, lo), a2.lt(loCmp));
    a2 = a2.blend(FloatVector.broadcast(S, hi), a2.compare(VectorOperators.GT, hiCmp));
    a2.intoArray(out, dst + 2 * o);
    a3 = a3.add(bias0);
    a3 = a3.blend(FloatVector.broadcast(S, lo), a3.lt(loCmp));
    a3 = a3.blend(FloatVector.broadcast(S, hi), a3.compare(VectorOperators.GT, hiCmp));
    a3.intoArray(out, dst + 3 * o);
    b0 = b0.add(bias1);
    b0 = b0.blend(FloatVector.broadcast(S, lo), b0.lt(loCmp));
    b0 = b0.blend(FloatVector.broadcast(S, hi), b0.compare(VectorOperators.GT, hiCmp));
    b0.intoArray(out, dst + L);
    b1 = b1.add(bias1);
    b1 = b1.blend(FloatVector.broadcast(S, lo), b1.lt(loCmp));
    b1 = b1.blend(FloatVector.broadcast(S, hi), b1.compare(VectorOperators.GT, hiCmp));
    b1.intoArray(out, dst + o + L);
    b2 = b2.add(bias1);
    b2 = b2.blend(FloatVector.broadcast(S, lo), b2.lt(loCmp));
    b2 = b2.blend(FloatVector.broadcast(S, hi), b2.compare(VectorOperators.GT, hiCmp));
    b2.intoArray(out, dst + 2 * o + L);
    b3 = b3.add(bias1);
    b3 = b3.blend(FloatVector.broadcast(S, lo), b3.lt(loCmp));
    b3 = b3.blend(FloatVector.broadcast(S, hi), b3.compare(VectorOperators.GT, hiCmp));
    b3.intoArray(out, dst + 3 * o + L);
  }

  /**
   * {@link #fourByTwo} for a full channel vector and the partial last one after it, {@code [cb,
   * o)} with {@code cb + L < o < cb + 2L}: the weights and bias are zero-padded to whole vectors,
   * so the second vector is computed like the first and stored under the mask (the same
   * operations per lane as {@link #four}, which would take the two vectors in two passes of four
   * chains, broadcasting every input twice). A method of its own for C2's node budget; and not
   * {@link #fourByTwo} with a mask parameter that is every lane for full vectors: stores under a
   * mask passed in were slower everywhere (MobileNetV2's stem 261 → 358 µs).
   */
  private void fourByTwoTail(float[] in, int imageBase, int ih0, int r0, int r1, int ow, int cb, float[] out, int dst) {
    int c = g.c;
    int step = g.sw * c;
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    for (int r = r0; r < r1; r++) {
      int src = imageBase + ((ih0 + r * g.dh) * g.w + ow * g.sw - g.padLeft) * c;
      int wk = r * g.kw * c * op + cb;
      for (int s = 0; s < segs; s++, src += g.dw * c) {
        for (int k = 0; k < span; k++, wk += op) {
          FloatVector w0 = FloatVector.fromArray(S, wp, wo + wk);
          FloatVector w1 = FloatVector.fromArray(S, wp, wo + wk + L);
          int x = src + k;
          FloatVector x0 = FloatVector.broadcast(S, in[x]);
          FloatVector x1 = FloatVector.broadcast(S, in[x + step]);
          FloatVector x2 = FloatVector.broadcast(S, in[x + 2 * step]);
          FloatVector x3 = FloatVector.broadcast(S, in[x + 3 * step]);
          a0 = x0.fma(w0, a0);
          b0 = x0.fma(w1, b0);
          a1 = x1.fma(w0, a1);
          b1 = x1.fma(w1, b1);
          a2 = x2.fma(w0, a2);
          b2 = x2.fma(w1, b2);
          a3 = x3.fma(w0, a3);
          b3 = x3.fma(w1, b3);
        }
      }
    }
    FloatVector bias0 = FloatVector.fromArray(S, bias, bo + cb);
    FloatVector bias1 = FloatVector.fromArray(S, bias, bo + cb + L);
    a0 = a0.add(bias0);
    a0 = a0.blend(FloatVector.broadcast(S, lo), a0.lt(loCmp));
    a0 = a0.blend(FloatVector.broadcast(S, hi), a0.compare(VectorOperators.GT, hiCmp));
    a0.intoArray(out, dst);
    a1 = a1.add(bias0);
    a1 = a1.blend(FloatVector.broadcast(S, lo), a1.lt(loCmp));
    a1 = a1.blend(FloatVector.broadcast(S, hi), a1.compare(VectorOperators.GT, hiCmp));
    a1.intoArray(out, dst + o);
    a2 = a2.add(bias0);
    a2 = a2.blend(FloatVector.broadcast(S, lo), a2.lt(loCmp));
    a2 = a2.blend(FloatVector.broadcast(S, hi), a2.compare(VectorOperators.GT, hiCmp));
    a2.intoArray(out, dst + 2 * o);
    a3 = a3.add(bias0);
    a3 = a3.blend(FloatVector.broadcast(S, lo), a3.lt(loCmp));
    a3 = a3.blend(FloatVector.broadcast(S, hi), a3.compare(VectorOperators.GT, hiCmp));
    a3.intoArray(out, dst + 3 * o);
    b0 = b0.add(bias1);
    b0 = b0.blend(FloatVector.broadcast(S, lo), b0.lt(loCmp));
    b0 = b0.blend(FloatVector.broadcast(S, hi), b0.compare(VectorOperators.GT, hiCmp));
    b0.intoArray(out, dst + L, tail);
    b1 = b1.add(bias1);
    b1 = b1.blend(FloatVector.broadcast(S, lo), b1.lt(loCmp));
    b1 = b1.blend(FloatVector.broadcast(S, hi), b1.compare(VectorOperators.GT, hiCmp));
    b1.intoArray(out, dst + o + L, tail);
    b2 = b2.add(bias1);
    b2 = b2.blend(FloatVector.broadcast(S, lo), b2.lt(loCmp));
    b2 = b2.blend(FloatVector.broadcast(S, hi), b2.compare(VectorOperators.GT, hiCmp));
    b2.intoArray(out, dst + 2 * o + L, tail);
    b3 = b3.add(bias1);
    b3 = b3.blend(FloatVector.broadcast(S, lo), b3.lt(loCmp));
    b3 = b3.blend(FloatVector.broadcast(S, hi), b3.compare(VectorOperators.GT, hiCmp));
    b3.intoArray(out, dst + 3 * o + L, tail);
  }

  /**
   * As {@link #fourByTwo} for the one channel vector {@code [cb, cb + L)}, masked when it is the
   * partial last.
   */
  private void four(float[] in, int imageBase, int ih0, int r0, int r1, int ow, int cb, float[] out, int dst) {
    int c = g.c;
    int step = g.sw * c;
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    for (int r = r0; r < r1; r++) {
      int src = imageBase + ((ih0 + r * g.dh) * g.w + ow * g.sw - g.padLeft) * c;
      int wk = r * g.kw * c * op + cb;
      for (int s = 0; s < segs; s++, src += g.dw * c) {
        for (int k = 0; k < span; k++, wk += op) {
          FloatVector w0 = FloatVector.fromArray(S, wp, wo + wk);
          int x = src + k;
          a0 = FloatVector.broadcast(S, in[x]).fma(w0, a0);
          a1 = FloatVector.broadcast(S, in[x + step]).fma(w0, a1);
          a2 = FloatVector.broadcast(S, in[x + 2 * step]).fma(w0, a2);
          a3 = FloatVector.broadcast(S, in[x + 3 * step]).fma(w0, a3);
        }
      }
    }
    FloatVector bias0 = FloatVector.fromArray(S, bias, bo + cb);
    a0 = a0.add(bias0);
    a0 = a0.blend(FloatVector.broadcast(S, lo), a0.lt(loCmp));
    a0 = a0.blend(FloatVector.broadcast(S, hi), a0.compare(VectorOperators.GT, hiCmp));
    a1 = a1.add(bias0);
    a1 = a1.blend(FloatVector.broadcast(S, lo), a1.lt(loCmp));
    a1 = a1.blend(FloatVector.broadcast(S, hi), a1.compare(VectorOperators.GT, hiCmp));
    a2 = a2.add(bias0);
    a2 = a2.blend(FloatVector.broadcast(S, lo), a2.lt(loCmp));
    a2 = a2.blend(FloatVector.broadcast(S, hi), a2.compare(VectorOperators.GT, hiCmp));
    a3 = a3.add(bias0);
    a3 = a3.blend(FloatVector.broadcast(S, lo), a3.lt(loCmp));
    a3 = a3.blend(FloatVector.broadcast(S, hi), a3.compare(VectorOperators.GT, hiCmp));
    if (cb + L <= o) {
      a0.intoArray(out, dst);
      a1.intoArray(out, dst + o);
      a2.intoArray(out, dst + 2 * o);
      a3.intoArray(out, dst + 3 * o);
    } else {
      a0.intoArray(out, dst, tail);
      a1.intoArray(out, dst + o, tail);
      a2.intoArray(out, dst + 2 * o, tail);
      a3.intoArray(out, dst + 3 * o, tail);
    }
  }

  /**
   * One output pixel × channels {@code [cb, cb + L)} with its taps clipped to the image columns,
   * stored in output row {@code outRow}; masked when it is the partial last vector.
   */
  private void edge(float[] in, int imageBase, int ih0, int r0, int r1, int ow, int cb, float[] out, int outRow) {
    int c = g.c;
    int iw0 = ow * g.sw - g.padLeft;
    int q0 = iw0 >= 0 ? 0 : Math.min(g.kw, (-iw0 + g.dw - 1) / g.dw);
    int q1 = iw0 >= g.w ? q0 : (iw0 + (g.kw - 1) * g.dw < g.w ? g.kw : Math.max(q0, (g.w - 1 - iw0) / g.dw + 1));
    FloatVector acc = FloatVector.zero(S);
    for (int r = r0; r < r1; r++) {
      int row = imageBase + (ih0 + r * g.dh) * g.w * c;
      for (int q = q0; q < q1; q++) {
        int src = row + (iw0 + q * g.dw) * c;
        int wk = (r * g.kw + q) * c * op + cb;
        for (int ch = 0; ch < c; ch++, wk += op) {
          acc = FloatVector.broadcast(S, in[src + ch]).fma(FloatVector.fromArray(S, wp, wo + wk), acc);
        }
      }
    }
    acc = acc.add(FloatVector.fromArray(S, bias, bo + cb));
    acc = acc.blend(FloatVector.broadcast(S, lo), acc.lt(loCmp));
    acc = acc.blend(FloatVector.broadcast(S, hi), acc.compare(VectorOperators.GT, hiCmp));
    int dst = outRow + ow * o + cb;
    if (cb + L <= o) {
      acc.intoArray(out, dst);
    } else {
      acc.intoArray(out, dst, tail);
    }
  }

  /**
   * Hard-swish over one output row in place, while it is in L1
   * ({@link FloatVectorKernels.Epilog#hardSwish}): a pass of its own because with it in the blocks
   * above C2 stops inlining there (its node budget) and boxes the vectors left over.
   */
  private void hardSwishRow(float[] out, int row) {
    FloatVectorKernels.Epilog.hardSwish(out, row, g.ow * o);
  }
}
