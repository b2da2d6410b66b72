package dev.topiary.vector;

import dev.topiary.internal.cpu.Conv2DShape;
import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolution (one output per channel) on NHWC tensors, vectorised across channels: a
 * pixel's channels are contiguous, so one vector load takes {@code L} channels of one tap and one
 * fused multiply-add applies that tap's weights to them. No gathering, no copies.
 *
 * <p>Loops: output row, then channel block of {@code L} (so a pass over a row touches one cache
 * line per pixel and tap), then output pixels. Pixels whose taps all fall inside the image columns
 * run four at a time: per tap one weight load serves four input loads and four independent
 * accumulators (1.25 loads per fused multiply-add, and four chains to hide the FMA latency); the
 * pixels at the left and right edges, taps clipped to the image, run first, each over all its
 * channels, four blocks at a time ({@link #edgePixel}). Kernel
 * rows outside the image are skipped for the whole output row. A 3×3 kernel at stride 1 or 2
 * whose rows are all inside the image lets four neighbouring outputs share their input columns
 * ({@link #sharedColumns1}, {@link #sharedColumns2}): half (stride 1) or three quarters (stride 2)
 * of the input loads; with one edge pixel on each side the edge pixels can join such groups too,
 * reading a zero vector for padding columns ({@link #edgeGroup1}, {@link #edgeGroup2}, where the
 * other paths would leave short dependency chains). Images of 7 or 14 output columns (the late
 * layers of mobile networks) run each row as strips of seven outputs per channel block, every input
 * column of a kernel row loaded once for all seven and seven independent chains
 * ({@link DepthwiseStrips}, code specialised to the shape at plan time). Weights are repacked at plan time
 * tap-major, {@code [KH·KW][C rounded up to L]}, zero-padded, so the weight loads need no mask; a
 * last channel block narrower than {@code L} stores under a mask, and loads under one too except
 * in the shared-column interiors, which load whole vectors where they stay inside the array (the
 * extra lanes meet zero weights and are never stored).
 *
 * <p>Bias and clamp (RELU, RELU6, CLIP) are applied in registers before each store; hard-swish
 * in a second pass over each finished output row, in L1.
 *
 * <p>Rounding: {@code acc = 0; acc = fma(x, w, acc)} over the taps inside the image in kernel
 * order, then {@code + bias}, then the activation. The reference also adds {@code 0·w} for taps in
 * the padding, which changes nothing but the sign of a zero sum (or gives NaN for an infinite
 * weight, which the reference keeps and this kernel does not, except in the rows of
 * {@link #edgeGroup1}, which multiply the padding columns too).
 */
final class VectorDepthwise implements VectorKernels.Depthwise {
  private static final VectorSpecies<Float> S = FloatVectorKernels.S;
  private static final int L = S.length();

  private final Conv2DShape g;
  /** Channels rounded up to whole vectors. */
  private final int cp;
  /** {@code wp[wo + tap·cp + ch] = w[ch·taps + tap]}, {@code wo} a cache line ({@link AlignedFloats}). */
  private final float[] wp;
  private final int wo;
  /** Bias padded to {@code cp}, or null. */
  private final float[] bias;
  /** Where {@link #bias} and {@link #fusedBias} start (a cache line, {@link AlignedFloats}). */
  private final int bo;
  private final FloatVectorKernels.Epilog epilog;
  /** Output columns whose taps are all inside the image: {@code [owLo, owHi)}. */
  private final int owLo;
  private final int owHi;
  /**
   * Whether whole output rows (those whose three kernel rows are inside the image) run as groups of
   * four outputs, the edge ones included ({@link #edgeGroup1}, {@link #edgeGroup2}): a 3×3 kernel at
   * stride 1 or 2 and column dilation 1 with at most one edge pixel on each side, at least four
   * outputs wide, where the other paths would leave short dependency chains (see the constructor).
   */
  private final boolean rowGroups;
  /**
   * The strips of seven outputs the rows run as, or {@code null}: for 3×3, dilation 1 along the
   * row, one padding column on the left, 7 or 14 output columns, and stride 1 with {@code W = OW}
   * or stride 2 with {@code W = 2·OW} or {@code 2·OW − 1}, unless {@link DepthwiseStrips#forShape}
   * has none to give (then the rows run as pixel groups).
   */
  private final DepthwiseStrips strips;
  /**
   * A zero row of the input's layout from {@code zo + c} (one zero column before it), read by
   * the strips for kernel rows outside the image; {@code zo} a cache line ({@link AlignedFloats}).
   */
  private final float[] zeros;
  private final int zo;
  /**
   * Lanes of the last channel block when {@code C} is not a multiple of {@code L}, else null. Made
   * once: a mask made in the loops and handed to a method C2 does not inline is boxed each time.
   */
  private final VectorMask<Float> tail;
  /**
   * Bias and clamp applied in registers before each store (every activation but hard-swish, which
   * {@link #finishRow} applies); {@code fusedBias} is the padded bias or zeros, {@code lo, hi} the
   * clamp bounds (±∞ without one).
   */
  private final boolean fused;
  private final float[] fusedBias;
  private final float lo;
  private final float hi;
  /** The compare bounds for {@code lo} and {@code hi} ({@link FloatVectorKernels#lowerCmp}). */
  private final float loCmp;
  private final float hiCmp;
  /**
   * Which steps of the fused epilogue do anything (a bias, a lower and an upper clamp bound: RELU
   * has no upper one), each skipped as a group rather than done with a zero bias or a bound of ±∞.
   */
  private final boolean hasBias;
  private final boolean hasLo;
  private final boolean hasHi;

  VectorDepthwise(Conv2DShape g, float[] w, float[] bias, FloatVectorKernels.Epilog epilog) {
    this(g, w, bias, epilog, DepthwiseStrips.SHARED);
  }

  /**
   * With the strip classes taken from {@code stripClasses}: tests give a set with no room (the
   * generic class only) or {@code null} (no strips: pixel groups).
   */
  VectorDepthwise(Conv2DShape g, float[] w, float[] bias, FloatVectorKernels.Epilog epilog,
      ShapeClasses stripClasses) {
    this.g = g;
    this.epilog = epilog;
    this.cp = (g.c + L - 1) / L * L;
    this.tail = g.c % L == 0 ? null : S.indexInRange(g.c / L * L, g.c);
    int taps = g.kh * g.kw;
    AlignedFloats.Slice slice = AlignedFloats.allocate(Math.multiplyExact(taps, cp));
    this.wp = slice.array;
    this.wo = slice.offset;
    for (int ch = 0; ch < g.c; ch++) {
      for (int t = 0; t < taps; t++) {
        wp[wo + t * cp + ch] = w[ch * taps + t];
      }
    }
    // The bias (or zeros) padded to cp, on a cache line: read once per strip or pixel group.
    AlignedFloats.Slice biasSlice = AlignedFloats.allocate(cp);
    this.bo = biasSlice.offset;
    if (bias == null) {
      this.bias = null;
    } else {
      this.bias = biasSlice.array;
      System.arraycopy(bias, 0, this.bias, bo, g.c);
    }
    this.fused = epilog.act != Gemm.Act.HARD_SWISH && (bias != null || epilog.act == Gemm.Act.CLAMP);
    this.fusedBias = biasSlice.array;
    this.lo = epilog.clampLo;
    this.hi = epilog.clampHi;
    this.loCmp = epilog.clampLoCmp;
    this.hiCmp = epilog.clampHiCmp;
    this.hasBias = bias != null;
    this.hasLo = this.lo != Float.NEGATIVE_INFINITY;
    this.hasHi = this.hi != Float.POSITIVE_INFINITY;
    // ow·sw − padLeft ≥ 0 and ow·sw − padLeft + (kw−1)·dw ≤ w − 1.
    int lo = (g.padLeft + g.sw - 1) / g.sw;
    int last = g.w - 1 + g.padLeft - (g.kw - 1) * g.dw;
    int hi = last < 0 ? 0 : last / g.sw + 1;
    this.owLo = Math.min(lo, g.ow);
    this.owHi = Math.max(owLo, Math.min(hi, g.ow));
    // Only where the other paths leave short dependency chains: edge pixels of fewer than four
    // channel blocks run one block at a time, and interior pixels left over from the groups of
    // four run one or two at a time. Otherwise (14×14×576: 12 interior pixels, 36 blocks) the
    // groups' extra work, zero taps and recomputed outputs, costs more (measured 54 → 62 µs).
    this.rowGroups = g.kh == 3 && g.kw == 3 && g.sw <= 2 && g.dw == 1 && g.ow >= 4 && owLo <= 1 && g.ow - owHi <= 1
        && (g.c < 4 * L || (owHi - owLo) % 4 != 0);
    boolean stripShape = g.kh == 3 && g.kw == 3 && g.dw == 1 && g.padLeft == 1 && (g.ow == 7 || g.ow == 14)
        && g.c >= L && (g.sw == 1 && g.w == g.ow || g.sw == 2 && (g.w == 2 * g.ow || g.w == 2 * g.ow - 1));
    int flags = (fused ? DepthwiseStrips.FUSED : 0) | (hasBias ? DepthwiseStrips.BIAS : 0)
        | (hasLo ? DepthwiseStrips.LO : 0) | (hasHi ? DepthwiseStrips.HI : 0);
    this.strips = stripShape ? DepthwiseStrips.forShape(stripClasses, g.h, g.c, cp, g.w, g.ow, g.sw, flags, wp, wo, fusedBias, bo,
        this.lo, this.hi, loCmp, hiCmp) : null;
    AlignedFloats.Slice zeroRow = strips != null ? AlignedFloats.allocate(Math.multiplyExact(g.w + 2, g.c)) : null;
    this.zeros = strips != null ? zeroRow.array : null;
    this.zo = strips != null ? zeroRow.offset : 0;
  }

  @Override
  public void compute(float[] in, int inOff, float[] out, int outOff, int image, int oh0, int oh1) {
    int c = g.c;
    int rowStride = g.w * c;
    int imageBase = inOff + image * g.h * rowStride;
    for (int oh = oh0; oh < oh1; oh++) {
      int ih0 = oh * g.sh - g.padTop;
      // Kernel rows [r0, r1) are inside the image.
      int r0 = ih0 >= 0 ? 0 : Math.min(g.kh, (-ih0 + g.dh - 1) / g.dh);
      int r1 = ih0 + (g.kh - 1) * g.dh < g.h ? g.kh : Math.max(r0, (g.h - 1 - ih0) / g.dh + 1);
      if (ih0 >= g.h) {
        r1 = r0;
      }
      int outRow = outOff + (image * g.oh + oh) * g.ow * c;
      if (strips != null) {
        stripRow(in, imageBase, ih0, r0, r1, out, outRow);
        finishRow(out, outRow);
        continue;
      }
      boolean groups = rowGroups && r0 == 0 && r1 == 3;
      if (!groups) {
        for (int ow = 0; ow < owLo; ow++) {
          edgePixel(in, imageBase, ih0, r0, r1, ow, out, outRow + ow * c);
        }
        for (int ow = owHi; ow < g.ow; ow++) {
          edgePixel(in, imageBase, ih0, r0, r1, ow, out, outRow + ow * c);
        }
      }
      for (int cb = 0; cb < c; cb += L) {
        VectorMask<Float> mask = cb + L <= c ? null : tail;
        int ow = owLo;
        if (g.kh == 3 && g.kw == 3 && r0 == 0 && r1 == 3) {
          int top = imageBase + ih0 * rowStride;
          // A last block's whole-vector loads reach past its pixel's channels: taken only where
          // the load of the image's last column in the kernel's last row stays inside the array.
          boolean wholeLoads = mask == null || top + 2 * g.dh * rowStride + (g.w - 1) * c + cb + L <= in.length;
          if (groups && wholeLoads) {
            // A left edge pixel in a first group of four, the right one in a last group (which
            // recomputes up to three outputs already stored, with the same operations), both
            // reading a zero vector for padding columns; the groups between share columns.
            int from = owLo;
            if (owLo > 0) {
              if (g.sw == 1) {
                edgeGroup1(in, top, 0, cb, mask, out, outRow);
              } else {
                edgeGroup2(in, top, 0, cb, mask, out, outRow);
              }
              from = 4;
            }
            int end = g.sw == 1 ? sharedColumns1(in, top, from, cb, mask, out, outRow)
                : sharedColumns2(in, top, from, cb, mask, out, outRow);
            if (end < g.ow) {
              if (g.sw == 1) {
                edgeGroup1(in, top, g.ow - 4, cb, mask, out, outRow);
              } else {
                edgeGroup2(in, top, g.ow - 4, cb, mask, out, outRow);
              }
            }
            continue;
          }
          if (groups) {
            for (int e = 0; e < owLo; e++) {
              edge(in, imageBase, ih0, r0, r1, e, cb, mask, out, outRow + e * c + cb);
            }
            for (int e = owHi; e < g.ow; e++) {
              edge(in, imageBase, ih0, r0, r1, e, cb, mask, out, outRow + e * c + cb);
            }
          }
          if (g.dw == 1 && g.sw <= 2 && wholeLoads) {
            ow = g.sw == 1 ? sharedColumns1(in, top, ow, cb, mask, out, outRow)
                : sharedColumns2(in, top, ow, cb, mask, out, outRow);
          }
          if (mask == null && owHi - ow >= 2) {
            ow = interior3x3(in, top, ow, cb, out, outRow);
          }
        }
        for (; ow + 4 <= owHi; ow += 4) {
          four(in, imageBase, ih0, r0, r1, ow, cb, mask, out, outRow + ow * c + cb);
        }
        for (; ow < owHi; ow++) {
          edge(in, imageBase, ih0, r0, r1, ow, cb, mask, out, outRow + ow * c + cb);
        }
      }
      finishRow(out, outRow);
    }
  }

  /** The strips this kernel's rows run as, or {@code null} (for tests). */
  DepthwiseStrips strips() {
    return strips;
  }

  /** One output row as strips of seven ({@link #strips}) per full channel block; a partial block pixel by pixel. */
  private void stripRow(float[] in, int imageBase, int ih0, int r0, int r1, float[] out, int outRow) {
    int c = g.c;
    int rowStride = g.w * c;
    float[] a0 = r0 <= 0 && r1 > 0 ? in : zeros;
    float[] a1 = r0 <= 1 && r1 > 1 ? in : zeros;
    float[] a2 = r0 <= 2 && r1 > 2 ? in : zeros;
    int b0 = a0 == in ? imageBase + ih0 * rowStride : zo + c;
    int b1 = a1 == in ? imageBase + (ih0 + g.dh) * rowStride : zo + c;
    int b2 = a2 == in ? imageBase + (ih0 + 2 * g.dh) * rowStride : zo + c;
    strips.row(a0, b0, a1, b1, a2, b2, out, outRow);
    int full = c / L * L;
    if (full < c) {
      for (int ow = 0; ow < g.ow; ow++) {
        edge(in, imageBase, ih0, r0, r1, ow, full, tail, out, outRow + ow * c + full);
      }
    }
  }

  /**
   * The interior of an output row of a 3×3 kernel whose three rows are all inside the image, for
   * one full channel block: the nine weight vectors stay in registers for the whole row, and pixels
   * run four at a time, then two (nine input loads and nine fused multiply-adds each). Four
   * independent chains cover the multiply-add latency, which two did not: on images small enough
   * to stay in L1 (the Fashion-MNIST CNN's 14×14 and 7×7 layers) the layer is latency-bound.
   * Returns the first output column not done.
   *
   * @param top offset of input row {@code ih0} (the kernel's first row) of this image
   */
  private int interior3x3(float[] in, int top, int ow, int cb, float[] out, int outRow) {
    int c = g.c;
    int row1 = g.dh * g.w * c;
    int row2 = 2 * row1;
    int tap = g.dw * c;
    int step = g.sw * c;
    FloatVector w0 = FloatVector.fromArray(S, wp, wo + cb);
    FloatVector w1 = FloatVector.fromArray(S, wp, wo + cp + cb);
    FloatVector w2 = FloatVector.fromArray(S, wp, wo + 2 * cp + cb);
    FloatVector w3 = FloatVector.fromArray(S, wp, wo + 3 * cp + cb);
    FloatVector w4 = FloatVector.fromArray(S, wp, wo + 4 * cp + cb);
    FloatVector w5 = FloatVector.fromArray(S, wp, wo + 5 * cp + cb);
    FloatVector w6 = FloatVector.fromArray(S, wp, wo + 6 * cp + cb);
    FloatVector w7 = FloatVector.fromArray(S, wp, wo + 7 * cp + cb);
    FloatVector w8 = FloatVector.fromArray(S, wp, wo + 8 * cp + cb);
    FloatVector zero = FloatVector.zero(S);
    FloatVector bv = FloatVector.fromArray(S, fusedBias, bo + cb);
    int src = top + (ow * g.sw - g.padLeft) * c + cb;
    int o = outRow + ow * c + cb;
    for (; ow + 4 <= owHi; ow += 4, src += 4 * step, o += 4 * c) {
      int s1 = src + step;
      int s2 = s1 + step;
      int s3 = s2 + step;
      FloatVector a = FloatVector.fromArray(S, in, src).fma(w0, zero);
      FloatVector b = FloatVector.fromArray(S, in, s1).fma(w0, zero);
      FloatVector d = FloatVector.fromArray(S, in, s2).fma(w0, zero);
      FloatVector e = FloatVector.fromArray(S, in, s3).fma(w0, zero);
      a = FloatVector.fromArray(S, in, src + tap).fma(w1, a);
      b = FloatVector.fromArray(S, in, s1 + tap).fma(w1, b);
      d = FloatVector.fromArray(S, in, s2 + tap).fma(w1, d);
      e = FloatVector.fromArray(S, in, s3 + tap).fma(w1, e);
      a = FloatVector.fromArray(S, in, src + 2 * tap).fma(w2, a);
      b = FloatVector.fromArray(S, in, s1 + 2 * tap).fma(w2, b);
      d = FloatVector.fromArray(S, in, s2 + 2 * tap).fma(w2, d);
      e = FloatVector.fromArray(S, in, s3 + 2 * tap).fma(w2, e);
      a = FloatVector.fromArray(S, in, src + row1).fma(w3, a);
      b = FloatVector.fromArray(S, in, s1 + row1).fma(w3, b);
      d = FloatVector.fromArray(S, in, s2 + row1).fma(w3, d);
      e = FloatVector.fromArray(S, in, s3 + row1).fma(w3, e);
      a = FloatVector.fromArray(S, in, src + row1 + tap).fma(w4, a);
      b = FloatVector.fromArray(S, in, s1 + row1 + tap).fma(w4, b);
      d = FloatVector.fromArray(S, in, s2 + row1 + tap).fma(w4, d);
      e = FloatVector.fromArray(S, in, s3 + row1 + tap).fma(w4, e);
      a = FloatVector.fromArray(S, in, src + row1 + 2 * tap).fma(w5, a);
      b = FloatVector.fromArray(S, in, s1 + row1 + 2 * tap).fma(w5, b);
      d = FloatVector.fromArray(S, in, s2 + row1 + 2 * tap).fma(w5, d);
      e = FloatVector.fromArray(S, in, s3 + row1 + 2 * tap).fma(w5, e);
      a = FloatVector.fromArray(S, in, src + row2).fma(w6, a);
      b = FloatVector.fromArray(S, in, s1 + row2).fma(w6, b);
      d = FloatVector.fromArray(S, in, s2 + row2).fma(w6, d);
      e = FloatVector.fromArray(S, in, s3 + row2).fma(w6, e);
      a = FloatVector.fromArray(S, in, src + row2 + tap).fma(w7, a);
      b = FloatVector.fromArray(S, in, s1 + row2 + tap).fma(w7, b);
      d = FloatVector.fromArray(S, in, s2 + row2 + tap).fma(w7, d);
      e = FloatVector.fromArray(S, in, s3 + row2 + tap).fma(w7, e);
      a = FloatVector.fromArray(S, in, src + row2 + 2 * tap).fma(w8, a);
      b = FloatVector.fromArray(S, in, s1 + row2 + 2 * tap).fma(w8, b);
      d = FloatVector.fromArray(S, in, s2 + row2 + 2 * tap).fma(w8, d);
      e = FloatVector.fromArray(S, in, s3 + row2 + 2 * tap).fma(w8, e);
      if (fused) {
        if (hasBias) {
          a = a.add(bv);
          b = b.add(bv);
          d = d.add(bv);
          e = e.add(bv);
        }
        if (hasLo) {
          FloatVector lov = FloatVector.broadcast(S, lo);
          a = a.blend(lov, a.lt(loCmp));
          b = b.blend(lov, b.lt(loCmp));
          d = d.blend(lov, d.lt(loCmp));
          e = e.blend(lov, e.lt(loCmp));
        }
        if (hasHi) {
          FloatVector hiv = FloatVector.broadcast(S, hi);
          a = a.blend(hiv, a.compare(VectorOperators.GT, hiCmp));
          b = b.blend(hiv, b.compare(VectorOperators.GT, hiCmp));
          d = d.blend(hiv, d.compare(VectorOperators.GT, hiCmp));
          e = e.blend(hiv, e.compare(VectorOperators.GT, hiCmp));
        }
      }
      a.intoArray(out, o);
      b.intoArray(out, o + c);
      d.intoArray(out, o + 2 * c);
      e.intoArray(out, o + 3 * c);
    }
    for (; ow + 2 <= owHi; ow += 2, src += 2 * step, o += 2 * c) {
      int s1 = src + step;
      FloatVector a = FloatVector.fromArray(S, in, src).fma(w0, zero);
      FloatVector b = FloatVector.fromArray(S, in, s1).fma(w0, zero);
      a = FloatVector.fromArray(S, in, src + tap).fma(w1, a);
      b = FloatVector.fromArray(S, in, s1 + tap).fma(w1, b);
      a = FloatVector.fromArray(S, in, src + 2 * tap).fma(w2, a);
      b = FloatVector.fromArray(S, in, s1 + 2 * tap).fma(w2, b);
      a = FloatVector.fromArray(S, in, src + row1).fma(w3, a);
      b = FloatVector.fromArray(S, in, s1 + row1).fma(w3, b);
      a = FloatVector.fromArray(S, in, src + row1 + tap).fma(w4, a);
      b = FloatVector.fromArray(S, in, s1 + row1 + tap).fma(w4, b);
      a = FloatVector.fromArray(S, in, src + row1 + 2 * tap).fma(w5, a);
      b = FloatVector.fromArray(S, in, s1 + row1 + 2 * tap).fma(w5, b);
      a = FloatVector.fromArray(S, in, src + row2).fma(w6, a);
      b = FloatVector.fromArray(S, in, s1 + row2).fma(w6, b);
      a = FloatVector.fromArray(S, in, src + row2 + tap).fma(w7, a);
      b = FloatVector.fromArray(S, in, s1 + row2 + tap).fma(w7, b);
      a = FloatVector.fromArray(S, in, src + row2 + 2 * tap).fma(w8, a);
      b = FloatVector.fromArray(S, in, s1 + row2 + 2 * tap).fma(w8, b);
      if (fused) {
        if (hasBias) {
          a = a.add(bv);
          b = b.add(bv);
        }
        if (hasLo) {
          FloatVector lov = FloatVector.broadcast(S, lo);
          a = a.blend(lov, a.lt(loCmp));
          b = b.blend(lov, b.lt(loCmp));
        }
        if (hasHi) {
          FloatVector hiv = FloatVector.broadcast(S, hi);
          a = a.blend(hiv, a.compare(VectorOperators.GT, hiCmp));
          b = b.blend(hiv, b.compare(VectorOperators.GT, hiCmp));
        }
      }
      a.intoArray(out, o);
      b.intoArray(out, o + c);
    }
    return ow;
  }

  /**
   * Four outputs {@code [ow, ow + 4)} of a row taken by {@link #rowGroups}, for one channel block,
   * as {@link #sharedColumns1} computes them, but reading a zero vector for each of their six input
   * columns outside the image. For finite weights this is what skipping those taps gives, bit for
   * bit: {@code fma(0, w, acc)} is {@code acc}, and an accumulator that starts at +0 is never −0.
   * An infinite or NaN weight on a padding tap gives NaN, as in the reference kernel, which adds
   * {@code 0·w} for padding taps.
   */
  private void edgeGroup1(float[] in, int top, int ow, int cb, VectorMask<Float> mask, float[] out, int outRow) {
    int c = g.c;
    int row1 = g.dh * g.w * c;
    int row2 = 2 * row1;
    FloatVector w0 = FloatVector.fromArray(S, wp, wo + cb);
    FloatVector w1 = FloatVector.fromArray(S, wp, wo + cp + cb);
    FloatVector w2 = FloatVector.fromArray(S, wp, wo + 2 * cp + cb);
    FloatVector w3 = FloatVector.fromArray(S, wp, wo + 3 * cp + cb);
    FloatVector w4 = FloatVector.fromArray(S, wp, wo + 4 * cp + cb);
    FloatVector w5 = FloatVector.fromArray(S, wp, wo + 5 * cp + cb);
    FloatVector w6 = FloatVector.fromArray(S, wp, wo + 6 * cp + cb);
    FloatVector w7 = FloatVector.fromArray(S, wp, wo + 7 * cp + cb);
    FloatVector w8 = FloatVector.fromArray(S, wp, wo + 8 * cp + cb);
    FloatVector zero = FloatVector.zero(S);
    int col = ow - g.padLeft;
    boolean v0 = col >= 0 && col < g.w;
    boolean v1 = col + 1 >= 0 && col + 1 < g.w;
    boolean v2 = col + 2 >= 0 && col + 2 < g.w;
    boolean v3 = col + 3 >= 0 && col + 3 < g.w;
    boolean v4 = col + 4 >= 0 && col + 4 < g.w;
    boolean v5 = col + 5 >= 0 && col + 5 < g.w;
    int src = top + col * c + cb;
    FloatVector a = zero;
    FloatVector b = zero;
    FloatVector d = zero;
    FloatVector e = zero;
    FloatVector x0 = v0 ? FloatVector.fromArray(S, in, src) : zero;
    FloatVector x1 = v1 ? FloatVector.fromArray(S, in, src + c) : zero;
    FloatVector x2 = v2 ? FloatVector.fromArray(S, in, src + 2 * c) : zero;
    FloatVector x3 = v3 ? FloatVector.fromArray(S, in, src + 3 * c) : zero;
    FloatVector x4 = v4 ? FloatVector.fromArray(S, in, src + 4 * c) : zero;
    FloatVector x5 = v5 ? FloatVector.fromArray(S, in, src + 5 * c) : zero;
    a = x0.fma(w0, a);
    b = x1.fma(w0, b);
    d = x2.fma(w0, d);
    e = x3.fma(w0, e);
    a = x1.fma(w1, a);
    b = x2.fma(w1, b);
    d = x3.fma(w1, d);
    e = x4.fma(w1, e);
    a = x2.fma(w2, a);
    b = x3.fma(w2, b);
    d = x4.fma(w2, d);
    e = x5.fma(w2, e);
    x0 = v0 ? FloatVector.fromArray(S, in, src + row1) : zero;
    x1 = v1 ? FloatVector.fromArray(S, in, src + row1 + c) : zero;
    x2 = v2 ? FloatVector.fromArray(S, in, src + row1 + 2 * c) : zero;
    x3 = v3 ? FloatVector.fromArray(S, in, src + row1 + 3 * c) : zero;
    x4 = v4 ? FloatVector.fromArray(S, in, src + row1 + 4 * c) : zero;
    x5 = v5 ? FloatVector.fromArray(S, in, src + row1 + 5 * c) : zero;
    a = x0.fma(w3, a);
    b = x1.fma(w3, b);
    d = x2.fma(w3, d);
    e = x3.fma(w3, e);
    a = x1.fma(w4, a);
    b = x2.fma(w4, b);
    d = x3.fma(w4, d);
    e = x4.fma(w4, e);
    a = x2.fma(w5, a);
    b = x3.fma(w5, b);
    d = x4.fma(w5, d);
    e = x5.fma(w5, e);
    x0 = v0 ? FloatVector.fromArray(S, in, src + row2) : zero;
    x1 = v1 ? FloatVector.fromArray(S, in, src + row2 + c) : zero;
    x2 = v2 ? FloatVector.fromArray(S, in, src + row2 + 2 * c) : zero;
    x3 = v3 ? FloatVector.fromArray(S, in, src + row2 + 3 * c) : zero;
    x4 = v4 ? FloatVector.fromArray(S, in, src + row2 + 4 * c) : zero;
    x5 = v5 ? FloatVector.fromArray(S, in, src + row2 + 5 * c) : zero;
    a = x0.fma(w6, a);
    b = x1.fma(w6, b);
    d = x2.fma(w6, d);
    e = x3.fma(w6, e);
    a = x1.fma(w7, a);
    b = x2.fma(w7, b);
    d = x3.fma(w7, d);
    e = x4.fma(w7, e);
    a = x2.fma(w8, a);
    b = x3.fma(w8, b);
    d = x4.fma(w8, d);
    e = x5.fma(w8, e);
    if (fused) {
      if (hasBias) {
        FloatVector bv = FloatVector.fromArray(S, fusedBias, bo + cb);
        a = a.add(bv);
        b = b.add(bv);
        d = d.add(bv);
        e = e.add(bv);
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        a = a.blend(lov, a.lt(loCmp));
        b = b.blend(lov, b.lt(loCmp));
        d = d.blend(lov, d.lt(loCmp));
        e = e.blend(lov, e.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        a = a.blend(hiv, a.compare(VectorOperators.GT, hiCmp));
        b = b.blend(hiv, b.compare(VectorOperators.GT, hiCmp));
        d = d.blend(hiv, d.compare(VectorOperators.GT, hiCmp));
        e = e.blend(hiv, e.compare(VectorOperators.GT, hiCmp));
      }
    }
    int o = outRow + ow * c + cb;
    if (mask == null) {
      a.intoArray(out, o);
      b.intoArray(out, o + c);
      d.intoArray(out, o + 2 * c);
      e.intoArray(out, o + 3 * c);
    } else {
      a.intoArray(out, o, mask);
      b.intoArray(out, o + c, mask);
      d.intoArray(out, o + 2 * c, mask);
      e.intoArray(out, o + 3 * c, mask);
    }
  }

  /** {@link #edgeGroup1} at stride 2: nine input columns, as {@link #sharedColumns2}. */
  private void edgeGroup2(float[] in, int top, int ow, int cb, VectorMask<Float> mask, float[] out, int outRow) {
    int c = g.c;
    int row1 = g.dh * g.w * c;
    int row2 = 2 * row1;
    FloatVector w0 = FloatVector.fromArray(S, wp, wo + cb);
    FloatVector w1 = FloatVector.fromArray(S, wp, wo + cp + cb);
    FloatVector w2 = FloatVector.fromArray(S, wp, wo + 2 * cp + cb);
    FloatVector w3 = FloatVector.fromArray(S, wp, wo + 3 * cp + cb);
    FloatVector w4 = FloatVector.fromArray(S, wp, wo + 4 * cp + cb);
    FloatVector w5 = FloatVector.fromArray(S, wp, wo + 5 * cp + cb);
    FloatVector w6 = FloatVector.fromArray(S, wp, wo + 6 * cp + cb);
    FloatVector w7 = FloatVector.fromArray(S, wp, wo + 7 * cp + cb);
    FloatVector w8 = FloatVector.fromArray(S, wp, wo + 8 * cp + cb);
    FloatVector zero = FloatVector.zero(S);
    int col = ow * 2 - g.padLeft;
    boolean v0 = col >= 0 && col < g.w;
    boolean v1 = col + 1 >= 0 && col + 1 < g.w;
    boolean v2 = col + 2 >= 0 && col + 2 < g.w;
    boolean v3 = col + 3 >= 0 && col + 3 < g.w;
    boolean v4 = col + 4 >= 0 && col + 4 < g.w;
    boolean v5 = col + 5 >= 0 && col + 5 < g.w;
    boolean v6 = col + 6 >= 0 && col + 6 < g.w;
    boolean v7 = col + 7 >= 0 && col + 7 < g.w;
    boolean v8 = col + 8 >= 0 && col + 8 < g.w;
    int src = top + col * c + cb;
    FloatVector a = zero;
    FloatVector b = zero;
    FloatVector d = zero;
    FloatVector e = zero;
    FloatVector x0 = v0 ? FloatVector.fromArray(S, in, src) : zero;
    FloatVector x1 = v1 ? FloatVector.fromArray(S, in, src + c) : zero;
    FloatVector x2 = v2 ? FloatVector.fromArray(S, in, src + 2 * c) : zero;
    FloatVector x3 = v3 ? FloatVector.fromArray(S, in, src + 3 * c) : zero;
    FloatVector x4 = v4 ? FloatVector.fromArray(S, in, src + 4 * c) : zero;
    FloatVector x5 = v5 ? FloatVector.fromArray(S, in, src + 5 * c) : zero;
    FloatVector x6 = v6 ? FloatVector.fromArray(S, in, src + 6 * c) : zero;
    FloatVector x7 = v7 ? FloatVector.fromArray(S, in, src + 7 * c) : zero;
    FloatVector x8 = v8 ? FloatVector.fromArray(S, in, src + 8 * c) : zero;
    a = x0.fma(w0, a);
    b = x2.fma(w0, b);
    d = x4.fma(w0, d);
    e = x6.fma(w0, e);
    a = x1.fma(w1, a);
    b = x3.fma(w1, b);
    d = x5.fma(w1, d);
    e = x7.fma(w1, e);
    a = x2.fma(w2, a);
    b = x4.fma(w2, b);
    d = x6.fma(w2, d);
    e = x8.fma(w2, e);
    x0 = v0 ? FloatVector.fromArray(S, in, src + row1) : zero;
    x1 = v1 ? FloatVector.fromArray(S, in, src + row1 + c) : zero;
    x2 = v2 ? FloatVector.fromArray(S, in, src + row1 + 2 * c) : zero;
    x3 = v3 ? FloatVector.fromArray(S, in, src + row1 + 3 * c) : zero;
    x4 = v4 ? FloatVector.fromArray(S, in, src + row1 + 4 * c) : zero;
    x5 = v5 ? FloatVector.fromArray(S, in, src + row1 + 5 * c) : zero;
    x6 = v6 ? FloatVector.fromArray(S, in, src + row1 + 6 * c) : zero;
    x7 = v7 ? FloatVector.fromArray(S, in, src + row1 + 7 * c) : zero;
    x8 = v8 ? FloatVector.fromArray(S, in, src + row1 + 8 * c) : zero;
    a = x0.fma(w3, a);
    b = x2.fma(w3, b);
    d = x4.fma(w3, d);
    e = x6.fma(w3, e);
    a = x1.fma(w4, a);
    b = x3.fma(w4, b);
    d = x5.fma(w4, d);
    e = x7.fma(w4, e);
    a = x2.fma(w5, a);
    b = x4.fma(w5, b);
    d = x6.fma(w5, d);
    e = x8.fma(w5, e);
    x0 = v0 ? FloatVector.fromArray(S, in, src + row2) : zero;
    x1 = v1 ? FloatVector.fromArray(S, in, src + row2 + c) : zero;
    x2 = v2 ? FloatVector.fromArray(S, in, src + row2 + 2 * c) : zero;
    x3 = v3 ? FloatVector.fromArray(S, in, src + row2 + 3 * c) : zero;
    x4 = v4 ? FloatVector.fromArray(S, in, src + row2 + 4 * c) : zero;
    x5 = v5 ? FloatVector.fromArray(S, in, src + row2 + 5 * c) : zero;
    x6 = v6 ? FloatVector.fromArray(S, in, src + row2 + 6 * c) : zero;
    x7 = v7 ? FloatVector.fromArray(S, in, src + row2 + 7 * c) : zero;
    x8 = v8 ? FloatVector.fromArray(S, in, src + row2 + 8 * c) : zero;
    a = x0.fma(w6, a);
    b = x2.fma(w6, b);
    d = x4.fma(w6, d);
    e = x6.fma(w6, e);
    a = x1.fma(w7, a);
    b = x3.fma(w7, b);
    d = x5.fma(w7, d);
    e = x7.fma(w7, e);
    a = x2.fma(w8, a);
    b = x4.fma(w8, b);
    d = x6.fma(w8, d);
    e = x8.fma(w8, e);
    if (fused) {
      if (hasBias) {
        FloatVector bv = FloatVector.fromArray(S, fusedBias, bo + cb);
        a = a.add(bv);
        b = b.add(bv);
        d = d.add(bv);
        e = e.add(bv);
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        a = a.blend(lov, a.lt(loCmp));
        b = b.blend(lov, b.lt(loCmp));
        d = d.blend(lov, d.lt(loCmp));
        e = e.blend(lov, e.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        a = a.blend(hiv, a.compare(VectorOperators.GT, hiCmp));
        b = b.blend(hiv, b.compare(VectorOperators.GT, hiCmp));
        d = d.blend(hiv, d.compare(VectorOperators.GT, hiCmp));
        e = e.blend(hiv, e.compare(VectorOperators.GT, hiCmp));
      }
    }
    int o = outRow + ow * c + cb;
    if (mask == null) {
      a.intoArray(out, o);
      b.intoArray(out, o + c);
      d.intoArray(out, o + 2 * c);
      e.intoArray(out, o + 3 * c);
    } else {
      a.intoArray(out, o, mask);
      b.intoArray(out, o + c, mask);
      d.intoArray(out, o + 2 * c, mask);
      e.intoArray(out, o + 3 * c, mask);
    }
  }

  /**
   * The interior of an output row of a 3×3 kernel at stride 1 (dilation 1) whose three rows are
   * all inside the image, for one channel block, four outputs at a time: neighbouring outputs share
   * input columns, so each of the six input vectors of a kernel row is loaded once and feeds up to
   * three of them (18 loads for 36 fused multiply-adds, where {@link #interior3x3} makes 36). Per
   * output the taps run in kernel order, as everywhere else. {@code mask} null for a full block,
   * else the lanes of the last one: its loads are whole vectors (the caller checked they stay in
   * the array; the lanes past the channels meet zero weights and are never stored) and its stores
   * are masked. A method of its own: with {@link #interior3x3} in one method it is more than C1 can
   * allocate registers for, and a method left in C1 code boxes every vector. Returns the first
   * output column not done.
   */
  private int sharedColumns1(float[] in, int top, int ow, int cb, VectorMask<Float> mask, float[] out, int outRow) {
    int c = g.c;
    int row1 = g.dh * g.w * c;
    int row2 = 2 * row1;
    FloatVector w0 = FloatVector.fromArray(S, wp, wo + cb);
    FloatVector w1 = FloatVector.fromArray(S, wp, wo + cp + cb);
    FloatVector w2 = FloatVector.fromArray(S, wp, wo + 2 * cp + cb);
    FloatVector w3 = FloatVector.fromArray(S, wp, wo + 3 * cp + cb);
    FloatVector w4 = FloatVector.fromArray(S, wp, wo + 4 * cp + cb);
    FloatVector w5 = FloatVector.fromArray(S, wp, wo + 5 * cp + cb);
    FloatVector w6 = FloatVector.fromArray(S, wp, wo + 6 * cp + cb);
    FloatVector w7 = FloatVector.fromArray(S, wp, wo + 7 * cp + cb);
    FloatVector w8 = FloatVector.fromArray(S, wp, wo + 8 * cp + cb);
    FloatVector zero = FloatVector.zero(S);
    FloatVector bv = FloatVector.fromArray(S, fusedBias, bo + cb);
    int src = top + (ow - g.padLeft) * c + cb;
    int o = outRow + ow * c + cb;
    for (; ow + 4 <= owHi; ow += 4, src += 4 * c, o += 4 * c) {
      FloatVector a = zero;
      FloatVector b = zero;
      FloatVector d = zero;
      FloatVector e = zero;
      FloatVector x0 = FloatVector.fromArray(S, in, src);
      FloatVector x1 = FloatVector.fromArray(S, in, src + c);
      FloatVector x2 = FloatVector.fromArray(S, in, src + 2 * c);
      FloatVector x3 = FloatVector.fromArray(S, in, src + 3 * c);
      FloatVector x4 = FloatVector.fromArray(S, in, src + 4 * c);
      FloatVector x5 = FloatVector.fromArray(S, in, src + 5 * c);
      a = x0.fma(w0, a);
      b = x1.fma(w0, b);
      d = x2.fma(w0, d);
      e = x3.fma(w0, e);
      a = x1.fma(w1, a);
      b = x2.fma(w1, b);
      d = x3.fma(w1, d);
      e = x4.fma(w1, e);
      a = x2.fma(w2, a);
      b = x3.fma(w2, b);
      d = x4.fma(w2, d);
      e = x5.fma(w2, e);
      x0 = FloatVector.fromArray(S, in, src + row1);
      x1 = FloatVector.fromArray(S, in, src + row1 + c);
      x2 = FloatVector.fromArray(S, in, src + row1 + 2 * c);
      x3 = FloatVector.fromArray(S, in, src + row1 + 3 * c);
      x4 = FloatVector.fromArray(S, in, src + row1 + 4 * c);
      x5 = FloatVector.fromArray(S, in, src + row1 + 5 * c);
      a = x0.fma(w3, a);
      b = x1.fma(w3, b);
      d = x2.fma(w3, d);
      e = x3.fma(w3, e);
      a = x1.fma(w4, a);
      b = x2.fma(w4, b);
      d = x3.fma(w4, d);
      e = x4.fma(w4, e);
      a = x2.fma(w5, a);
      b = x3.fma(w5, b);
      d = x4.fma(w5, d);
      e = x5.fma(w5, e);
      x0 = FloatVector.fromArray(S, in, src + row2);
      x1 = FloatVector.fromArray(S, in, src + row2 + c);
      x2 = FloatVector.fromArray(S, in, src + row2 + 2 * c);
      x3 = FloatVector.fromArray(S, in, src + row2 + 3 * c);
      x4 = FloatVector.fromArray(S, in, src + row2 + 4 * c);
      x5 = FloatVector.fromArray(S, in, src + row2 + 5 * c);
      a = x0.fma(w6, a);
      b = x1.fma(w6, b);
      d = x2.fma(w6, d);
      e = x3.fma(w6, e);
      a = x1.fma(w7, a);
      b = x2.fma(w7, b);
      d = x3.fma(w7, d);
      e = x4.fma(w7, e);
      a = x2.fma(w8, a);
      b = x3.fma(w8, b);
      d = x4.fma(w8, d);
      e = x5.fma(w8, e);
      if (fused) {
        if (hasBias) {
          a = a.add(bv);
          b = b.add(bv);
          d = d.add(bv);
          e = e.add(bv);
        }
        if (hasLo) {
          FloatVector lov = FloatVector.broadcast(S, lo);
          a = a.blend(lov, a.lt(loCmp));
          b = b.blend(lov, b.lt(loCmp));
          d = d.blend(lov, d.lt(loCmp));
          e = e.blend(lov, e.lt(loCmp));
        }
        if (hasHi) {
          FloatVector hiv = FloatVector.broadcast(S, hi);
          a = a.blend(hiv, a.compare(VectorOperators.GT, hiCmp));
          b = b.blend(hiv, b.compare(VectorOperators.GT, hiCmp));
          d = d.blend(hiv, d.compare(VectorOperators.GT, hiCmp));
          e = e.blend(hiv, e.compare(VectorOperators.GT, hiCmp));
        }
      }
      if (mask == null) {
        a.intoArray(out, o);
        b.intoArray(out, o + c);
        d.intoArray(out, o + 2 * c);
        e.intoArray(out, o + 3 * c);
      } else {
        a.intoArray(out, o, mask);
        b.intoArray(out, o + c, mask);
        d.intoArray(out, o + 2 * c, mask);
        e.intoArray(out, o + 3 * c, mask);
      }
    }
    return ow;
  }

  /**
   * {@link #sharedColumns1} at stride 2: four outputs read nine input columns per kernel row (27
   * loads for 36 fused multiply-adds instead of 36).
   */
  private int sharedColumns2(float[] in, int top, int ow, int cb, VectorMask<Float> mask, float[] out, int outRow) {
    int c = g.c;
    int row1 = g.dh * g.w * c;
    int row2 = 2 * row1;
    FloatVector w0 = FloatVector.fromArray(S, wp, wo + cb);
    FloatVector w1 = FloatVector.fromArray(S, wp, wo + cp + cb);
    FloatVector w2 = FloatVector.fromArray(S, wp, wo + 2 * cp + cb);
    FloatVector w3 = FloatVector.fromArray(S, wp, wo + 3 * cp + cb);
    FloatVector w4 = FloatVector.fromArray(S, wp, wo + 4 * cp + cb);
    FloatVector w5 = FloatVector.fromArray(S, wp, wo + 5 * cp + cb);
    FloatVector w6 = FloatVector.fromArray(S, wp, wo + 6 * cp + cb);
    FloatVector w7 = FloatVector.fromArray(S, wp, wo + 7 * cp + cb);
    FloatVector w8 = FloatVector.fromArray(S, wp, wo + 8 * cp + cb);
    FloatVector zero = FloatVector.zero(S);
    FloatVector bv = FloatVector.fromArray(S, fusedBias, bo + cb);
    int src = top + (ow * 2 - g.padLeft) * c + cb;
    int o = outRow + ow * c + cb;
    for (; ow + 4 <= owHi; ow += 4, src += 8 * c, o += 4 * c) {
      FloatVector a = zero;
      FloatVector b = zero;
      FloatVector d = zero;
      FloatVector e = zero;
      FloatVector x0 = FloatVector.fromArray(S, in, src);
      FloatVector x1 = FloatVector.fromArray(S, in, src + c);
      FloatVector x2 = FloatVector.fromArray(S, in, src + 2 * c);
      FloatVector x3 = FloatVector.fromArray(S, in, src + 3 * c);
      FloatVector x4 = FloatVector.fromArray(S, in, src + 4 * c);
      FloatVector x5 = FloatVector.fromArray(S, in, src + 5 * c);
      FloatVector x6 = FloatVector.fromArray(S, in, src + 6 * c);
      FloatVector x7 = FloatVector.fromArray(S, in, src + 7 * c);
      FloatVector x8 = FloatVector.fromArray(S, in, src + 8 * c);
      a = x0.fma(w0, a);
      b = x2.fma(w0, b);
      d = x4.fma(w0, d);
      e = x6.fma(w0, e);
      a = x1.fma(w1, a);
      b = x3.fma(w1, b);
      d = x5.fma(w1, d);
      e = x7.fma(w1, e);
      a = x2.fma(w2, a);
      b = x4.fma(w2, b);
      d = x6.fma(w2, d);
      e = x8.fma(w2, e);
      x0 = FloatVector.fromArray(S, in, src + row1);
      x1 = FloatVector.fromArray(S, in, src + row1 + c);
      x2 = FloatVector.fromArray(S, in, src + row1 + 2 * c);
      x3 = FloatVector.fromArray(S, in, src + row1 + 3 * c);
      x4 = FloatVector.fromArray(S, in, src + row1 + 4 * c);
      x5 = FloatVector.fromArray(S, in, src + row1 + 5 * c);
      x6 = FloatVector.fromArray(S, in, src + row1 + 6 * c);
      x7 = FloatVector.fromArray(S, in, src + row1 + 7 * c);
      x8 = FloatVector.fromArray(S, in, src + row1 + 8 * c);
      a = x0.fma(w3, a);
      b = x2.fma(w3, b);
      d = x4.fma(w3, d);
      e = x6.fma(w3, e);
      a = x1.fma(w4, a);
      b = x3.fma(w4, b);
      d = x5.fma(w4, d);
      e = x7.fma(w4, e);
      a = x2.fma(w5, a);
      b = x4.fma(w5, b);
      d = x6.fma(w5, d);
      e = x8.fma(w5, e);
      x0 = FloatVector.fromArray(S, in, src + row2);
      x1 = FloatVector.fromArray(S, in, src + row2 + c);
      x2 = FloatVector.fromArray(S, in, src + row2 + 2 * c);
      x3 = FloatVector.fromArray(S, in, src + row2 + 3 * c);
      x4 = FloatVector.fromArray(S, in, src + row2 + 4 * c);
      x5 = FloatVector.fromArray(S, in, src + row2 + 5 * c);
      x6 = FloatVector.fromArray(S, in, src + row2 + 6 * c);
      x7 = FloatVector.fromArray(S, in, src + row2 + 7 * c);
      x8 = FloatVector.fromArray(S, in, src + row2 + 8 * c);
      a = x0.fma(w6, a);
      b = x2.fma(w6, b);
      d = x4.fma(w6, d);
      e = x6.fma(w6, e);
      a = x1.fma(w7, a);
      b = x3.fma(w7, b);
      d = x5.fma(w7, d);
      e = x7.fma(w7, e);
      a = x2.fma(w8, a);
      b = x4.fma(w8, b);
      d = x6.fma(w8, d);
      e = x8.fma(w8, e);
      if (fused) {
        if (hasBias) {
          a = a.add(bv);
          b = b.add(bv);
          d = d.add(bv);
          e = e.add(bv);
        }
        if (hasLo) {
          FloatVector lov = FloatVector.broadcast(S, lo);
          a = a.blend(lov, a.lt(loCmp));
          b = b.blend(lov, b.lt(loCmp));
          d = d.blend(lov, d.lt(loCmp));
          e = e.blend(lov, e.lt(loCmp));
        }
        if (hasHi) {
          FloatVector hiv = FloatVector.broadcast(S, hi);
          a = a.blend(hiv, a.compare(VectorOperators.GT, hiCmp));
          b = b.blend(hiv, b.compare(VectorOperators.GT, hiCmp));
          d = d.blend(hiv, d.compare(VectorOperators.GT, hiCmp));
          e = e.blend(hiv, e.compare(VectorOperators.GT, hiCmp));
        }
      }
      if (mask == null) {
        a.intoArray(out, o);
        b.intoArray(out, o + c);
        d.intoArray(out, o + 2 * c);
        e.intoArray(out, o + 3 * c);
      } else {
        a.intoArray(out, o, mask);
        b.intoArray(out, o + c, mask);
        d.intoArray(out, o + 2 * c, mask);
        e.intoArray(out, o + 3 * c, mask);
      }
    }
    return ow;
  }

  /**
   * Four adjacent output pixels from {@code ow}, all taps inside the image columns; {@code mask}
   * null for a full block, else the lanes of the last one (its loads and stores masked: a channel
   * count such as 24 leaves a half block, whose pixels one at a time were a single chain of
   * dependent fused multiply-adds).
   */
  private void four(float[] in, int imageBase, int ih0, int r0, int r1, int ow, int cb, VectorMask<Float> mask,
      float[] out, int o) {
    int c = g.c;
    int step = g.sw * c;
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    for (int r = r0; r < r1; r++) {
      int src = imageBase + ((ih0 + r * g.dh) * g.w + ow * g.sw - g.padLeft) * c + cb;
      int wt = r * g.kw * cp + cb;
      for (int q = 0; q < g.kw; q++, src += g.dw * c, wt += cp) {
        FloatVector wv = FloatVector.fromArray(S, wp, wo + wt);
        if (mask == null) {
          a0 = FloatVector.fromArray(S, in, src).fma(wv, a0);
          a1 = FloatVector.fromArray(S, in, src + step).fma(wv, a1);
          a2 = FloatVector.fromArray(S, in, src + 2 * step).fma(wv, a2);
          a3 = FloatVector.fromArray(S, in, src + 3 * step).fma(wv, a3);
        } else {
          a0 = FloatVector.fromArray(S, in, src, mask).fma(wv, a0);
          a1 = FloatVector.fromArray(S, in, src + step, mask).fma(wv, a1);
          a2 = FloatVector.fromArray(S, in, src + 2 * step, mask).fma(wv, a2);
          a3 = FloatVector.fromArray(S, in, src + 3 * step, mask).fma(wv, a3);
        }
      }
    }
    if (fused) {
      if (hasBias) {
        FloatVector bv = FloatVector.fromArray(S, fusedBias, bo + cb);
        a0 = a0.add(bv);
        a1 = a1.add(bv);
        a2 = a2.add(bv);
        a3 = a3.add(bv);
      }
      if (hasLo) {
        FloatVector lov = FloatVector.broadcast(S, lo);
        a0 = a0.blend(lov, a0.lt(loCmp));
        a1 = a1.blend(lov, a1.lt(loCmp));
        a2 = a2.blend(lov, a2.lt(loCmp));
        a3 = a3.blend(lov, a3.lt(loCmp));
      }
      if (hasHi) {
        FloatVector hiv = FloatVector.broadcast(S, hi);
        a0 = a0.blend(hiv, a0.compare(VectorOperators.GT, hiCmp));
        a1 = a1.blend(hiv, a1.compare(VectorOperators.GT, hiCmp));
        a2 = a2.blend(hiv, a2.compare(VectorOperators.GT, hiCmp));
        a3 = a3.blend(hiv, a3.compare(VectorOperators.GT, hiCmp));
      }
    }
    if (mask == null) {
      a0.intoArray(out, o);
      a1.intoArray(out, o + c);
      a2.intoArray(out, o + 2 * c);
      a3.intoArray(out, o + 3 * c);
    } else {
      a0.intoArray(out, o, mask);
      a1.intoArray(out, o + c, mask);
      a2.intoArray(out, o + 2 * c, mask);
      a3.intoArray(out, o + 3 * c, mask);
    }
  }

  /**
   * Every channel of one output pixel whose taps are clipped to the image columns (the left and
   * right edges): four full channel blocks at a time, four independent chains (one block alone is
   * a single chain of dependent fused multiply-adds, which on small images, where edges are a
   * large share of the pixels, took as long as the rest of the row); the remaining blocks one at a
   * time. Per lane the operations of {@link #edge}.
   */
  private void edgePixel(float[] in, int imageBase, int ih0, int r0, int r1, int ow, float[] out, int o) {
    int c = g.c;
    int iw0 = ow * g.sw - g.padLeft;
    int q0 = iw0 >= 0 ? 0 : Math.min(g.kw, (-iw0 + g.dw - 1) / g.dw);
    int q1 = iw0 >= g.w ? q0 : (iw0 + (g.kw - 1) * g.dw < g.w ? g.kw : Math.max(q0, (g.w - 1 - iw0) / g.dw + 1));
    int full = c / L * L;
    int cb = 0;
    for (; cb + 4 * L <= full; cb += 4 * L) {
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      for (int r = r0; r < r1; r++) {
        int row = imageBase + (ih0 + r * g.dh) * g.w * c + cb;
        for (int q = q0; q < q1; q++) {
          int src = row + (iw0 + q * g.dw) * c;
          int wt = (r * g.kw + q) * cp + cb;
          a0 = FloatVector.fromArray(S, in, src).fma(FloatVector.fromArray(S, wp, wo + wt), a0);
          a1 = FloatVector.fromArray(S, in, src + L).fma(FloatVector.fromArray(S, wp, wo + wt + L), a1);
          a2 = FloatVector.fromArray(S, in, src + 2 * L).fma(FloatVector.fromArray(S, wp, wo + wt + 2 * L), a2);
          a3 = FloatVector.fromArray(S, in, src + 3 * L).fma(FloatVector.fromArray(S, wp, wo + wt + 3 * L), a3);
        }
      }
      if (fused) {
        a0 = a0.add(FloatVector.fromArray(S, fusedBias, bo + cb));
        a0 = a0.blend(FloatVector.broadcast(S, lo), a0.lt(loCmp));
        a0 = a0.blend(FloatVector.broadcast(S, hi), a0.compare(VectorOperators.GT, hiCmp));
        a1 = a1.add(FloatVector.fromArray(S, fusedBias, bo + cb + L));
        a1 = a1.blend(FloatVector.broadcast(S, lo), a1.lt(loCmp));
        a1 = a1.blend(FloatVector.broadcast(S, hi), a1.compare(VectorOperators.GT, hiCmp));
        a2 = a2.add(FloatVector.fromArray(S, fusedBias, bo + cb + 2 * L));
        a2 = a2.blend(FloatVector.broadcast(S, lo), a2.lt(loCmp));
        a2 = a2.blend(FloatVector.broadcast(S, hi), a2.compare(VectorOperators.GT, hiCmp));
        a3 = a3.add(FloatVector.fromArray(S, fusedBias, bo + cb + 3 * L));
        a3 = a3.blend(FloatVector.broadcast(S, lo), a3.lt(loCmp));
        a3 = a3.blend(FloatVector.broadcast(S, hi), a3.compare(VectorOperators.GT, hiCmp));
      }
      a0.intoArray(out, o + cb);
      a1.intoArray(out, o + cb + L);
      a2.intoArray(out, o + cb + 2 * L);
      a3.intoArray(out, o + cb + 3 * L);
    }
    for (; cb < c; cb += L) {
      edge(in, imageBase, ih0, r0, r1, ow, cb, cb + L <= c ? null : tail, out, o + cb);
    }
  }

  /** One output pixel with its taps clipped to the image columns; {@code mask} null for a full block. */
  private void edge(float[] in, int imageBase, int ih0, int r0, int r1, int ow, int cb, VectorMask<Float> mask,
      float[] out, int o) {
    int c = g.c;
    int iw0 = ow * g.sw - g.padLeft;
    int q0 = iw0 >= 0 ? 0 : Math.min(g.kw, (-iw0 + g.dw - 1) / g.dw);
    int q1 = iw0 >= g.w ? q0 : (iw0 + (g.kw - 1) * g.dw < g.w ? g.kw : Math.max(q0, (g.w - 1 - iw0) / g.dw + 1));
    FloatVector acc = FloatVector.zero(S);
    for (int r = r0; r < r1; r++) {
      int row = imageBase + (ih0 + r * g.dh) * g.w * c + cb;
      for (int q = q0; q < q1; q++) {
        int src = row + (iw0 + q * g.dw) * c;
        FloatVector x = mask == null ? FloatVector.fromArray(S, in, src) : FloatVector.fromArray(S, in, src, mask);
        acc = x.fma(FloatVector.fromArray(S, wp, wo + (r * g.kw + q) * cp + cb), acc);
      }
    }
    if (fused) {
      acc = acc.add(FloatVector.fromArray(S, fusedBias, bo + cb));
      acc = acc.blend(FloatVector.broadcast(S, lo), acc.lt(loCmp));
      acc = acc.blend(FloatVector.broadcast(S, hi), acc.compare(VectorOperators.GT, hiCmp));
    }
    if (mask == null) {
      acc.intoArray(out, o);
    } else {
      acc.intoArray(out, o, mask);
    }
  }

  /**
   * Bias and hard-swish (the one activation the kernels leave to this pass) over one output row in
   * place, while it is in L1: a pass of its own because C2 inlines only so much, and a vector handed
   * to a method it did not inline is boxed ({@link FloatVectorKernels.Epilog#hardSwish} works on the
   * array).
   */
  private void finishRow(float[] out, int row) {
    if (fused || (bias == null && !epilog.active())) {
      return;
    }
    int c = g.c;
    if (bias != null) {
      for (int px = 0; px < g.ow; px++) {
        int o = row + px * c;
        int cb = 0;
        for (; cb + L <= c; cb += L) {
          FloatVector.fromArray(S, out, o + cb).add(FloatVector.fromArray(S, bias, bo + cb)).intoArray(out, o + cb);
        }
        if (tail != null) {
          FloatVector.fromArray(S, out, o + cb, tail).add(FloatVector.fromArray(S, bias, bo + cb))
              .intoArray(out, o + cb, tail);
        }
      }
    }
    FloatVectorKernels.Epilog.hardSwish(out, row, g.ow * c);
  }

}
