package dev.topiary.vector;

import dev.topiary.internal.cpu.Conv2DShape;
import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Int8 depthwise convolution (one output per channel) on NHWC tensors, vectorised across channels
 * like {@link VectorDepthwise}: one load takes {@code L} channels of one tap as bytes and widens
 * them to int lanes ({@code vpmovsxbd}), one multiply and one add apply that tap's weights (widened
 * at plan time, tap-major, zero-padded to whole vectors).
 *
 * <p><b>Zero point.</b> The reference sums {@code w·(x − zp_x)} over the taps inside the image.
 * For a pixel whose taps are all inside, that is {@code Σ w·x − zp_x·Σ w}: the accumulator starts
 * from {@code bias − zp_x·Σ w} (per channel, at plan time) and the loop multiplies the raw bytes.
 * Pixels at the image border sum {@code w·x} and {@code w} over their valid taps and subtract
 * {@code zp_x·Σ w} at the end. Both are the reference's int32 value (addition wraps alike).
 *
 * <p><b>Loops.</b> Per output row and channel block, interior pixels run four at a time (one weight
 * load per tap for four input loads, four independent chains); border pixels one at a time. The
 * int32 sums of the row go to the scratch ({@code OW × C} rounded up), and the row is then
 * requantized pixel by pixel ({@link Int8Requant#apply}, one call site). A last channel block
 * narrower than {@code L} loads its bytes under a mask. Images of 7 or 14 columns at stride 1 run
 * each row as strips of seven outputs per full channel block ({@link #strip7}; the widening is
 * written out there: through the {@code widen} helper, 27 calls in one method, MobileNetV2's small
 * depthwise layers took 1.4–1.5 ms, written out 0.55, and 0.87–0.90 before the strips).
 */
final class Int8VectorDepthwise implements VectorKernels.Int8Depthwise {
  private static final VectorSpecies<Integer> I = Int8Requant.I;
  private static final VectorSpecies<Byte> B = Int8Requant.B;
  private static final int L = I.length();

  private final Conv2DShape g;
  private final int cp;
  /** {@code wp[tap·cp + ch] = w[ch·taps + tap]}. */
  private final int[] wp;
  /** Bias padded to {@code cp} (zeros without one). */
  private final int[] bias;
  /** {@code bias − zp_x·Σ_taps w}, per channel: the start of an interior pixel's sum. */
  private final int[] full;
  private final int zp;
  private final Int8Requant rq;
  private final int owLo;
  private final int owHi;
  private final VectorMask<Byte> tail;
  /** Whether rows run as strips of seven ({@link #strip7}): 3×3, stride and dilation 1, SAME, 7 or 14 columns. */
  private final boolean strips;
  /** A row of the input's layout holding the zero point, read for kernel rows outside the image. */
  private final byte[] zpRow;

  Int8VectorDepthwise(Conv2DShape g, byte[] w, int[] bias, int zpIn, Int8Requant rq) {
    this.g = g;
    this.rq = rq;
    this.zp = zpIn;
    this.cp = (g.c + L - 1) / L * L;
    this.tail = g.c % L == 0 ? null : B.indexInRange(g.c / L * L, g.c);
    int taps = g.kh * g.kw;
    this.wp = new int[taps * cp];
    this.bias = new int[cp];
    this.full = new int[cp];
    for (int ch = 0; ch < g.c; ch++) {
      int sum = 0;
      for (int t = 0; t < taps; t++) {
        wp[t * cp + ch] = w[ch * taps + t];
        sum += w[ch * taps + t];
      }
      this.bias[ch] = bias == null ? 0 : bias[ch];
      this.full[ch] = this.bias[ch] - zpIn * sum;
    }
    int lo = (g.padLeft + g.sw - 1) / g.sw;
    int last = g.w - 1 + g.padLeft - (g.kw - 1) * g.dw;
    int hi = last < 0 ? 0 : last / g.sw + 1;
    this.owLo = Math.min(lo, g.ow);
    this.owHi = Math.max(owLo, Math.min(hi, g.ow));
    this.strips = g.kh == 3 && g.kw == 3 && g.sw == 1 && g.dw == 1 && g.padLeft == 1 && g.ow == g.w
        && (g.ow == 7 || g.ow == 14) && g.c >= L;
    this.zpRow = strips ? new byte[(g.w + 2) * g.c] : null;
    if (strips) {
      java.util.Arrays.fill(zpRow, (byte) zpIn);
    }
  }

  @Override
  public int scratchInts() {
    return g.ow * cp;
  }

  @Override
  public void compute(int[] s, byte[] in, int inOff, byte[] out, int outOff, int image, int oh0, int oh1) {
    int c = g.c;
    int rowStride = g.w * c;
    int imageBase = inOff + image * g.h * rowStride;
    for (int oh = oh0; oh < oh1; oh++) {
      int ih0 = oh * g.sh - g.padTop;
      int r0 = ih0 >= 0 ? 0 : Math.min(g.kh, (-ih0 + g.dh - 1) / g.dh);
      int r1 = ih0 + (g.kh - 1) * g.dh < g.h ? g.kh : Math.max(r0, (g.h - 1 - ih0) / g.dh + 1);
      if (ih0 >= g.h) {
        r1 = r0;
      }
      boolean rows = r0 == 0 && r1 == g.kh;
      int outRow = outOff + (image * g.oh + oh) * g.ow * c;
      if (strips) {
        byte[] a0 = r0 <= 0 && r1 > 0 ? in : zpRow;
        byte[] a1 = r0 <= 1 && r1 > 1 ? in : zpRow;
        byte[] a2 = r0 <= 2 && r1 > 2 ? in : zpRow;
        int b0 = a0 == in ? imageBase + ih0 * rowStride : c;
        int b1 = a1 == in ? imageBase + (ih0 + g.dh) * rowStride : c;
        int b2 = a2 == in ? imageBase + (ih0 + 2 * g.dh) * rowStride : c;
        int whole = c / L * L;
        strip7(a0, b0, a1, b1, a2, b2, whole, s);
        if (whole < c) {
          for (int ow = 0; ow < g.ow; ow++) {
            edge(in, imageBase, ih0, r0, r1, ow, whole, tail, s);
          }
        }
        rq.apply(s, 0, cp, g.ow, out, outRow, c, 0, c);
        continue;
      }
      for (int cb = 0; cb < c; cb += L) {
        VectorMask<Byte> mask = cb + L <= c ? null : tail;
        int ow = 0;
        if (rows) {
          for (; ow < owLo; ow++) {
            edge(in, imageBase, ih0, r0, r1, ow, cb, mask, s);
          }
          if (mask == null) {
            for (; ow + 4 <= owHi; ow += 4) {
              four(in, imageBase + ih0 * rowStride, ow, cb, s);
            }
          }
        }
        for (; ow < g.ow; ow++) {
          edge(in, imageBase, ih0, r0, r1, ow, cb, mask, s);
        }
      }
      rq.apply(s, 0, cp, g.ow, out, outRow, c, 0, c);
    }
  }

  /**
   * An output row of a 3×3 kernel at stride 1 as strips of seven outputs {@code [ow, ow + 7)}, for
   * each full channel block ({@code cb < whole}), into the accumulator rows {@code s}, as
   * {@code VectorDepthwise.strip7} (a loop of strips, not a call each): per kernel row the nine input columns {@code ow − 1 … ow + 7}
   * are widened once and shared by the seven outputs. A column or row outside the image reads the
   * zero point ({@link #zpRow}, a vector of it), so that with the sums started from
   * {@code bias − zp_x·Σw} its tap adds {@code w·zp_x} back: {@code w·(x − zp_x) = 0}, exactly.
   */
  private void strip7(byte[] a0, int b0, byte[] a1, int b1, byte[] a2, int b2, int whole, int[] s) {
    int c = g.c;
    for (int cb = 0; cb < whole; cb += L) {
      for (int ow = 0; ow < g.ow; ow += 7) {
        int at = ow * c + cb;
        int o0 = b0 + at;
        int o1 = b1 + at;
        int o2 = b2 + at;
        boolean left = ow > 0;
        boolean right = ow + 7 < g.w;
        IntVector z = IntVector.broadcast(I, zp);
        IntVector s0 = IntVector.fromArray(I, full, cb);
        IntVector s1 = s0;
        IntVector s2 = s0;
        IntVector s3 = s0;
        IntVector s4 = s0;
        IntVector s5 = s0;
        IntVector s6 = s0;
        IntVector w0 = IntVector.fromArray(I, wp, cb);
        IntVector w1 = IntVector.fromArray(I, wp, cp + cb);
        IntVector w2 = IntVector.fromArray(I, wp, 2 * cp + cb);
        IntVector x0 = left ? (IntVector) ByteVector.fromArray(B, a0, o0 - c).convertShape(VectorOperators.B2I, I, 0) : z;
        IntVector x1 = (IntVector) ByteVector.fromArray(B, a0, o0).convertShape(VectorOperators.B2I, I, 0);
        IntVector x2 = (IntVector) ByteVector.fromArray(B, a0, o0 + c).convertShape(VectorOperators.B2I, I, 0);
        IntVector x3 = (IntVector) ByteVector.fromArray(B, a0, o0 + 2 * c).convertShape(VectorOperators.B2I, I, 0);
        IntVector x4 = (IntVector) ByteVector.fromArray(B, a0, o0 + 3 * c).convertShape(VectorOperators.B2I, I, 0);
        IntVector x5 = (IntVector) ByteVector.fromArray(B, a0, o0 + 4 * c).convertShape(VectorOperators.B2I, I, 0);
        IntVector x6 = (IntVector) ByteVector.fromArray(B, a0, o0 + 5 * c).convertShape(VectorOperators.B2I, I, 0);
        IntVector x7 = (IntVector) ByteVector.fromArray(B, a0, o0 + 6 * c).convertShape(VectorOperators.B2I, I, 0);
        IntVector x8 = right ? (IntVector) ByteVector.fromArray(B, a0, o0 + 7 * c).convertShape(VectorOperators.B2I, I, 0) : z;
        s0 = x0.mul(w0).add(s0);
        s1 = x1.mul(w0).add(s1);
        s2 = x2.mul(w0).add(s2);
        s3 = x3.mul(w0).add(s3);
        s4 = x4.mul(w0).add(s4);
        s5 = x5.mul(w0).add(s5);
        s6 = x6.mul(w0).add(s6);
        s0 = x1.mul(w1).add(s0);
        s1 = x2.mul(w1).add(s1);
        s2 = x3.mul(w1).add(s2);
        s3 = x4.mul(w1).add(s3);
        s4 = x5.mul(w1).add(s4);
        s5 = x6.mul(w1).add(s5);
        s6 = x7.mul(w1).add(s6);
        s0 = x2.mul(w2).add(s0);
        s1 = x3.mul(w2).add(s1);
        s2 = x4.mul(w2).add(s2);
        s3 = x5.mul(w2).add(s3);
        s4 = x6.mul(w2).add(s4);
        s5 = x7.mul(w2).add(s5);
        s6 = x8.mul(w2).add(s6);
        w0 = IntVector.fromArray(I, wp, 3 * cp + cb);
        w1 = IntVector.fromArray(I, wp, 4 * cp + cb);
        w2 = IntVector.fromArray(I, wp, 5 * cp + cb);
        x0 = left ? (IntVector) ByteVector.fromArray(B, a1, o1 - c).convertShape(VectorOperators.B2I, I, 0) : z;
        x1 = (IntVector) ByteVector.fromArray(B, a1, o1).convertShape(VectorOperators.B2I, I, 0);
        x2 = (IntVector) ByteVector.fromArray(B, a1, o1 + c).convertShape(VectorOperators.B2I, I, 0);
        x3 = (IntVector) ByteVector.fromArray(B, a1, o1 + 2 * c).convertShape(VectorOperators.B2I, I, 0);
        x4 = (IntVector) ByteVector.fromArray(B, a1, o1 + 3 * c).convertShape(VectorOperators.B2I, I, 0);
        x5 = (IntVector) ByteVector.fromArray(B, a1, o1 + 4 * c).convertShape(VectorOperators.B2I, I, 0);
        x6 = (IntVector) ByteVector.fromArray(B, a1, o1 + 5 * c).convertShape(VectorOperators.B2I, I, 0);
        x7 = (IntVector) ByteVector.fromArray(B, a1, o1 + 6 * c).convertShape(VectorOperators.B2I, I, 0);
        x8 = right ? (IntVector) ByteVector.fromArray(B, a1, o1 + 7 * c).convertShape(VectorOperators.B2I, I, 0) : z;
        s0 = x0.mul(w0).add(s0);
        s1 = x1.mul(w0).add(s1);
        s2 = x2.mul(w0).add(s2);
        s3 = x3.mul(w0).add(s3);
        s4 = x4.mul(w0).add(s4);
        s5 = x5.mul(w0).add(s5);
        s6 = x6.mul(w0).add(s6);
        s0 = x1.mul(w1).add(s0);
        s1 = x2.mul(w1).add(s1);
        s2 = x3.mul(w1).add(s2);
        s3 = x4.mul(w1).add(s3);
        s4 = x5.mul(w1).add(s4);
        s5 = x6.mul(w1).add(s5);
        s6 = x7.mul(w1).add(s6);
        s0 = x2.mul(w2).add(s0);
        s1 = x3.mul(w2).add(s1);
        s2 = x4.mul(w2).add(s2);
        s3 = x5.mul(w2).add(s3);
        s4 = x6.mul(w2).add(s4);
        s5 = x7.mul(w2).add(s5);
        s6 = x8.mul(w2).add(s6);
        w0 = IntVector.fromArray(I, wp, 6 * cp + cb);
        w1 = IntVector.fromArray(I, wp, 7 * cp + cb);
        w2 = IntVector.fromArray(I, wp, 8 * cp + cb);
        x0 = left ? (IntVector) ByteVector.fromArray(B, a2, o2 - c).convertShape(VectorOperators.B2I, I, 0) : z;
        x1 = (IntVector) ByteVector.fromArray(B, a2, o2).convertShape(VectorOperators.B2I, I, 0);
        x2 = (IntVector) ByteVector.fromArray(B, a2, o2 + c).convertShape(VectorOperators.B2I, I, 0);
        x3 = (IntVector) ByteVector.fromArray(B, a2, o2 + 2 * c).convertShape(VectorOperators.B2I, I, 0);
        x4 = (IntVector) ByteVector.fromArray(B, a2, o2 + 3 * c).convertShape(VectorOperators.B2I, I, 0);
        x5 = (IntVector) ByteVector.fromArray(B, a2, o2 + 4 * c).convertShape(VectorOperators.B2I, I, 0);
        x6 = (IntVector) ByteVector.fromArray(B, a2, o2 + 5 * c).convertShape(VectorOperators.B2I, I, 0);
        x7 = (IntVector) ByteVector.fromArray(B, a2, o2 + 6 * c).convertShape(VectorOperators.B2I, I, 0);
        x8 = right ? (IntVector) ByteVector.fromArray(B, a2, o2 + 7 * c).convertShape(VectorOperators.B2I, I, 0) : z;
        s0 = x0.mul(w0).add(s0);
        s1 = x1.mul(w0).add(s1);
        s2 = x2.mul(w0).add(s2);
        s3 = x3.mul(w0).add(s3);
        s4 = x4.mul(w0).add(s4);
        s5 = x5.mul(w0).add(s5);
        s6 = x6.mul(w0).add(s6);
        s0 = x1.mul(w1).add(s0);
        s1 = x2.mul(w1).add(s1);
        s2 = x3.mul(w1).add(s2);
        s3 = x4.mul(w1).add(s3);
        s4 = x5.mul(w1).add(s4);
        s5 = x6.mul(w1).add(s5);
        s6 = x7.mul(w1).add(s6);
        s0 = x2.mul(w2).add(s0);
        s1 = x3.mul(w2).add(s1);
        s2 = x4.mul(w2).add(s2);
        s3 = x5.mul(w2).add(s3);
        s4 = x6.mul(w2).add(s4);
        s5 = x7.mul(w2).add(s5);
        s6 = x8.mul(w2).add(s6);
        int o = ow * cp + cb;
        s0.intoArray(s, o);
        s1.intoArray(s, o + cp);
        s2.intoArray(s, o + 2 * cp);
        s3.intoArray(s, o + 3 * cp);
        s4.intoArray(s, o + 4 * cp);
        s5.intoArray(s, o + 5 * cp);
        s6.intoArray(s, o + 6 * cp);
      }
    }
  }

  /** Four adjacent interior output pixels from {@code ow}, all taps inside the image, a full channel block. */
  private void four(byte[] in, int top, int ow, int cb, int[] s) {
    int c = g.c;
    int step = g.sw * c;
    IntVector a0 = IntVector.fromArray(I, full, cb);
    IntVector a1 = a0;
    IntVector a2 = a0;
    IntVector a3 = a0;
    for (int r = 0; r < g.kh; r++) {
      int src = top + (r * g.dh * g.w + ow * g.sw - g.padLeft) * c + cb;
      int wt = r * g.kw * cp + cb;
      for (int q = 0; q < g.kw; q++, src += g.dw * c, wt += cp) {
        IntVector wv = IntVector.fromArray(I, wp, wt);
        a0 = widen(in, src).mul(wv).add(a0);
        a1 = widen(in, src + step).mul(wv).add(a1);
        a2 = widen(in, src + 2 * step).mul(wv).add(a2);
        a3 = widen(in, src + 3 * step).mul(wv).add(a3);
      }
    }
    int o = ow * cp + cb;
    a0.intoArray(s, o);
    a1.intoArray(s, o + cp);
    a2.intoArray(s, o + 2 * cp);
    a3.intoArray(s, o + 3 * cp);
  }

  private static IntVector widen(byte[] in, int at) {
    return (IntVector) ByteVector.fromArray(B, in, at).convertShape(VectorOperators.B2I, I, 0);
  }

  /** One output pixel with its taps clipped to the image; {@code mask} null for a full channel block. */
  private void edge(byte[] in, int imageBase, int ih0, int r0, int r1, int ow, int cb, VectorMask<Byte> mask,
      int[] s) {
    int c = g.c;
    int iw0 = ow * g.sw - g.padLeft;
    int q0 = iw0 >= 0 ? 0 : Math.min(g.kw, (-iw0 + g.dw - 1) / g.dw);
    int q1 = iw0 >= g.w ? q0 : (iw0 + (g.kw - 1) * g.dw < g.w ? g.kw : Math.max(q0, (g.w - 1 - iw0) / g.dw + 1));
    IntVector acc = IntVector.fromArray(I, bias, cb);
    IntVector wsum = IntVector.zero(I);
    for (int r = r0; r < r1; r++) {
      int row = imageBase + (ih0 + r * g.dh) * g.w * c + cb;
      for (int q = q0; q < q1; q++) {
        int src = row + (iw0 + q * g.dw) * c;
        ByteVector xb = mask == null ? ByteVector.fromArray(B, in, src) : ByteVector.fromArray(B, in, src, mask);
        IntVector wv = IntVector.fromArray(I, wp, (r * g.kw + q) * cp + cb);
        acc = ((IntVector) xb.convertShape(VectorOperators.B2I, I, 0)).mul(wv).add(acc);
        wsum = wsum.add(wv);
      }
    }
    acc.sub(wsum.mul(zp)).intoArray(s, ow * cp + cb);
  }
}
