package dev.topiary.internal.cpu;

import dev.topiary.quantization.FixedPoint;

/**
 * Fast fp32 and int8 kernels supplied by an optional module: the service interface between the runtime
 * (Java 11, Android) and {@code topiary-runtime-vector} (Java 21+, {@code jdk.incubator.vector}).
 * The runtime keeps the tiling, the im2col gathers and the thread split; an implementation only
 * computes tiles, so every kernel it runs has the same partitioning contract as the C2 kernels:
 * each output value is computed by the same operations whatever the tile, so results do not depend
 * on the thread count.
 *
 * <p>Discovered once per class loader by {@link VectorSupport} through {@link java.util.ServiceLoader}
 * ({@link Provider}); chosen at plan time when {@code Planner.Options.vectorKernels} is set (the
 * default) and a provider reports itself usable. The fp32 kernels sum products with fused
 * multiply-adds in ascending depth, so they differ from the reference kernels by rounding only
 * (docs/BENCHMARKS.md states the tolerance the differential tests use); the int8 kernels compute
 * the reference's int32 sums and fixed-point requantization, so their bytes are the reference's.
 */
public interface VectorKernels {
  /** What runs, for tools and messages: e.g. {@code "jdk.incubator.vector, 16 floats"}. */
  String description();

  /**
   * Where this JVM puts large arrays ({@link ArenaPlacement}), for sessions bound to these kernels
   * to place their arenas on cache lines; {@link ArenaPlacement#UNKNOWN} by default. May take some
   * milliseconds the first time: callers cache it ({@link VectorSupport#arenaPlacement()}).
   */
  default ArenaPlacement arenaPlacement() {
    return ArenaPlacement.UNKNOWN;
  }

  /**
   * Rows of A the GEMM micro-kernel computes at once. Callers make row tiles multiples of it where
   * they can: the rows left over run one at a time.
   */
  int gemmRows();

  /** Floats of per-worker scratch {@link PackedGemm#compute} needs, from index 0. */
  int gemmScratchFloats();

  /**
   * Prepares {@code C = act(A·B + bias)} for a constant {@code k × n} matrix B given as
   * {@code B[kk][j] = b[off + j·sN + kk·sK]} (weights {@code [N][K]}: {@code sN = K, sK = 1};
   * a row-major matrix: {@code sN = 1, sK = ldb}). B is packed now, at plan time.
   *
   * @param bias {@code n} values, or null
   */
  default PackedGemm gemm(int n, int k, float[] b, int off, int sN, int sK, float[] bias, Gemm.Act act, float lo,
      float hi) {
    return gemm(n, k, b, off, sN, sK, bias, act, lo, hi, false);
  }

  /**
   * As {@link #gemm(int, int, float[], int, int, int, float[], Gemm.Act, float, float)}, for a
   * product that may take a residual R at {@link PackedGemm#compute(float[], float[], int, int,
   * float[], int, int, int, int, int, float[], int) compute}: {@code C = act(A·B + bias + R)} when
   * {@code residualFirst}, {@code C = act(A·B + bias) + R} otherwise (a convolution followed by
   * the Add of a residual connection, fused by the planner).
   */
  PackedGemm gemm(int n, int k, float[] b, int off, int sN, int sK, float[] bias, Gemm.Act act, float lo, float hi,
      boolean residualFirst);

  /**
   * Prepares a depthwise convolution with one output per input channel ({@code O == C}) on NHWC
   * tensors: weights {@code [C, KH, KW, 1]}, optional bias {@code [C]}.
   */
  Depthwise depthwise(Conv2DShape shape, float[] weights, float[] bias, Gemm.Act act, float lo, float hi);

  /**
   * Prepares an ungrouped convolution computed straight from the NHWC input, without im2col or a
   * packed GEMM: for inputs with few channels (network stems), where the depth {@code KH·KW·C} is
   * too small for the gather and packing to pay off. Weights {@code [O, KH, KW, C]}, optional bias
   * {@code [O]}; each output is {@code act(Σ x·w + bias)} summed in ascending {@code (kh, kw, c)},
   * the order of {@link #gemm}, so the two agree to rounding.
   */
  DirectConv directConv(Conv2DShape shape, int outChannels, float[] weights, float[] bias, Gemm.Act act, float lo,
      float hi);

