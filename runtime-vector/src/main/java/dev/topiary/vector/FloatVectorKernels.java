package dev.topiary.vector;

import dev.topiary.internal.cpu.ArenaPlacement;
import dev.topiary.internal.cpu.Conv2DShape;
import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.quantization.FixedPoint;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link VectorKernels} on {@code jdk.incubator.vector}, with the platform's preferred float
 * species (16 floats with AVX-512, 8 with AVX2, 4 with NEON or SSE).
 */
final class FloatVectorKernels implements VectorKernels {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  private FloatVectorKernels() {}

  /**
   * The kernels clamp with {@code v.blend(lo, v.lt(lowerCmp(lo)))} and then
   * {@code v.blend(hi, v.compare(GT, upperCmp(hi)))}: {@code v.max(lo).min(hi)} bit for bit, in two
   * compares and two blends. The lane-wise {@code max} and {@code min} keep Java's rules for NaN and
   * for −0 against +0, which C2 spells out in several instructions per vector (measured: a bias add,
   * clamp and store of 4096 floats 0.65 µs that way, 0.40 µs this way; the epilogue was a third of
   * a depth-16 GEMM's time). NaN compares false and stays; the zero signs come out as
   * {@code Math.max} and {@code Math.min} give them because a +0 lower bound or a −0 upper bound is
   * compared against the smallest subnormal beyond it. Written out at every site rather than in a
   * helper: a helper C2 does not inline into a large micro-kernel makes it box every vector
   * ({@code VectorKernelAllocationTest} caught exactly that).
   *
   * <p>Returns the compare bound for the lower bound {@code lo}: below a +0 bound, −0 too is raised.
   */
  static float lowerCmp(float lo) {
    return Float.floatToRawIntBits(lo) == 0 ? Float.MIN_VALUE : lo;
  }

  /** The compare bound for the upper bound {@code hi} (see {@link #lowerCmp}): above a −0 bound, +0 too is lowered. */
  static float upperCmp(float hi) {
    return Float.floatToRawIntBits(hi) == 0x80000000 ? -Float.MIN_VALUE : hi;
  }

  /**
   * The kernels, or null when the preferred species is narrower than 4 floats (no SIMD the JIT can
   * use: the C2 kernels are as good).
   */
  static VectorKernels createIfUseful() {
    return S.length() >= 4 ? new FloatVectorKernels() : null;
  }

  @Override
  public String description() {
    return "jdk.incubator.vector, " + S.length() + " floats" + (hasInt8() ? ", int8" : "");
  }

  @Override
  public ArenaPlacement arenaPlacement() {
    return placement();
  }

  /**
   * This JVM's {@link HeapPlacement}, probed once, for arenas and for {@link AlignedFloats} (which
   * asks while the first model's kernels are built); {@link ArenaPlacement#UNKNOWN} where it cannot
   * be found.
   */
  static ArenaPlacement placement() {
    return Placement.VALUE;
  }

  private static final class Placement {
    static final ArenaPlacement VALUE = probe();

    private static ArenaPlacement probe() {
      try {
        return HeapPlacement.probe();
      } catch (RuntimeException | LinkageError e) {
        // No jdk.management in this runtime image, or a JVM that answers otherwise: the weights
        // and arenas are then allocated as plain arrays rather than a model failing to load.
        return ArenaPlacement.UNKNOWN;
      }
    }
  }

  @Override
  public int gemmRows() {
    return PackedPanels.MR;
  }

  @Override
  public int gemmScratchFloats() {
    // the kernels' rows of a partial panel, then its residual rows
    return 2 * PackedPanels.MAX_BLOCK * PackedPanels.NR;
  }

  @Override
  public PackedGemm gemm(int n, int k, float[] b, int off, int sN, int sK, float[] bias, Gemm.Act act, float lo,
      float hi, boolean residualFirst) {
    return new PackedPanels(n, k, b, off, sN, sK, bias, new Epilog(act, lo, hi), residualFirst);
  }

  @Override
  public Depthwise depthwise(Conv2DShape shape, float[] weights, float[] bias, Gemm.Act act, float lo, float hi) {
    return new VectorDepthwise(shape, weights, bias, new Epilog(act, lo, hi));
  }

  @Override
  public DirectConv directConv(Conv2DShape shape, int outChannels, float[] weights, float[] bias, Gemm.Act act,
      float lo, float hi) {
    return new VectorDirectConv(shape, outChannels, weights, bias, new Epilog(act, lo, hi));
  }

  /**
   * The int8 kernels narrow 32-bit lanes to a byte vector of the same lane count, and the smallest
   * byte vector is 64 bits: so 8 lanes at least (AVX2, AVX-512; not 128-bit NEON or SSE). Decided
   * from the float species, which has the int species' shape, without touching the int8 classes.
   */
  @Override
  public boolean hasInt8() {
    return S.length() >= 8;
  }

  @Override
  public int int8GemmScratchInts() {
    return Math.max(Int8Panels.MR * Int8Panels.NR, Int8SwarPanels.MR * Int8SwarPanels.NR);
  }

  @Override
  public Int8Gemm int8Gemm(int n, int k, byte[] w, int off, int[] bias, int[] mult, int[] shift, int zpOut, int lo,
      int hi) {
    Int8Requant rq = new Int8Requant(n, Int8Requant.pad(n), mult, shift, zpOut, lo, hi);
    return Int8SwarPanels.pays(k) ? new Int8SwarPanels(n, k, w, off, bias, rq) : new Int8Panels(n, k, w, off, bias, rq);
  }

