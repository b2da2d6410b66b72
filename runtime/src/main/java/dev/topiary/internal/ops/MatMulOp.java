package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.TransposedGemm;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * MatMul (docs/OPS.md): NumPy {@code matmul} of {@code a [..., M, K]} and {@code b [..., K, N]}
 * with broadcast batch dimensions, a rank-1 {@code a} read as {@code [1, K]} and a rank-1 {@code b}
 * as {@code [K, 1]} (the added dimension is dropped from the output), and a fused activation.
 * The fast path is a {@link GemmKernel}: a constant {@code b} is packed at load time, one packing
 * per distinct batch; when {@code b} has no batch of its own the batches of {@code a} become one
 * tall GEMM. Narrow outputs with more rows than columns use a {@link TransposedGemmKernel}, which
 * reads {@code b} in place. With {@link VectorKernels} in the plan a constant {@code b} goes to a
 * {@link VectorGemmKernel} instead. A constant INT8 {@code b} goes to {@link Int8MatMul}.
 */
final class MatMulOp implements OpFactory {
  @Override
  public String opType() {
    return "MatMul";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(2, 2);
    if (ctx.inputType(1) == DataType.INT8) {
      return Int8MatMul.bind(ctx);
    }
    ctx.requireType(0, DataType.FLOAT32);
    ctx.requireType(1, DataType.FLOAT32);
    int[] as = ctx.inputShape(0);
    int[] bs = ctx.inputShape(1);
    if (as.length < 1 || bs.length < 1) {
      throw ctx.error("inputs must have rank >= 1, got " + Shape.of(as) + " and " + Shape.of(bs));
    }
    int m = as.length == 1 ? 1 : as[as.length - 2];
    int k = as[as.length - 1];
    int kb = bs.length == 1 ? bs[0] : bs[bs.length - 2];
    int n = bs.length == 1 ? 1 : bs[bs.length - 1];
    if (k != kb) {
      throw ctx.error("inner dimensions differ: a " + Shape.of(as) + " has K = " + k + ", b " + Shape.of(bs)
          + " has K = " + kb);
    }
    int[] batchA = leading(as);
    int[] batchB = leading(bs);
    int rank = Math.max(batchA.length, batchB.length);
    int[] batch = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = dimFromEnd(batchA, rank - 1 - i);
      int db = dimFromEnd(batchB, rank - 1 - i);
      if (da != db && da != 1 && db != 1) {
        throw ctx.error("batch dimensions of a " + Shape.of(as) + " and b " + Shape.of(bs)
            + " do not broadcast (" + da + " vs " + db + ")");
      }
      batch[i] = da == 1 ? db : da;
    }
    int[] ys = new int[rank + (as.length == 1 ? 0 : 1) + (bs.length == 1 ? 0 : 1)];
    System.arraycopy(batch, 0, ys, 0, rank);
    int d = rank;
    if (as.length > 1) {
      ys[d++] = m;
    }
    if (bs.length > 1) {
      ys[d] = n;
    }
    Activation act = Activation.fromNode(ctx);
    ctx.setOutput(0, DataType.FLOAT32, ys);

