package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.cpu.VectorKernels;

/**
 * {@code y = act(a ∘ b)} for ∘ in +, −, ×, ÷ on FLOAT32 tensors with NumPy broadcasting (any
 * ranks) and a fused {@link Activation}. Division follows IEEE 754 (x/0 = ±∞, 0/0 = NaN).
 *
 * <p>Reference kernel: for every output index, the input indices by index arithmetic over the
 * broadcast strides. Fast kernel: the output is viewed as rows of its collapsed innermost dimension
 * (size-1 dimensions dropped, neighbours with the same broadcast pattern merged), so each row is a
 * tight loop of one of three forms: both operands contiguous (same shapes: one row), or one
 * operand fixed for the row (a scalar operand: one row; per-channel operands in NHWC: one row per
 * pixel); with {@link VectorKernels} in the plan the rows run on its vector loops (C2 leaves the
 * plain ones scalar: arena tensors sit at offsets it cannot tell apart), with the same operations
 * per element. Large outputs are split across workers by rows, or by ranges of a single row. Both
 * kernels apply the same float operation to each element, so they agree exactly. Add and Mul with
 * INT8 inputs go to {@link Int8Binary}.
 */
final class BinaryOp implements OpFactory {
  /** The arithmetic, per element and over rows. */
  enum Kind {
    ADD("Add") {
      @Override
      float apply(float a, float b) {
        return a + b;
      }

      @Override
      void vv(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[ao + i] + b[bo + i];
        }
      }

      @Override
      void vs(float[] a, int ao, float b, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[ao + i] + b;
        }
      }