  @Override
  public Int8DirectConv int8DirectConv(Conv2DShape shape, int outChannels, byte[] weights, int[] bias, int zpIn,
      int[] mult, int[] shift, int zpOut, int lo, int hi) {
    return new Int8FloatDirectConv(shape, outChannels, weights, bias, zpIn,
        new Int8Requant(outChannels, Int8Requant.pad(outChannels), mult, shift, zpOut, lo, hi));
  }

  @Override
  public Int8MaxPool int8MaxPool(Conv2DShape shape, int[][] rows, int[][] cols) {
    return new Int8VectorMaxPool(shape, rows, cols);
  }

  @Override
  public Int8Add int8Add(int za, FixedPoint.Multiplier ma, int zb, FixedPoint.Multiplier mb, FixedPoint.Multiplier my,
      int zy, int lo, int hi) {
    return new Int8VectorAdd(za, ma, zb, mb, my, zy, lo, hi);
  }

  @Override
  public Int8Depthwise int8Depthwise(Conv2DShape shape, byte[] weights, int[] bias, int zpIn, int[] mult,
      int[] shift, int zpOut, int lo, int hi) {
    return new Int8VectorDepthwise(shape, weights, bias, zpIn,
        new Int8Requant(shape.c, Int8Requant.pad(shape.c), mult, shift, zpOut, lo, hi));
  }

  @Override
  public void quantize(float[] in, int inOff, byte[] out, int outOff, int n, float scale, int zp) {
    Int8Quantize.run(in, inOff, out, outOff, n, scale, zp);
  }

  @Override
  public void int8ChannelSums(byte[] in, int off, int pixels, int c, int[] sums) {
    Int8ChannelSums.run(in, off, pixels, c, sums);
  }

  @Override
  public Elementwise binary(Binary op, Gemm.Act act, float lo, float hi) {
    return new VectorBinary(op, new Epilog(act, lo, hi));
  }

  @Override
  public Pool pool(boolean max, Conv2DShape shape, int[][] rows, int[][] cols, boolean includePad) {
    return new VectorPool(max, shape, rows, cols, includePad);
  }

  @Override
  public void meanColumns(float[] x, int xo, float[] y, int yo, int rows, int inner, int i0, int i1, int block) {
    VectorBinary.meanColumns(x, xo, y, yo, rows, inner, i0, i1, block);
  }

  /** The fused activation: a clamp (bounds at ±∞ skipped) or hard-swish. */
  static final class Epilog {
    final Gemm.Act act;
    final float lo;
    final float hi;
    /**
     * The clamp the kernels apply in registers: this CLAMP's bounds, or ±∞ (no change) for any
     * other activation; and their compare bounds ({@link #lowerCmp}, {@link #upperCmp}).
     */
    final float clampLo;
    final float clampHi;
    final float clampLoCmp;
    final float clampHiCmp;

    Epilog(Gemm.Act act, float lo, float hi) {
      this.act = act;
      this.lo = lo;
      this.hi = hi;
      this.clampLo = act == Gemm.Act.CLAMP ? lo : Float.NEGATIVE_INFINITY;
      this.clampHi = act == Gemm.Act.CLAMP ? hi : Float.POSITIVE_INFINITY;
      this.clampLoCmp = lowerCmp(clampLo);
      this.clampHiCmp = upperCmp(clampHi);
    }

    /** Whether the activation changes anything. */
    boolean active() {
      return act != Gemm.Act.NONE;
    }

    /**
     * Hard-swish in place over {@code a[off, off + n)}, as {@code x·min(max(x+3,0),6)·(1/6)} in the
     * reference's order: whole vectors (the {@code max} and {@code min} as compares and blends,
     * {@link FloatVectorKernels#lowerCmp}), then the last values one at a time with the same
     * operations ({@link #hardSwish(float)}, bit for bit). A pass over an array rather than a method on a
     * vector: no vector crosses a call, so nothing is boxed whether C2 inlines it or not (a method
     * taking a vector, once compiled on its own, can be too big to inline anywhere after; then every
     * kernel calling it boxes each vector, as {@code VectorKernelAllocationTest} caught).
     */
    static void hardSwish(float[] a, int off, int n) {
      int i = 0;
      int l = S.length();
      for (; i + l <= n; i += l) {
        FloatVector v = FloatVector.fromArray(S, a, off + i);
        FloatVector t = v.add(3f);
        t = t.blend(FloatVector.broadcast(S, 0f), t.lt(Float.MIN_VALUE));
        t = t.blend(FloatVector.broadcast(S, 6f), t.compare(VectorOperators.GT, 6f));
        v.mul(t).mul(1f / 6f).intoArray(a, off + i);
      }
      for (; i < n; i++) {
        a[off + i] = hardSwish(a[off + i]);
      }
    }

    /** Hard-swish on one value: {@code x·min(max(x+3,0),6)·(1/6)}, the reference's order. */
    static float hardSwish(float x) {
      return x * Math.min(Math.max(x + 3f, 0f), 6f) * (1f / 6f);
    }

    /** The activation on one value: the clamp as {@code Math.min(Math.max(v, lo), hi)}, or hard-swish. */
    float apply(float v) {
      switch (act) {
        case CLAMP:
          return Math.min(Math.max(v, lo), hi);
        case HARD_SWISH:
          return hardSwish(v);
        default:
          return v;
      }
    }
  }
}
