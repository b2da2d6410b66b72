package dev.topiary.internal.cpu;

/**
 * Fast fp32 kernels supplied by an optional module: the service interface between the runtime
 * (Java 11, Android) and {@code topiary-runtime-vector} (Java 21+, {@code jdk.incubator.vector}).
 * The runtime keeps the tiling, the im2col gathers and the thread split; an implementation only
 * computes tiles, so every kernel it runs has the same partitioning contract as the C2 kernels:
 * each output value is computed by the same operations whatever the tile, so results do not depend
 * on the thread count.
 *
 * <p>Discovered once per class loader by {@link VectorSupport} through {@link java.util.ServiceLoader}
 * ({@link Provider}); chosen at plan time when {@code Planner.Options.vectorKernels} is set (the
 * default) and a provider reports itself usable. Implementations sum products with fused
 * multiply-adds in ascending depth, so they differ from the reference kernels by rounding only
 * (docs/BENCHMARKS.md states the tolerance the differential tests use).
 */
public interface VectorKernels {
  /** What runs, for tools and messages: e.g. {@code "jdk.incubator.vector, 16 floats"}. */
  String description();

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
  PackedGemm gemm(int n, int k, float[] b, int off, int sN, int sK, float[] bias, Gemm.Act act, float lo, float hi);

  /**
   * Prepares a depthwise convolution with one output per input channel ({@code O == C}) on NHWC
   * tensors: weights {@code [C, KH, KW, 1]}, optional bias {@code [C]}.
   */
  Depthwise depthwise(Conv2DShape shape, float[] weights, float[] bias, Gemm.Act act, float lo, float hi);

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
    void compute(float[] s, float[] a, int aOff, int lda, float[] c, int cOff, int ldc, int rows, int p0, int p1);
  }

  /** A prepared depthwise convolution. */
  interface Depthwise {
    /**
     * Computes output rows {@code [oh0, oh1)} of image {@code image}: input {@code [N,H,W,C]} at
     * {@code in[inOff]}, output {@code [N,OH,OW,C]} at {@code out[outOff]}.
     */
    void compute(float[] in, int inOff, float[] out, int outOff, int image, int oh0, int oh1);
  }

  /**
   * The service type listed in {@code META-INF/services}. {@link #create} runs once, at the first
   * plan; it returns null when the implementation cannot run in this JVM (the incubator module is
   * not loaded, or vectors are too narrow to pay off), and must not fail.
   */
  interface Provider {
    VectorKernels create();
  }
}