      @Override
      void sv(float a, float[] b, int bo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a + b[bo + i];
        }
      }
    },
    SUB("Sub") {
      @Override
      float apply(float a, float b) {
        return a - b;
      }

      @Override
      void vv(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[ao + i] - b[bo + i];
        }
      }

      @Override
      void vs(float[] a, int ao, float b, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[ao + i] - b;
        }
      }

      @Override
      void sv(float a, float[] b, int bo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a - b[bo + i];
        }
      }
    },
    MUL("Mul") {
      @Override
      float apply(float a, float b) {
        return a * b;
      }

      @Override
      void vv(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[ao + i] * b[bo + i];
        }
      }

      @Override
      void vs(float[] a, int ao, float b, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[ao + i] * b;
        }
      }

      @Override
      void sv(float a, float[] b, int bo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a * b[bo + i];
        }
      }
    },
    DIV("Div") {
      @Override
      float apply(float a, float b) {
        return a / b;
      }

      // No multiplication by a reciprocal: a / b must round exactly as the reference does.
      @Override
      void vv(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[ao + i] / b[bo + i];
        }
      }

      @Override
      void vs(float[] a, int ao, float b, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[ao + i] / b;
        }
      }

      @Override
      void sv(float a, float[] b, int bo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
          y[yo + i] = a / b[bo + i];
        }
      }
    };

    final String opType;

    Kind(String opType) {
      this.opType = opType;
    }

    abstract float apply(float a, float b);

    /** Both operands contiguous. */
    abstract void vv(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n);

    /** {@code b} fixed. */
    abstract void vs(float[] a, int ao, float b, float[] y, int yo, int n);

    /** {@code a} fixed. */
    abstract void sv(float a, float[] b, int bo, float[] y, int yo, int n);
  }

  /** Elements per parallel item when the output is a single row. */
  private static final int RANGE = 4096;

  private final Kind kind;

  BinaryOp(Kind kind) {
    this.kind = kind;
  }

  @Override
  public String opType() {
    return kind.opType;
  }

  @Override
  public Kernel bind(BindContext ctx) throws ModelFormatException {
    ctx.requireInputs(2, 2);
    if ((kind == Kind.ADD || kind == Kind.MUL) && ctx.inputType(0) == DataType.INT8) {
      return Int8Binary.bind(ctx, kind == Kind.ADD);
    }
    ctx.requireType(0, DataType.FLOAT32);
    ctx.requireType(1, DataType.FLOAT32);
    int[] as = ctx.inputShape(0);
    int[] bs = ctx.inputShape(1);
    int[] out;
    try {
      out = Broadcast.shape(as, bs);
    } catch (IllegalArgumentException e) {
      throw ctx.error(e.getMessage());
    }
    Activation act = Activation.fromNode(ctx);
    ctx.setOutput(0, DataType.FLOAT32, out);
    int a = ctx.inputId(0);
    int b = ctx.inputId(1);
    int y = ctx.outputId(0);
    int[] aStr = Broadcast.strides(as, out);
    int[] bStr = Broadcast.strides(bs, out);
    int count = Shape.of(out).elementCount();
    if (ctx.referenceKernels()) {
      return new Reference(kind, act, a, b, y, out, aStr, bStr, count);
    }
    VectorKernels vk = ctx.vectorKernels();
    VectorKernels.Elementwise vec = vk == null ? null
        : vk.binary(VectorKernels.Binary.valueOf(kind.name()), Epilogue.kind(act), act.min(), act.max());
    return Rows.create(kind, act, vec, a, b, y, out, aStr, bStr, count);
  }

  /** Index arithmetic per element: the oracle. */
  static final class Reference implements Kernel {
    private final Kind kind;
    private final Activation act;
    private final int a;
    private final int b;
    private final int y;
    private final int[] dims;
    private final int[] aStr;
    private final int[] bStr;
    private final int count;

    Reference(Kind kind, Activation act, int a, int b, int y, int[] dims, int[] aStr, int[] bStr, int count) {
      this.kind = kind;
      this.act = act;
      this.a = a;
      this.b = b;
      this.y = y;
      this.dims = dims;
      this.aStr = aStr;
      this.bStr = bStr;
      this.count = count;
    }

    @Override
    public void run(Frame f) {
      float[] av = f.f32(a);
      float[] bv = f.f32(b);
      float[] yv = f.f32(y);
      int ao = f.off(a);
      int bo = f.off(b);
      int yo = f.off(y);
      for (int i = 0; i < count; i++) {
        int rem = i;
        int ai = 0;
        int bi = 0;
        for (int d = dims.length - 1; d >= 0; d--) {
          int c = rem % dims[d];
          rem /= dims[d];
          ai += c * aStr[d];
          bi += c * bStr[d];
        }
        yv[yo + i] = act.apply(kind.apply(av[ao + ai], bv[bo + bi]));
      }
    }
  }

  /** The collapsed-rows fast kernel. */
  static final class Rows implements Kernel {
    private final Kind kind;
    private final Activation act;
    private final int a;
    private final int b;
    private final int y;
    /** Outer collapsed dimensions (the row index space) and the operands' strides over them. */
    /** The Vector API loop, or null for the plain loops (C2 leaves them scalar: arena offsets differ). */
    private final VectorKernels.Elementwise vec;
    private final int[] outer;
    private final int[] aOuter;
    private final int[] bOuter;
    private final int rows;
    /** Row length, and whether each operand advances along the row (stride 1) or stays fixed. */
    private final int len;
    private final boolean aVec;
    private final boolean bVec;
    private final Chunks.Body body;
    private final int items;
    private final long work;

    private Rows(Kind kind, Activation act, VectorKernels.Elementwise vec, int a, int b, int y, int[] outer,
        int[] aOuter, int[] bOuter, int len, boolean aVec, boolean bVec) {
      this.kind = kind;
      this.vec = vec;
      this.act = act;
      this.a = a;
      this.b = b;
      this.y = y;
      this.outer = outer;
      this.aOuter = aOuter;
      this.bOuter = bOuter;
      int r = 1;
      for (int d : outer) {
        r *= d;
      }
      this.rows = r;
      this.len = len;
      this.aVec = aVec;
      this.bVec = bVec;
      this.work = (long) rows * len;
      if (rows == 1) {
        this.items = (len + RANGE - 1) / RANGE;
        this.body = (f, from, to, w) -> {
          int start = from * RANGE;
          segment(f.f32(a), f.off(a), f.f32(b), f.off(b), f.f32(y), f.off(y) + start, start,
              (int) Math.min((long) to * RANGE, len) - start);
        };
      } else {
        this.items = rows;
        this.body = (f, from, to, w) -> rows(f, from, to);
      }
    }

    /** Collapses the broadcast view of {@code dims} and builds the kernel. */
    static Rows create(Kind kind, Activation act, VectorKernels.Elementwise vec, int a, int b, int y, int[] dims,
        int[] aStr, int[] bStr,
        int count) {
      int r = dims.length;
      int[] cd = new int[r];
      int[] ca = new int[r];
      int[] cb = new int[r];
      int n = 0;
      for (int d = 0; d < r; d++) {
        if (dims[d] == 1) {
          continue;
        }
        // Merge into the previous collapsed dimension when both operands have the same pattern
        // (advancing or stretched) there: the pair then walks memory like one longer dimension.
        if (n > 0 && (ca[n - 1] == 0) == (aStr[d] == 0) && (cb[n - 1] == 0) == (bStr[d] == 0)) {
          cd[n - 1] *= dims[d];
          ca[n - 1] = aStr[d];
          cb[n - 1] = bStr[d];
        } else {
          cd[n] = dims[d];
          ca[n] = aStr[d];
          cb[n] = bStr[d];
          n++;
        }
      }
      if (n == 0 || count == 0) {
        // A single element (all dimensions 1), or nothing to do.
        return new Rows(kind, act, vec, a, b, y, new int[0], new int[0], new int[0], count, true, true);
      }
      int m = n - 1;
      return new Rows(kind, act, vec, a, b, y, java.util.Arrays.copyOf(cd, m), java.util.Arrays.copyOf(ca, m),
          java.util.Arrays.copyOf(cb, m), cd[m], ca[m] != 0, cb[m] != 0);
    }

    @Override
    public void run(Frame f) {
      Chunks.run(f, items, work, body);
    }

    /** Whole rows {@code [from, to)}. */
    private void rows(Frame f, int from, int to) {
      float[] av = f.f32(a);
      float[] bv = f.f32(b);
      float[] yv = f.f32(y);
      int a0 = f.off(a);
      int b0 = f.off(b);
      int y0 = f.off(y);
      if (outer.length == 1) {
        // The common [rows, len] view (e.g. per-channel over NHWC pixels): no index arithmetic.
        int as = aOuter[0];
        int bs = bOuter[0];
        for (int r = from; r < to; r++) {
          segment(av, a0 + r * as, bv, b0 + r * bs, yv, y0 + r * len, 0, len);
        }
        return;
      }
      for (int r = from; r < to; r++) {
        int ao = a0;
        int bo = b0;
        int rem = r;
        for (int d = outer.length - 1; d >= 0; d--) {
          int c = rem % outer[d];
          rem /= outer[d];
          ao += c * aOuter[d];
          bo += c * bOuter[d];
        }
        segment(av, ao, bv, bo, yv, y0 + r * len, 0, len);
      }
    }

    /**
     * Elements {@code [from, from + n)} of the row whose operands start at {@code ao}, {@code bo};
     * {@code yo} is the output position of element {@code from}.
     */
    private void segment(float[] av, int ao, float[] bv, int bo, float[] yv, int yo, int from, int n) {
      if (vec != null) {
        vec.run(av, aVec ? ao + from : ao, aVec, bv, bVec ? bo + from : bo, bVec, yv, yo, n);
        return;
      }
      if (aVec && bVec) {
        kind.vv(av, ao + from, bv, bo + from, yv, yo, n);
      } else if (aVec) {
        kind.vs(av, ao + from, bv[bo], yv, yo, n);
      } else {
        kind.sv(av[ao], bv, bo + from, yv, yo, n);
      }
      act.apply(yv, yo, n);
    }
  }
}
