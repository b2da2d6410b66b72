package dev.topiary.vector;

import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The source of {@link VectorDepthwise}'s strips of seven outputs, never used as itself:
 * {@link DepthwiseStrips#forShape} defines a hidden class from this class's bytes for each shape
 * ({@link ShapeClasses}), whose {@code static final} constants (channels, columns, stride, which
 * epilogue steps run) come from the class data. In each, the offsets of a strip's 27 input loads
 * are one register plus constant displacements, and their bounds checks merge. With the channel
 * count in a register, as in the one shared method before, every load paid its own check and the
 * offsets, multiples of {@code c}, spilled to the stack: about 350 instructions for 63 fused
 * multiply-adds (session 13, docs/BENCHMARKS.md). Measured in the Fashion-MNIST CNN: 14×14×32
 * 1.90 → 1.53 µs, 14×14×64 at stride 2 1.34 → 0.91 µs, 7×7×128 unchanged (1.63).
 *
 * <p>The same bytes with an all-zero shape make the generic class ({@link #GENERIC}), shared by
 * every shape without a class of its own: each method starts by taking the shape either from the
 * constants or, in the generic class, from the instance fields, into locals the code then uses.
 *
 * <p>Rounding is {@link VectorDepthwise}'s: per output, {@code fma} over the nine taps in kernel
 * order from zero, then {@code + bias}, then the clamp.
 */
final class DepthwiseStripsTemplate extends DepthwiseStrips {
  private static final VectorSpecies<Float> S = FloatVectorKernels.S;
  private static final int L = S.length();

  /** The class data ({@link DepthwiseStrips#SHAPE_LENGTH} entries), all zero in the generic class and in this class itself, which is never run. */
  private static final int[] SHAPE = shape();
  /** Channels, the input's channel stride. */
  private static final int C = SHAPE[0];
  /** Channels rounded up to {@code L}: the stride of the packed taps. */
  private static final int CP = SHAPE[1];
  /** Whole channel blocks: {@code C / L · L}. */
  private static final int FULL = SHAPE[2];
  /** Input and output columns. */
  private static final int W = SHAPE[3];
  private static final int OW = SHAPE[4];
  private static final boolean STRIDE2 = SHAPE[5] == 2;
  private static final boolean FUSED = (SHAPE[6] & DepthwiseStrips.FUSED) != 0;
  private static final boolean HAS_BIAS = (SHAPE[6] & DepthwiseStrips.BIAS) != 0;
  private static final boolean HAS_LO = (SHAPE[6] & DepthwiseStrips.LO) != 0;
  private static final boolean HAS_HI = (SHAPE[6] & DepthwiseStrips.HI) != 0;
  /**
   * Whether this is the one class for all shapes not specialised ({@link DepthwiseStrips#forShape}),
   * whose class data is all zero: its code reads the shape from the instance fields below, which
   * a specialised class ignores (C2 folds each {@code GENERIC ? field : CONSTANT} to the constant).
   */
  private static final boolean GENERIC = C == 0;

  private final float[] wp;
  private final int wo;
  private final float[] fusedBias;
  private final int bo;
  private final float lo;
  private final float hi;
  private final float loCmp;
  private final float hiCmp;
  private final int c;
  private final int cp;
  private final int full;
  private final int inCols;
  private final int outCols;
  private final boolean stride2;
  private final boolean fused;
  private final boolean hasBias;
  private final boolean hasLo;
  private final boolean hasHi;

  DepthwiseStripsTemplate(float[] wp, int wo, float[] fusedBias, int bo, float lo, float hi, float loCmp,
      float hiCmp, int[] shape) {
    this.wp = wp;
    this.wo = wo;
    this.fusedBias = fusedBias;
    this.bo = bo;
    this.lo = lo;
    this.hi = hi;
    this.loCmp = loCmp;
    this.hiCmp = hiCmp;
    this.c = shape[0];
    this.cp = shape[1];
    this.full = shape[2];
    this.inCols = shape[3];
    this.outCols = shape[4];
    this.stride2 = shape[5] == 2;
    this.fused = (shape[6] & DepthwiseStrips.FUSED) != 0;
    this.hasBias = (shape[6] & DepthwiseStrips.BIAS) != 0;
    this.hasLo = (shape[6] & DepthwiseStrips.LO) != 0;
    this.hasHi = (shape[6] & DepthwiseStrips.HI) != 0;
  }

  private static int[] shape() {
    int[] data = ShapeClasses.shapeOf(MethodHandles.lookup());
    return data == null ? new int[DepthwiseStrips.SHAPE_LENGTH] : data;
  }

  @Override
  boolean specialised() {
    return !GENERIC;
  }

  @Override
  void row(float[] a0, int b0, float[] a1, int b1, float[] a2, int b2, float[] out, int outRow) {
    if (GENERIC ? stride2 : STRIDE2) {
      strip7s2(a0, b0, a1, b1, a2, b2, out, outRow);
    } else {
      strip7(a0, b0, a1, b1, a2, b2, out, outRow);
    }
  }

  /**
   * One output row of a 3×3 kernel at stride 1 as strips of seven outputs {@code [ow, ow + 7)},
   * for each full channel block ({@code cb < full}): each kernel row loads the nine input columns
   * {@code ow − 1 … ow + 7} once (a zero vector for a column outside the image) and makes 21 fused
   * multiply-adds, so seven independent chains cover the latency and no input column is loaded
   * twice. A kernel row outside the image reads the kernel's zero row instead ({@code fma(0, w,
   * acc)} is {@code acc} for finite weights, as in the kernel's edge groups). For the small images of late layers
   * (7 or 14 columns), where the groups of four spent two groups on seven outputs.
   *
   * <p>The strips and channel blocks are one loop in one call (channel blocks inner): a call per
   * strip kept the out-of-order core from overlapping one strip's epilogue and stores with the next
   * strip's products (measured on Zen 4: 7×7×128 2.3–2.7 → 1.9–2.1 µs), and a call per column strip
   * with a short channel loop inside cost 14×14×32 a quarter of its time (2.5 → 1.9 µs, session 12,
   * docs/BENCHMARKS.md). A nested loop would give a 7-column image a one-trip loop.
   *
   * @param a0 array of kernel row 0 (the input or the zero row), {@code b0} the offset of its
   *     column 0, channel 0; likewise rows 1 and 2
   */
  private void strip7(float[] a0, int b0, float[] a1, int b1, float[] a2, int b2, float[] out, int outRow) {
    int c = GENERIC ? this.c : C;
    int cp = GENERIC ? this.cp : CP;
    int full = GENERIC ? this.full : FULL;
    int inCols = GENERIC ? this.inCols : W;
    int outCols = GENERIC ? this.outCols : OW;
    boolean fused = GENERIC ? this.fused : FUSED;
    boolean hasBias = GENERIC ? this.hasBias : HAS_BIAS;
    boolean hasLo = GENERIC ? this.hasLo : HAS_LO;
    boolean hasHi = GENERIC ? this.hasHi : HAS_HI;
    int ow = 0;
    int cb = 0;
    while (ow < outCols) {
      boolean left = ow > 0;
      int at = ow * c + cb;
      int o0 = b0 + at;
      int o1 = b1 + at;
      int o2 = b2 + at;
      int o = outRow + at;
      boolean right = ow + 7 < inCols;
      FloatVector zero = FloatVector.zero(S);
      FloatVector s0 = zero;
      FloatVector s1 = zero;
      FloatVector s2 = zero;
      FloatVector s3 = zero;
      FloatVector s4 = zero;
      FloatVector s5 = zero;
      FloatVector s6 = zero;
      FloatVector w0 = FloatVector.fromArray(S, wp, wo + cb);
      FloatVector w1 = FloatVector.fromArray(S, wp, wo + cp + cb);
      FloatVector w2 = FloatVector.fromArray(S, wp, wo + 2 * cp + cb);
      FloatVector x0 = left ? FloatVector.fromArray(S, a0, o0 - c) : zero;
      FloatVector x1 = FloatVector.fromArray(S, a0, o0);
      FloatVector x2 = FloatVector.fromArray(S, a0, o0 + c);
      FloatVector x3 = FloatVector.fromArray(S, a0, o0 + 2 * c);
      FloatVector x4 = FloatVector.fromArray(S, a0, o0 + 3 * c);
      FloatVector x5 = FloatVector.fromArray(S, a0, o0 + 4 * c);
      FloatVector x6 = FloatVector.fromArray(S, a0, o0 + 5 * c);
      FloatVector x7 = FloatVector.fromArray(S, a0, o0 + 6 * c);
      FloatVector x8 = right ? FloatVector.fromArray(S, a0, o0 + 7 * c) : zero;
      s0 = x0.fma(w0, s0);
      s1 = x1.fma(w0, s1);
      s2 = x2.fma(w0, s2);
      s3 = x3.fma(w0, s3);
      s4 = x4.fma(w0, s4);
      s5 = x5.fma(w0, s5);
      s6 = x6.fma(w0, s6);
      s0 = x1.fma(w1, s0);
      s1 = x2.fma(w1, s1);
      s2 = x3.fma(w1, s2);
      s3 = x4.fma(w1, s3);
      s4 = x5.fma(w1, s4);
      s5 = x6.fma(w1, s5);
      s6 = x7.fma(w1, s6);
      s0 = x2.fma(w2, s0);
      s1 = x3.fma(w2, s1);
      s2 = x4.fma(w2, s2);
      s3 = x5.fma(w2, s3);
      s4 = x6.fma(w2, s4);
      s5 = x7.fma(w2, s5);
      s6 = x8.fma(w2, s6);
      w0 = FloatVector.fromArray(S, wp, wo + 3 * cp + cb);
      w1 = FloatVector.fromArray(S, wp, wo + 4 * cp + cb);
      w2 = FloatVector.fromArray(S, wp, wo + 5 * cp + cb);
      x0 = left ? FloatVector.fromArray(S, a1, o1 - c) : zero;
      x1 = FloatVector.fromArray(S, a1, o1);
      x2 = FloatVector.fromArray(S, a1, o1 + c);
      x3 = FloatVector.fromArray(S, a1, o1 + 2 * c);
      x4 = FloatVector.fromArray(S, a1, o1 + 3 * c);
      x5 = FloatVector.fromArray(S, a1, o1 + 4 * c);
      x6 = FloatVector.fromArray(S, a1, o1 + 5 * c);
      x7 = FloatVector.fromArray(S, a1, o1 + 6 * c);
      x8 = right ? FloatVector.fromArray(S, a1, o1 + 7 * c) : zero;
      s0 = x0.fma(w0, s0);
      s1 = x1.fma(w0, s1);
      s2 = x2.fma(w0, s2);
      s3 = x3.fma(w0, s3);
      s4 = x4.fma(w0, s4);
      s5 = x5.fma(w0, s5);
      s6 = x6.fma(w0, s6);
      s0 = x1.fma(w1, s0);
      s1 = x2.fma(w1, s1);
      s2 = x3.fma(w1, s2);
      s3 = x4.fma(w1, s3);
      s4 = x5.fma(w1, s4);
      s5 = x6.fma(w1, s5);
      s6 = x7.fma(w1, s6);
      s0 = x2.fma(w2, s0);
      s1 = x3.fma(w2, s1);
      s2 = x4.fma(w2, s2);
      s3 = x5.fma(w2, s3);
      s4 = x6.fma(w2, s4);
      s5 = x7.fma(w2, s5);
      s6 = x8.fma(w2, s6);
      w0 = FloatVector.fromArray(S, wp, wo + 6 * cp + cb);
      w1 = FloatVector.fromArray(S, wp, wo + 7 * cp + cb);
      w2 = FloatVector.fromArray(S, wp, wo + 8 * cp + cb);
      x0 = left ? FloatVector.fromArray(S, a2, o2 - c) : zero;
      x1 = FloatVector.fromArray(S, a2, o2);
      x2 = FloatVector.fromArray(S, a2, o2 + c);
      x3 = FloatVector.fromArray(S, a2, o2 + 2 * c);
      x4 = FloatVector.fromArray(S, a2, o2 + 3 * c);
      x5 = FloatVector.fromArray(S, a2, o2 + 4 * c);
      x6 = FloatVector.fromArray(S, a2, o2 + 5 * c);
      x7 = FloatVector.fromArray(S, a2, o2 + 6 * c);
      x8 = right ? FloatVector.fromArray(S, a2, o2 + 7 * c) : zero;
      s0 = x0.fma(w0, s0);
      s1 = x1.fma(w0, s1);
      s2 = x2.fma(w0, s2);
      s3 = x3.fma(w0, s3);
      s4 = x4.fma(w0, s4);
      s5 = x5.fma(w0, s5);
      s6 = x6.fma(w0, s6);
      s0 = x1.fma(w1, s0);
      s1 = x2.fma(w1, s1);
      s2 = x3.fma(w1, s2);
      s3 = x4.fma(w1, s3);
      s4 = x5.fma(w1, s4);
      s5 = x6.fma(w1, s5);
      s6 = x7.fma(w1, s6);
      s0 = x2.fma(w2, s0);
      s1 = x3.fma(w2, s1);
      s2 = x4.fma(w2, s2);
      s3 = x5.fma(w2, s3);
      s4 = x6.fma(w2, s4);
      s5 = x7.fma(w2, s5);
      s6 = x8.fma(w2, s6);
      if (fused) {
        if (hasBias) {
          FloatVector bv = FloatVector.fromArray(S, fusedBias, bo + cb);
          s0 = s0.add(bv);
          s1 = s1.add(bv);
          s2 = s2.add(bv);
          s3 = s3.add(bv);
          s4 = s4.add(bv);
          s5 = s5.add(bv);
          s6 = s6.add(bv);
        }
        if (hasLo) {
          FloatVector lov = FloatVector.broadcast(S, lo);
          s0 = s0.blend(lov, s0.lt(loCmp));
          s1 = s1.blend(lov, s1.lt(loCmp));
          s2 = s2.blend(lov, s2.lt(loCmp));
          s3 = s3.blend(lov, s3.lt(loCmp));
          s4 = s4.blend(lov, s4.lt(loCmp));
          s5 = s5.blend(lov, s5.lt(loCmp));
          s6 = s6.blend(lov, s6.lt(loCmp));
        }
        if (hasHi) {
          FloatVector hiv = FloatVector.broadcast(S, hi);
          s0 = s0.blend(hiv, s0.compare(VectorOperators.GT, hiCmp));
          s1 = s1.blend(hiv, s1.compare(VectorOperators.GT, hiCmp));
          s2 = s2.blend(hiv, s2.compare(VectorOperators.GT, hiCmp));
          s3 = s3.blend(hiv, s3.compare(VectorOperators.GT, hiCmp));
          s4 = s4.blend(hiv, s4.compare(VectorOperators.GT, hiCmp));
          s5 = s5.blend(hiv, s5.compare(VectorOperators.GT, hiCmp));
          s6 = s6.blend(hiv, s6.compare(VectorOperators.GT, hiCmp));
        }
      }
      s0.intoArray(out, o);
      s1.intoArray(out, o + c);
      s2.intoArray(out, o + 2 * c);
      s3.intoArray(out, o + 3 * c);
      s4.intoArray(out, o + 4 * c);
      s5.intoArray(out, o + 5 * c);
      s6.intoArray(out, o + 6 * c);
      cb += L;
      if (cb == full) {
        cb = 0;
        ow += 7;
      }
    }
  }

  /**
   * {@link #strip7} at stride 2: seven outputs read the fifteen input columns {@code 2·ow − 1 …
   * 2·ow + 13} of each kernel row once (a zero vector for the first or last outside the image);
   * strips and channel blocks are one loop, as there.
   */
  private void strip7s2(float[] a0, int b0, float[] a1, int b1, float[] a2, int b2, float[] out, int outRow) {
    int c = GENERIC ? this.c : C;
    int cp = GENERIC ? this.cp : CP;
    int full = GENERIC ? this.full : FULL;
    int inCols = GENERIC ? this.inCols : W;
    int outCols = GENERIC ? this.outCols : OW;
    boolean fused = GENERIC ? this.fused : FUSED;
    boolean hasBias = GENERIC ? this.hasBias : HAS_BIAS;
    boolean hasLo = GENERIC ? this.hasLo : HAS_LO;
    boolean hasHi = GENERIC ? this.hasHi : HAS_HI;
    int ow = 0;
    int cb = 0;
    while (ow < outCols) {
      boolean left = ow > 0;
      int at = ow * c + cb;
      int from = 2 * ow * c + cb;
      int o0 = b0 + from;
      int o1 = b1 + from;
      int o2 = b2 + from;
      int o = outRow + at;
      boolean right = 2 * ow + 13 < inCols;
      FloatVector zero = FloatVector.zero(S);
      FloatVector s0 = zero;
      FloatVector s1 = zero;
      FloatVector s2 = zero;
      FloatVector s3 = zero;
      FloatVector s4 = zero;
      FloatVector s5 = zero;
      FloatVector s6 = zero;
      FloatVector w0 = FloatVector.fromArray(S, wp, wo + cb);
      FloatVector w1 = FloatVector.fromArray(S, wp, wo + cp + cb);
      FloatVector w2 = FloatVector.fromArray(S, wp, wo + 2 * cp + cb);
      FloatVector x0 = left ? FloatVector.fromArray(S, a0, o0 - c) : zero;
      FloatVector x1 = FloatVector.fromArray(S, a0, o0);
      FloatVector x2 = FloatVector.fromArray(S, a0, o0 + c);
      FloatVector x3 = FloatVector.fromArray(S, a0, o0 + 2 * c);
      FloatVector x4 = FloatVector.fromArray(S, a0, o0 + 3 * c);
      FloatVector x5 = FloatVector.fromArray(S, a0, o0 + 4 * c);
      FloatVector x6 = FloatVector.fromArray(S, a0, o0 + 5 * c);
      FloatVector x7 = FloatVector.fromArray(S, a0, o0 + 6 * c);
      FloatVector x8 = FloatVector.fromArray(S, a0, o0 + 7 * c);
      FloatVector x9 = FloatVector.fromArray(S, a0, o0 + 8 * c);
      FloatVector x10 = FloatVector.fromArray(S, a0, o0 + 9 * c);
      FloatVector x11 = FloatVector.fromArray(S, a0, o0 + 10 * c);
      FloatVector x12 = FloatVector.fromArray(S, a0, o0 + 11 * c);
      FloatVector x13 = FloatVector.fromArray(S, a0, o0 + 12 * c);
      FloatVector x14 = right ? FloatVector.fromArray(S, a0, o0 + 13 * c) : zero;
      s0 = x0.fma(w0, s0);
      s1 = x2.fma(w0, s1);
      s2 = x4.fma(w0, s2);
      s3 = x6.fma(w0, s3);
      s4 = x8.fma(w0, s4);
      s5 = x10.fma(w0, s5);
      s6 = x12.fma(w0, s6);
      s0 = x1.fma(w1, s0);
      s1 = x3.fma(w1, s1);
      s2 = x5.fma(w1, s2);
      s3 = x7.fma(w1, s3);
      s4 = x9.fma(w1, s4);
      s5 = x11.fma(w1, s5);
      s6 = x13.fma(w1, s6);
      s0 = x2.fma(w2, s0);
      s1 = x4.fma(w2, s1);
      s2 = x6.fma(w2, s2);
      s3 = x8.fma(w2, s3);
      s4 = x10.fma(w2, s4);
      s5 = x12.fma(w2, s5);
      s6 = x14.fma(w2, s6);
      w0 = FloatVector.fromArray(S, wp, wo + 3 * cp + cb);
      w1 = FloatVector.fromArray(S, wp, wo + 4 * cp + cb);
      w2 = FloatVector.fromArray(S, wp, wo + 5 * cp + cb);
      x0 = left ? FloatVector.fromArray(S, a1, o1 - c) : zero;
      x1 = FloatVector.fromArray(S, a1, o1);
      x2 = FloatVector.fromArray(S, a1, o1 + c);
      x3 = FloatVector.fromArray(S, a1, o1 + 2 * c);
      x4 = FloatVector.fromArray(S, a1, o1 + 3 * c);
      x5 = FloatVector.fromArray(S, a1, o1 + 4 * c);
      x6 = FloatVector.fromArray(S, a1, o1 + 5 * c);
      x7 = FloatVector.fromArray(S, a1, o1 + 6 * c);
      x8 = FloatVector.fromArray(S, a1, o1 + 7 * c);
      x9 = FloatVector.fromArray(S, a1, o1 + 8 * c);
      x10 = FloatVector.fromArray(S, a1, o1 + 9 * c);
      x11 = FloatVector.fromArray(S, a1, o1 + 10 * c);
      x12 = FloatVector.fromArray(S, a1, o1 + 11 * c);
      x13 = FloatVector.fromArray(S, a1, o1 + 12 * c);
      x14 = right ? FloatVector.fromArray(S, a1, o1 + 13 * c) : zero;
      s0 = x0.fma(w0, s0);
      s1 = x2.fma(w0, s1);
      s2 = x4.fma(w0, s2);
      s3 = x6.fma(w0, s3);
      s4 = x8.fma(w0, s4);
      s5 = x10.fma(w0, s5);
      s6 = x12.fma(w0, s6);
      s0 = x1.fma(w1, s0);
      s1 = x3.fma(w1, s1);
      s2 = x5.fma(w1, s2);
      s3 = x7.fma(w1, s3);
      s4 = x9.fma(w1, s4);
      s5 = x11.fma(w1, s5);
      s6 = x13.fma(w1, s6);
      s0 = x2.fma(w2, s0);
      s1 = x4.fma(w2, s1);
      s2 = x6.fma(w2, s2);
      s3 = x8.fma(w2, s3);
      s4 = x10.fma(w2, s4);
      s5 = x12.fma(w2, s5);
      s6 = x14.fma(w2, s6);
      w0 = FloatVector.fromArray(S, wp, wo + 6 * cp + cb);
      w1 = FloatVector.fromArray(S, wp, wo + 7 * cp + cb);
      w2 = FloatVector.fromArray(S, wp, wo + 8 * cp + cb);
      x0 = left ? FloatVector.fromArray(S, a2, o2 - c) : zero;
      x1 = FloatVector.fromArray(S, a2, o2);
      x2 = FloatVector.fromArray(S, a2, o2 + c);
      x3 = FloatVector.fromArray(S, a2, o2 + 2 * c);
      x4 = FloatVector.fromArray(S, a2, o2 + 3 * c);
      x5 = FloatVector.fromArray(S, a2, o2 + 4 * c);
      x6 = FloatVector.fromArray(S, a2, o2 + 5 * c);
      x7 = FloatVector.fromArray(S, a2, o2 + 6 * c);
      x8 = FloatVector.fromArray(S, a2, o2 + 7 * c);
      x9 = FloatVector.fromArray(S, a2, o2 + 8 * c);
      x10 = FloatVector.fromArray(S, a2, o2 + 9 * c);
      x11 = FloatVector.fromArray(S, a2, o2 + 10 * c);
      x12 = FloatVector.fromArray(S, a2, o2 + 11 * c);
      x13 = FloatVector.fromArray(S, a2, o2 + 12 * c);
      x14 = right ? FloatVector.fromArray(S, a2, o2 + 13 * c) : zero;
      s0 = x0.fma(w0, s0);
      s1 = x2.fma(w0, s1);
      s2 = x4.fma(w0, s2);
      s3 = x6.fma(w0, s3);
      s4 = x8.fma(w0, s4);
      s5 = x10.fma(w0, s5);
      s6 = x12.fma(w0, s6);
      s0 = x1.fma(w1, s0);
      s1 = x3.fma(w1, s1);
      s2 = x5.fma(w1, s2);
      s3 = x7.fma(w1, s3);
      s4 = x9.fma(w1, s4);
      s5 = x11.fma(w1, s5);
      s6 = x13.fma(w1, s6);
      s0 = x2.fma(w2, s0);
      s1 = x4.fma(w2, s1);
      s2 = x6.fma(w2, s2);
      s3 = x8.fma(w2, s3);
      s4 = x10.fma(w2, s4);
      s5 = x12.fma(w2, s5);
      s6 = x14.fma(w2, s6);
      if (fused) {
        if (hasBias) {
          FloatVector bv = FloatVector.fromArray(S, fusedBias, bo + cb);
          s0 = s0.add(bv);
          s1 = s1.add(bv);
          s2 = s2.add(bv);
          s3 = s3.add(bv);
          s4 = s4.add(bv);
          s5 = s5.add(bv);
          s6 = s6.add(bv);
        }
        if (hasLo) {
          FloatVector lov = FloatVector.broadcast(S, lo);
          s0 = s0.blend(lov, s0.lt(loCmp));
          s1 = s1.blend(lov, s1.lt(loCmp));
          s2 = s2.blend(lov, s2.lt(loCmp));
          s3 = s3.blend(lov, s3.lt(loCmp));
          s4 = s4.blend(lov, s4.lt(loCmp));
          s5 = s5.blend(lov, s5.lt(loCmp));
          s6 = s6.blend(lov, s6.lt(loCmp));
        }
        if (hasHi) {
          FloatVector hiv = FloatVector.broadcast(S, hi);
          s0 = s0.blend(hiv, s0.compare(VectorOperators.GT, hiCmp));
          s1 = s1.blend(hiv, s1.compare(VectorOperators.GT, hiCmp));
          s2 = s2.blend(hiv, s2.compare(VectorOperators.GT, hiCmp));
          s3 = s3.blend(hiv, s3.compare(VectorOperators.GT, hiCmp));
          s4 = s4.blend(hiv, s4.compare(VectorOperators.GT, hiCmp));
          s5 = s5.blend(hiv, s5.compare(VectorOperators.GT, hiCmp));
          s6 = s6.blend(hiv, s6.compare(VectorOperators.GT, hiCmp));
        }
      }
      s0.intoArray(out, o);
      s1.intoArray(out, o + c);
      s2.intoArray(out, o + 2 * c);
      s3.intoArray(out, o + 3 * c);
      s4.intoArray(out, o + 4 * c);
      s5.intoArray(out, o + 5 * c);
      s6.intoArray(out, o + 6 * c);
      cb += L;
      if (cb == full) {
        cb = 0;
        ow += 7;
      }
    }
  }

}
