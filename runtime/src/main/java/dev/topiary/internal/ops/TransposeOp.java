package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;

/**
 * Transpose: output dimension {@code k} is input dimension {@code perm[k]} ({@code perm} defaults to
 * the reversed dims; negative entries count from the end), for any data type.
 *
 * <p>Two kernels. The reference kernel maps every output element back to its input element by
 * index arithmetic. The fast kernel is a {@link StridedCopy} of the input viewed with permuted
 * strides: size-1 dims vanish, dims that stay adjacent merge (NCHW→NHWC becomes a batch of
 * {@code [C, HW] → [HW, C]}), contiguous inner runs move with {@link System#arraycopy} and a swap of
 * the innermost dimension runs as a tiled 2-D transpose.
 */
final class TransposeOp implements OpFactory {
  @Override
  public String opType() {
    return "Transpose";
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(1, 1);
    int[] in = ctx.inputShape(0);
    int r = in.length;
    int[] perm = permutation(ctx, in);
    int[] out = new int[r];
    int[] inStrides = StridedCopy.contiguousStrides(in);
    int[] srcStrides = new int[r];
    for (int k = 0; k < r; k++) {
      out[k] = in[perm[k]];
      srcStrides[k] = inStrides[perm[k]];
    }
    DataType type = ctx.inputType(0);
    Int8Checks.movesData(ctx);
    ctx.setOutput(0, type, out);
    Mover m = Mover.of(type);
    int x = ctx.inputId(0);
    int y = ctx.outputId(0);
    if (ctx.referenceKernels()) {
      return new Reference(m, x, y, out, srcStrides);
    }
    StridedCopy copy = StridedCopy.plan(m, out, srcStrides, StridedCopy.contiguousStrides(out), true);
    return f -> copy.run(m.array(f, x), f.off(x), m.array(f, y), f.off(y));
  }

  /** The {@code perm} attribute, normalized and checked to be a permutation of {@code 0..rank-1}. */
  static int[] permutation(BindContext ctx, int[] in) throws ModelFormatException {
    int r = in.length;
    long[] p = ctx.attrInts("perm", null);
    if (p == null) {
      int[] rev = new int[r];
      for (int k = 0; k < r; k++) {
        rev[k] = r - 1 - k;
      }
      return rev;
    }
    if (p.length != r) {
      throw ctx.error("attribute 'perm' = " + ShapeOps.format(p) + " has " + p.length + " values for the input "
          + Shape.of(in) + " of rank " + r);
    }
    int[] perm = new int[r];
    boolean[] seen = new boolean[r];
    for (int k = 0; k < r; k++) {
      long a = p[k] < 0 ? p[k] + r : p[k];
      if (a < 0 || a >= r || seen[(int) a]) {
        throw ctx.error("attribute 'perm' = " + ShapeOps.format(p) + " is not a permutation of 0.." + (r - 1));
      }
      seen[(int) a] = true;
      perm[k] = (int) a;
    }
    return perm;
  }

  /** Reference kernel: one element at a time, source offset from the output coordinates. */
  static final class Reference implements Kernel {
    private final Mover m;
    private final int x;
    private final int y;
    private final int[] out;
    private final int[] srcStrides;
    private final int count;

    Reference(Mover m, int x, int y, int[] out, int[] srcStrides) {
      this.m = m;
      this.x = x;
      this.y = y;
      this.out = out;
      this.srcStrides = srcStrides;
      this.count = Shape.of(out).elementCount();
    }

    @Override
    public void run(Frame f) {
      Object src = m.array(f, x);
      Object dst = m.array(f, y);
      int xo = f.off(x);
      int yo = f.off(y);
      for (int o = 0; o < count; o++) {
        int rem = o;
        int s = xo;
        for (int k = out.length - 1; k >= 0; k--) {
          s += (rem % out[k]) * srcStrides[k];
          rem /= out[k];
        }
        m.strided(src, s, 1, dst, yo + o, 1, 1);
      }
    }
  }
}
