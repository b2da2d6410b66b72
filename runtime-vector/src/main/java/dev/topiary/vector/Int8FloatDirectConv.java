package dev.topiary.vector;

import dev.topiary.internal.cpu.Conv2DShape;
import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * An ungrouped int8 convolution with few input channels (a network stem) on the float direct
 * convolution ({@link VectorDirectConv}), exact: the int32 sums of the reference, requantized by
 * {@link Int8Requant}, so the bytes are the reference's.
 *
 * <p><b>Why floats.</b> The int8 GEMM gathers im2col rows and pays a requantization per output
 * either way, but its micro-kernels are no faster than the float ones (the Vector API has no
 * 8- or 16-bit dot product), and for a stem of depth 27 the gather costs as much as the products:
 * MobileNetV2's int8 stem ran at 13 G multiply-adds/s against the float direct convolution's 34.
 * Each product {@code w·(x − zp_x)} is an integer of magnitude at most 128·255 < 2¹⁵, so while the
 * depth {@code KH·KW·C} is at most {@link VectorKernels#INT8_DIRECT_MAX_DEPTH} every partial sum
 * is an integer below 2²⁴ in magnitude: float represents it exactly and each fused multiply-add
 * rounds nothing. The sum is then converted to int, the int32 bias added, and requantized.
 *
 * <p><b>Per output row.</b> The input rows its taps reach are widened to {@code x − zp_x} floats in
 * the worker's float scratch (a tap in the padding then adds nothing, as {@code w·(zp_x − zp_x)}
 * does in the reference), the float kernel computes the row's sums next to them, and they are
 * converted to ints with the bias in the int scratch and requantized from there into the output.
 */
final class Int8FloatDirectConv implements VectorKernels.Int8DirectConv {
  private static final VectorSpecies<Float> S = FloatVectorKernels.S;
  private static final VectorSpecies<Integer> I = Int8Requant.I;
  private static final int L = S.length();
  /** A byte vector with one lane per float lane. */
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 8));

  private final Conv2DShape g;
  private final int o;
  private final VectorDirectConv conv;
  private final Int8Requant rq;
  /** The int32 bias padded with zeros to whole vectors. */
  private final int[] bias;
  private final int zpIn;
  /** Input rows one output row's taps span: {@code (KH − 1)·DH + 1}. */
  private final int spanRows;
  /** Where a row's float sums start in the float scratch: after the widened input rows. */
  private final int sumsAt;

  Int8FloatDirectConv(Conv2DShape g, int o, byte[] w, int[] bias, int zpIn, Int8Requant rq) {
    int depth = g.kh * g.kw * g.c;
    if (depth > VectorKernels.INT8_DIRECT_MAX_DEPTH) {
      throw new IllegalArgumentException(
          "depth " + depth + " over " + VectorKernels.INT8_DIRECT_MAX_DEPTH + ": float sums would round");
    }
    this.g = g;
    this.o = o;
    this.rq = rq;
    this.zpIn = zpIn;
    float[] wf = new float[o * depth];
    for (int i = 0; i < wf.length; i++) {
      wf[i] = w[i];
    }
    this.conv = new VectorDirectConv(g, o, wf, null, new FloatVectorKernels.Epilog(Gemm.Act.NONE, 0f, 0f));
    this.bias = new int[(o + L - 1) / L * L];
    if (bias != null) {
      System.arraycopy(bias, 0, this.bias, 0, o);
    }
    this.spanRows = (g.kh - 1) * g.dh + 1;
    this.sumsAt = spanRows * g.w * g.c;
  }

  @Override
  public int scratchFloats() {
    return sumsAt + g.ow * o + L;
  }

  @Override
  public int scratchInts() {
    return g.ow * o + L;
  }

  @Override
  public void compute(float[] fs, int[] is, byte[] in, int inOff, byte[] out, int outOff, int image, int oh0,
      int oh1) {
    int rowLen = g.w * g.c;
    int imageBase = inOff + image * g.h * rowLen;
    for (int oh = oh0; oh < oh1; oh++) {
      int ih0 = oh * g.sh - g.padTop;
      int from = Math.max(0, ih0);
      int to = Math.min(g.h, ih0 + spanRows);
      for (int ih = from; ih < to; ih++) {
        widen(in, imageBase + ih * rowLen, fs, (ih - ih0) * rowLen, rowLen);
      }
      // The float kernel addresses input row ih of this image at (ih − ih0)·rowLen and this output
      // row at sumsAt: offsets shifted by what its own arithmetic adds.
      conv.compute(fs, -(image * g.h + ih0) * rowLen, fs, sumsAt - (image * g.oh + oh) * g.ow * o, image, oh, oh + 1);
      toInts(fs, is);
      rq.apply(is, 0, o, g.ow, out, outOff + (image * g.oh + oh) * g.ow * o, o, 0, o);
    }
  }

  /** {@code f[at + t] = v[from + t] − zp_x} for {@code t < count}. */
  private void widen(byte[] v, int from, float[] f, int at, int count) {
    FloatVector zp = FloatVector.broadcast(S, zpIn);
    int t = 0;
    for (; t + L <= count; t += L) {
      FloatVector x = (FloatVector) ByteVector.fromArray(B, v, from + t).convertShape(VectorOperators.B2F, S, 0);
      x.sub(zp).intoArray(f, at + t);
    }
    for (; t < count; t++) {
      f[at + t] = v[from + t] - zpIn;
    }
  }

  /**
   * The row's float sums as ints plus the bias, pixel by pixel, a channel vector at a time: a last
   * partial vector spills into the next pixel's first channels, which that pixel then overwrites
   * (and past the last pixel into the scratch's spare vector).
   */
  private void toInts(float[] fs, int[] is) {
    for (int px = 0; px < g.ow; px++) {
      int base = px * o;
      for (int j = 0; j < o; j += L) {
        IntVector v = (IntVector) FloatVector.fromArray(S, fs, sumsAt + base + j).convert(VectorOperators.F2I, 0);
        v.add(IntVector.fromArray(I, bias, j)).intoArray(is, base + j);
      }
    }
  }
}
