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
   * Default zero fraction of the weights above which the sparse kernel replaces the dense one
   * ({@code Planner.Options.sparseThreshold} overrides it). Measured with
   * {@code SparseFullyConnectedBenchmark} (docs/BENCHMARKS.md, "Sparse FullyConnected").
   */
  static final double THRESHOLD = 0.8;
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

  /** True when the weights (input {@code i} of the node) should use the sparse kernel. */
  static boolean preferred(BindContext ctx, int i) throws dev.topiary.ModelFormatException {
    return ctx.sparseThreshold() <= 1 && ctx.sparsityAbove(i, ctx.sparseThreshold());
  }

  /** Continues sum {@code s} over the terms {@code [p, end)}. */
  private float finish(float[] in, int xr, float s, int p, int end) {
    for (; p < end; p++) {
      s += in[xr + cols[p]] * vals[p];
    }
    return s;
  }

  private void store(float[] out, int yr, int j, float s) {
    if (bias != null) {
      s += bias[j];
    }
    out[yr + j] = act.apply(s);
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
      int j = j0;
      // Four outputs at a time: four independent sums hide the latency of the float adds (each
      // sum still runs over its own terms in ascending k).
      for (; j + 4 <= j1; j += 4) {
        int p0 = rowPtr[j];
        int p1 = rowPtr[j + 1];
        int p2 = rowPtr[j + 2];
        int p3 = rowPtr[j + 3];
        int p4 = rowPtr[j + 4];
        int common = Math.min(Math.min(p1 - p0, p2 - p1), Math.min(p3 - p2, p4 - p3));
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        for (int q = 0; q < common; q++) {
          s0 += in[xr + cols[p0 + q]] * vals[p0 + q];
          s1 += in[xr + cols[p1 + q]] * vals[p1 + q];
          s2 += in[xr + cols[p2 + q]] * vals[p2 + q];
          s3 += in[xr + cols[p3 + q]] * vals[p3 + q];
        }
        s0 = finish(in, xr, s0, p0 + common, p1);
        s1 = finish(in, xr, s1, p1 + common, p2);
        s2 = finish(in, xr, s2, p2 + common, p3);
        s3 = finish(in, xr, s3, p3 + common, p4);
        store(out, yr, j, s0);
        store(out, yr, j + 1, s1);
        store(out, yr, j + 2, s2);
        store(out, yr, j + 3, s3);
      }
      for (; j < j1; j++) {
        store(out, yr, j, finish(in, xr, 0f, rowPtr[j], rowPtr[j + 1]));
      }
    }
  }
}