  /**
   * Whether the int8 methods below may be called ({@link #int8Gemm}, {@link #int8Depthwise},
   * {@link #quantize}): false where the vectors are too narrow for them (fewer than 8 int lanes).
   */
  boolean hasInt8();

  /** Ints of per-worker scratch {@link Int8Gemm#compute} needs, from index 0. */
  int int8GemmScratchInts();

  /**
   * Prepares {@code C = requant(A·B + bias)} for int8: A {@code m × k} int8 values, as bytes or
   * widened to ints (raw: the zero point is the caller's business, see below), a constant
   * int8 matrix {@code B[kk][j] = w[off + j·k + kk]} (weights {@code [N][K]}), int32 sums that wrap
   * like the reference's, and per column {@code j} the requantization
   * {@code clamp(FixedPoint.multiplyByQuantizedMultiplier(sum, mult[j], shift[j]) + zpOut, lo, hi)}
   * to an int8 C. The caller folds {@code −zp_x·Σ_k w[j][k]} into {@code bias} and fills padded
   * taps of A with {@code zp_x}, so that {@code Σ w·x + bias} is the reference's int32 sum.
   * Results are bit-identical to the reference int8 kernels.
   *
   * @param bias {@code n} values, or null
   */
  Int8Gemm int8Gemm(int n, int k, byte[] w, int off, int[] bias, int[] mult, int[] shift, int zpOut, int lo, int hi);

  /**
   * Prepares an ungrouped int8 convolution with few input channels (a network stem) on the float
   * direct convolution of {@link #directConv}: weights {@code [O, KH, KW, C]}, optional int32 bias
   * {@code [O]}, the input's zero point, and per channel the requantization of {@link #int8Gemm}.
   * The sums of {@code w·(x − zp_x)} are exact in float while the depth {@code KH·KW·C} is at most
   * {@link #INT8_DIRECT_MAX_DEPTH}; results are bit-identical to the reference int8 kernels.
   *
   * @throws IllegalArgumentException for a deeper kernel
   */
  Int8DirectConv int8DirectConv(Conv2DShape shape, int outChannels, byte[] weights, int[] bias, int zpIn, int[] mult,
      int[] shift, int zpOut, int lo, int hi);

  /** The deepest kernel {@link #int8DirectConv} takes: {@code 514·255·128 ≤ 2^24}. */
  int INT8_DIRECT_MAX_DEPTH = (1 << 24) / (255 * 128);

  /**
   * Prepares TFLite's int8 Add ({@code reference_integer_ops::AddElementwise}) of two tensors of
   * the same shape: per element
   * {@code clamp(MBQM(MBQM((a − za)·2^20, ma) + MBQM((b − zb)·2^20, mb), my) + zy, lo, hi)}, every
   * multiplier below one (shift ≤ 0). Bit-identical to {@code FixedPoint.multiplyByQuantizedMultiplier}
   * applied per element.
   */
  Int8Add int8Add(int za, FixedPoint.Multiplier ma, int zb, FixedPoint.Multiplier mb, FixedPoint.Multiplier my,
      int zy, int lo, int hi);

  /**
   * Prepares an int8 depthwise convolution with one output per input channel ({@code O == C}) on
   * NHWC tensors: weights {@code [C, KH, KW, 1]}, optional int32 bias {@code [C]}, the input's zero
   * point, and per channel the requantization of {@link #int8Gemm}. A tap in the padding
   * contributes 0, as in the reference.
   */
  Int8Depthwise int8Depthwise(Conv2DShape shape, byte[] weights, int[] bias, int zpIn, int[] mult, int[] shift,
      int zpOut, int lo, int hi);

  /**
   * Quantizes {@code n} floats to int8 exactly as {@code QuantParams.quantize(x, 0, −128, 127)}:
   * {@code clamp(round_half_away(x / scale) + zp, −128, 127)}, NaN to {@code zp}.
   */
  void quantize(float[] in, int inOff, byte[] out, int outOff, int n, float scale, int zp);

  /**
   * Per-channel sums of {@code pixels} int8 NHWC pixels of {@code c} channels from
   * {@code in[off]}: {@code sums[ch] = Σ_p in[off + p·c + ch]} (exact while
   * {@code pixels < 2^24}).
   */
  void int8ChannelSums(byte[] in, int off, int pixels, int c, int[] sums);