    int outCount = Shape.of(ys).elementCount();
    int batches = outCount == 0 ? 0 : outCount / (m * n);
    int[] aOffs = new int[batches];
    int[] bOffs = new int[batches];
    int[] bIndex = new int[batches];
    int[] cOffs = new int[batches];
    for (int q = 0; q < batches; q++) {
      // Walk the output batch index q back to the (broadcast) batch indices of a and b.
      int rem = q;
      int ai = 0;
      int bi = 0;
      int aStride = 1;
      int bStride = 1;
      for (int i = rank - 1; i >= 0; i--) {
        int coord = rem % batch[i];
        rem /= batch[i];
        int da = dimFromEnd(batchA, rank - 1 - i);
        int db = dimFromEnd(batchB, rank - 1 - i);
        ai += (da == 1 ? 0 : coord) * aStride;
        bi += (db == 1 ? 0 : coord) * bStride;
        aStride *= da;
        bStride *= db;
      }
      aOffs[q] = ai * m * k;
      bIndex[q] = bi;
      bOffs[q] = bi * k * n;
      cOffs[q] = q * m * n;
    }
    int a = ctx.inputId(0);
    // A constant B is packed (or read in place from its array) by the fast kernels, never through
    // the Frame, so only the reference kernel and a computed B ask for its id.
    int b = ctx.referenceKernels() || !ctx.isConstant(1) ? ctx.inputId(1) : -1;
    int y = ctx.outputId(0);
    if (ctx.referenceKernels()) {
      return new Reference(m, n, k, aOffs, bOffs, cOffs, act, a, b, y);
    }
    int batchesA = count(batchA);
    int batchesB = count(batchB);
    // b has no batch of its own and a is not broadcast: the batches are one (batches·m)-row GEMM.
    boolean flat = batches > 0 && batchesB == 1 && batchesA == batches && (long) batches * m <= Integer.MAX_VALUE;
    VectorKernels vk = ctx.vectorKernels();
    if (vk != null && batches > 0 && ctx.isConstant(1)) {
      return vectorKernel(ctx, vk, ctx.constantFloats(1), flat, m, n, k, batches, batchesB, aOffs, bOffs, bIndex, cOffs,
          act, a, y);
    }
    if (batches > 0 && TransposedGemm.preferred(flat ? batches * m : m, n)) {
      // Narrow output: B read in place as Bᵀ (column j at stride 1, depth at stride n).
      float[] constant = ctx.isConstant(1) ? ctx.constantFloats(1) : null;
      if (flat) {
        TransposedGemm t = new TransposedGemm(batches * m, n, k, null, Epilogue.kind(act), act.min(), act.max());
        return new TransposedGemmKernel(ctx, t, new int[1], new int[1], new int[1], k, constant, 1, n, n, a, b, y);
      }
      TransposedGemm t = new TransposedGemm(m, n, k, null, Epilogue.kind(act), act.min(), act.max());
      return new TransposedGemmKernel(ctx, t, aOffs, bOffs, cOffs, k, constant, 1, n, n, a, b, y);
    }
    if (flat) {
      int rows = batches * m;
      Gemm g = ctx.isConstant(1)
          ? Epilogue.gemm(rows, n, k, Gemm.Packed.ofRowMajor(ctx.constantFloats(1), 0, n, k, n), null, act)
          : Epilogue.gemm(rows, n, k, null, null, act);
      return new GemmKernel(ctx, new Gemm[] {g}, new int[1], new int[1], new int[1], k, n, n, a,
          ctx.isConstant(1) ? -1 : b, y);
    }
    Gemm[] gemms = new Gemm[batches];
    if (ctx.isConstant(1) && batches > 0) {
      // With a non-empty output every batch dimension is positive, so batchesB <= batches.
      float[] bv = ctx.constantFloats(1);
      Gemm[] perB = new Gemm[batchesB];
      for (int q = 0; q < batches; q++) {
        int bi = bIndex[q];
        if (perB[bi] == null) {
          perB[bi] = Epilogue.gemm(m, n, k, Gemm.Packed.ofRowMajor(bv, bOffs[q], n, k, n), null, act);
        }
        gemms[q] = perB[bi];
      }
      return new GemmKernel(ctx, gemms, aOffs, new int[batches], cOffs, k, n, n, a, -1, y);
    }
    Gemm g = Epilogue.gemm(m, n, k, null, null, act);
    for (int q = 0; q < batches; q++) {
      gemms[q] = g;
    }
    return new GemmKernel(ctx, gemms, aOffs, bOffs, cOffs, k, n, n, a, b, y);
  }

  /** A constant {@code b} on the vector GEMM: one packing per distinct batch of {@code b}. */
  private static Kernel vectorKernel(BindContext ctx, VectorKernels vk, float[] bv, boolean flat, int m, int n, int k,
      int batches, int batchesB, int[] aOffs, int[] bOffs, int[] bIndex, int[] cOffs, Activation act, int a, int y) {
    if (flat) {
      return VectorGemmKernel.single(ctx, vk, batches * m, n, k, bv, 1, n, null, act, k, n, a, y);
    }
    VectorKernels.PackedGemm[] perB = new VectorKernels.PackedGemm[batchesB];
    VectorKernels.PackedGemm[] gemms = new VectorKernels.PackedGemm[batches];
    for (int q = 0; q < batches; q++) {
      int bi = bIndex[q];
      if (perB[bi] == null) {
        perB[bi] = vk.gemm(n, k, bv, bOffs[q], 1, n, null, Epilogue.kind(act), act.min(), act.max());
      }
      gemms[q] = perB[bi];
    }
    return new VectorGemmKernel(ctx, vk, gemms, aOffs, cOffs, m, n, k, k, n, a, y);
  }

  /** The batch dimensions: all but the last two (none for rank 1 and 2). */
  private static int[] leading(int[] s) {
    int r = Math.max(0, s.length - 2);
    int[] out = new int[r];
    System.arraycopy(s, 0, out, 0, r);
    return out;
  }

  /** Dimension {@code i} counted from the end of {@code dims}, 1 beyond its rank. */
  private static int dimFromEnd(int[] dims, int i) {
    return i < dims.length ? dims[dims.length - 1 - i] : 1;
  }

  private static int count(int[] dims) {
    long c = 1;
    for (int d : dims) {
      c *= d;
    }
    return (int) Math.min(c, Integer.MAX_VALUE);
  }

  /** The formula as plain loops: the oracle of the fast path. */
  static final class Reference implements Kernel {
    private final int m;
    private final int n;
    private final int k;
    private final int[] aOffs;
    private final int[] bOffs;
    private final int[] cOffs;
    private final Activation act;
    private final int a;
    private final int b;
    private final int y;

    Reference(int m, int n, int k, int[] aOffs, int[] bOffs, int[] cOffs, Activation act, int a, int b, int y) {
      this.m = m;
      this.n = n;
      this.k = k;
      this.aOffs = aOffs;
      this.bOffs = bOffs;
      this.cOffs = cOffs;
      this.act = act;
      this.a = a;
      this.b = b;
      this.y = y;
    }

    @Override
    public void run(Frame f) {
      float[] av = f.f32(a);
      float[] bv = f.f32(b);
      float[] out = f.f32(y);
      for (int q = 0; q < cOffs.length; q++) {
        int ao = f.off(a) + aOffs[q];
        int bo = f.off(b) + bOffs[q];
        int co = f.off(y) + cOffs[q];
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            float s = 0f;
            for (int kk = 0; kk < k; kk++) {
              s += av[ao + i * k + kk] * bv[bo + kk * n + j];
            }
            out[co + i * n + j] = act.apply(s);
          }
        }
      }
    }
  }
}
