package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;

/**
 * Sparse fast kernel of FullyConnected and of 1×1, stride-1, unpadded, ungrouped Conv2D (which in
 * NHWC is a FullyConnected over the pixels): {@code y[r, j] = act(Σ_k x[r, k]·w[j, k] + b[j])} with
 * the weights {@code [N, K]} held in compressed-row (CSR) form, built at load from the decoded dense
 * weights. Chosen over the dense GEMM when the weights' zero fraction exceeds {@link #THRESHOLD}.
 *
 * <p>Each output sums its non-zero terms in ascending {@code k}, then adds the bias, then applies the
 * activation: the reference kernel's order without its {@code x·0} terms, so for finite inputs the
 * results equal the reference's up to the sign of zero. Work is split into tiles of (row, block of
 * {@link #BLOCK} outputs); results do not depend on the thread count.
 */
final class SparseLinearKernel implements Kernel, Parallel.Task<Frame> {
  /**
   * Zero fraction of the weights above which the sparse kernel replaces the dense one. Measured with
   * {@code SparseFullyConnectedBenchmark} (docs/BENCHMARKS.md, "Sparse FullyConnected").
   */
  static final double THRESHOLD = 0.7;
  /** Outputs per tile. */
  static final int BLOCK = 64;

  private final int m;
  private final int n;
  private final int k;
  private final int[] rowPtr;
  private final int[] cols;
  private final float[] vals;
  private final float[] bias;
  private final Activation act;
  private final int x;
  private final int y;
  private final int blocks;

  /**
   * @param w dense weights {@code [n, k]}, row-major
   * @param bias {@code n} values or null
   */
  SparseLinearKernel(int m, int n, int k, float[] w, float[] bias, Activation act, int x, int y) {
    this.m = m;
    this.n = n;
    this.k = k;
    this.rowPtr = new int[n + 1];
    int nnz = 0;
    for (int i = 0; i < n * k; i++) {
      nnz += w[i] != 0f ? 1 : 0;
    }
    this.cols = new int[nnz];
    this.vals = new float[nnz];
    int p = 0;
    for (int j = 0; j < n; j++) {
      rowPtr[j] = p;
      for (int kk = 0; kk < k; kk++) {
        float v = w[j * k + kk];
        if (v != 0f) {
          cols[p] = kk;
          vals[p++] = v;
        }
      }
    }
    rowPtr[n] = p;
    this.bias = bias;
    this.act = act;
    this.x = x;
    this.y = y;
    this.blocks = (n + BLOCK - 1) / BLOCK;
  }

  /** True when weights with this zero fraction should use the sparse kernel. */
  static boolean preferred(double zeroFraction) {
    return zeroFraction > THRESHOLD;
  }

  /** Number of stored non-zero weights. */
  int nonZeros() {
    return vals.length;
  }

  @Override
  public void run(Frame f) {
    GemmKernel.dispatch(f, m * blocks, (long) m * Math.max(vals.length, n), this);
  }

  @Override
  public void run(Frame f, int from, int to, int worker) {
    float[] in = f.f32(x);
    int xo = f.off(x);
    float[] out = f.f32(y);
    int yo = f.off(y);
    for (int t = from; t < to; t++) {
      int r = t / blocks;
      int j0 = t % blocks * BLOCK;
      int j1 = Math.min(n, j0 + BLOCK);
      int xr = xo + r * k;
      int yr = yo + r * n;
      for (int j = j0; j < j1; j++) {
        float s = 0f;
        for (int p = rowPtr[j], e = rowPtr[j + 1]; p < e; p++) {
          s += in[xr + cols[p]] * vals[p];
        }
        if (bias != null) {
          s += bias[j];
        }
        out[yr + j] = act.apply(s);
      }
    }
  }
}