  /** A GEMM with B packed into column panels. */
  interface PackedGemm {
    /** Number of column panels; tiles split the columns at panel boundaries. */
    int panels();

    /**
     * Computes {@code rows} rows of C for panels {@code [p0, p1)}: row {@code i} of A at
     * {@code a[aOff + i·lda]} (columns contiguous), of C at {@code c[cOff + i·ldc]} (column 0).
     * Writes only the columns of those panels; allocates nothing; uses
     * {@code s[0, gemmScratchFloats())}.
     */
    default void compute(float[] s, float[] a, int aOff, int lda, float[] c, int cOff, int ldc, int rows, int p0,
        int p1) {
      compute(s, a, aOff, lda, c, cOff, ldc, rows, p0, p1, null, 0);
    }

    /**
     * As above, adding the residual R, row {@code i} at {@code r[rOff + i·ldc]} (C's layout), in
     * the order the GEMM was made with; {@code r} null: none. R may not overlap C.
     */
    void compute(float[] s, float[] a, int aOff, int lda, float[] c, int cOff, int ldc, int rows, int p0, int p1,
        float[] r, int rOff);
  }

  /** A prepared depthwise convolution. */
  interface Depthwise {
    /**
     * Computes output rows {@code [oh0, oh1)} of image {@code image}: input {@code [N,H,W,C]} at
     * {@code in[inOff]}, output {@code [N,OH,OW,C]} at {@code out[outOff]}.
     */
    void compute(float[] in, int inOff, float[] out, int outOff, int image, int oh0, int oh1);
  }

  /** A prepared direct convolution. */
  interface DirectConv {
    /**
     * Computes output rows {@code [oh0, oh1)} of image {@code image}: input {@code [N,H,W,C]} at
     * {@code in[inOff]}, output {@code [N,OH,OW,O]} at {@code out[outOff]}. Allocates nothing.
     */
    void compute(float[] in, int inOff, float[] out, int outOff, int image, int oh0, int oh1);
  }

  /** An int8 GEMM with B widened and packed into column panels. */
  interface Int8Gemm {
    /** Number of column panels; tiles split the columns at panel boundaries. */
    int panels();

    /** Longs of per-worker scratch {@link #compute} needs for {@code rows} rows of A (0: none). */
    int scratchLongs(int rows);

    /**
     * Whether {@link #compute} repacks A's rows once per call for all its panels: then a pointwise
     * convolution hands over its int8 input in place whatever the number of panels (otherwise only
     * with one panel, where an int copy of the rows would cost as much as the product).
     */
    boolean packsRows();

    /**
     * Computes {@code rows} rows of C for panels {@code [p0, p1)}: row {@code i} of A at
     * {@code a[aOff + i·lda]}, of C at {@code c[cOff + i·ldc]} (column 0). Writes only the columns
     * of those panels; allocates nothing; uses {@code s[0, int8GemmScratchInts())} ({@code a} may
     * be {@code s}, above that range) and {@code ls[0, scratchLongs(rows))}.
     */
    void compute(int[] s, long[] ls, int[] a, int aOff, int lda, byte[] c, int cOff, int ldc, int rows, int p0,
        int p1);

    /** As the other {@code compute}, with A the raw int8 values (no padding to fill: a pointwise convolution). */
    void compute(int[] s, long[] ls, byte[] a, int aOff, int lda, byte[] c, int cOff, int ldc, int rows, int p0,
        int p1);
  }

  /** A prepared int8 Add of two tensors of the same shape. */
  interface Int8Add {
    /** {@code y[yo + i] = a[ao + i] ⊕ b[bo + i]} for {@code i < count}. */
    void compute(byte[] a, int ao, byte[] b, int bo, byte[] y, int yo, int count);
  }

  /** A prepared int8 direct convolution. */
  interface Int8DirectConv {
    /** Floats of per-worker scratch {@link #compute} needs, from index 0. */
    int scratchFloats();

    /** Ints of per-worker scratch {@link #compute} needs, from index 0. */
    int scratchInts();

    /**
     * Computes output rows {@code [oh0, oh1)} of image {@code image}: input {@code [N,H,W,C]} at
     * {@code in[inOff]}, output {@code [N,OH,OW,O]} at {@code out[outOff]}. Allocates nothing.
     */
    void compute(float[] fs, int[] is, byte[] in, int inOff, byte[] out, int outOff, int image, int oh0, int oh1);
  }

  /** A prepared int8 depthwise convolution. */
  interface Int8Depthwise {
    /** Ints of per-worker scratch {@link #compute} needs, from index 0. */
    int scratchInts();

    /**
     * Computes output rows {@code [oh0, oh1)} of image {@code image}: input {@code [N,H,W,C]} at
     * {@code in[inOff]}, output {@code [N,OH,OW,C]} at {@code out[outOff]}.
     */
    void compute(int[] s, byte[] in, int inOff, byte[] out, int outOff, int image, int oh0, int oh1);
  }

  /**
   * The service type listed in {@code META-INF/services}. {@link #create} runs once, at the first
   * plan; it returns null when the implementation cannot run in this JVM (the incubator module is
   * not loaded, or vectors are too narrow to pay off), and must not fail.
   */
  interface Provider {
    VectorKernels create();
  }

  /** The elementwise operations of {@link #binary}. */
  enum Binary {
    ADD, SUB, MUL, DIV
  }

  /**
   * Prepares {@code y = act(a op b)} elementwise. Needed because C2 leaves scalar any loop over
   * two float arrays at different offsets (it cannot rule out that they overlap), and tensors in
   * the arena always are: the plain loops run 1 float per cycle or so.
   */
  Elementwise binary(Binary op, Gemm.Act act, float lo, float hi);

  /**
   * {@code y[yo + i] = Σ_r x[xo + r·inner + i] / rows} for {@code i} in {@code [i0, i1)}, summed
   * in float as two levels: blocks of {@code block} rows each summed from zero in row order, the
   * block sums added in order to an accumulator that starts at zero, then one division. Per lane
   * exactly the operations of the plain loop (so the same bits).
   */
  void meanColumns(float[] x, int xo, float[] y, int yo, int rows, int inner, int i0, int i1, int block);

  /**
   * Prepares a MaxPool ({@code max}) or AvgPool over NHWC tensors of geometry {@code shape}:
   * window rows of output row {@code oh} are taps {@code [rows[0][oh], rows[1][oh])}, columns of
   * output column {@code ow} taps {@code [cols[0][ow], cols[1][ow])} (those inside the input);
   * an AvgPool divides by {@code rows[2][oh]·cols[2][ow]} when {@code includePad}, else by the
   * number of taps. Taps in row-major order from {@code −∞} (max, {@code Math.max} semantics) or
   * 0 (sum), then one division: the operations of the plain loops, so the same bits.
   */
  Pool pool(boolean max, Conv2DShape shape, int[][] rows, int[][] cols, boolean includePad);

  /** A prepared pooling. */
  interface Pool {
    /**
     * Output rows {@code [r0, r1)}, row {@code r} being image {@code r / OH}, output row
     * {@code r % OH}: input {@code [N,H,W,C]} at {@code x[xo]}, output {@code [N,OH,OW,C]} at
     * {@code y[yo]}.
     */
    void compute(float[] x, int xo, float[] y, int yo, int r0, int r1);
  }

  /**
   * Prepares an INT8 MaxPool over NHWC bytes, the taps as for {@link #pool}: the largest valid tap
   * per channel (input and output share their quantization).
   */
  Int8MaxPool int8MaxPool(Conv2DShape shape, int[][] rows, int[][] cols);

  /** A prepared INT8 MaxPool. */
  interface Int8MaxPool {
    /** As {@link Pool#compute}, on bytes. */
    void compute(byte[] x, int xo, byte[] y, int yo, int r0, int r1);
  }

  /** A prepared elementwise operation with its fused activation. */
  interface Elementwise {
    /**
     * {@code y[yo + i] = act(a[ao + i] op b[bo + i])} for {@code i < n}; an operand not
     * advancing ({@code aVec} or {@code bVec} false) is the one value at its offset. The IEEE
     * operation of the scalar code and {@code Math.min/Math.max} clamps (hard-swish as
     * {@code x·min(max(x+3,0),6)·(1/6)}): the same bits as the plain loops.
     */
    void run(float[] a, int ao, boolean aVec, float[] b, int bo, boolean bVec, float[] y, int yo, int n);
  }
}
