package dev.topiary.vector;

import dev.topiary.internal.cpu.Gemm;
import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise Add, Sub, Mul and Div with a fused activation, {@code L} floats at a time, the rest
 * one at a time with the same scalar operations. An operand that does not advance is broadcast
 * once, and the loop-invariant test on it is unswitched by C2.
 */
final class VectorBinary implements VectorKernels.Elementwise {
  private static final VectorSpecies<Float> S = FloatVectorKernels.S;
  private static final int L = S.length();

  private final VectorKernels.Binary op;
  private final FloatVectorKernels.Epilog epilog;

  private final boolean hardSwish;
  private final boolean clamp;
  private final float lo;
  private final float hi;
  /** The compare bounds for {@code lo} and {@code hi} ({@link FloatVectorKernels#lowerCmp}). */
  private final float loCmp;
  private final float hiCmp;

  VectorBinary(VectorKernels.Binary op, FloatVectorKernels.Epilog epilog) {
    this.op = op;
    this.epilog = epilog;
    this.hardSwish = epilog.act == Gemm.Act.HARD_SWISH;
    this.clamp = epilog.act == Gemm.Act.CLAMP;
    this.lo = epilog.clampLo;
    this.hi = epilog.clampHi;
    this.loCmp = epilog.clampLoCmp;
    this.hiCmp = epilog.clampHiCmp;
  }

  @Override
  public void run(float[] a, int ao, boolean aVec, float[] b, int bo, boolean bVec, float[] y, int yo, int n) {
    if (n <= 0) {
      return;
    }
    FloatVector ca = FloatVector.broadcast(S, a[ao]);
    FloatVector cb = FloatVector.broadcast(S, b[bo]);
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector va = aVec ? FloatVector.fromArray(S, a, ao + i) : ca;
      FloatVector vb = bVec ? FloatVector.fromArray(S, b, bo + i) : cb;
      // The operation and the activation written out here rather than in helpers: a method that
      // takes a vector, once compiled on its own for a call site C2 did not inline, can be too big
      // to inline anywhere after, and every kernel calling it then boxes vectors. The switch on the
      // final field is the same branch every time, once per L floats.
      FloatVector r;
      switch (op) {
        case ADD:
          r = va.add(vb);
          break;
        case SUB:
          r = va.sub(vb);
          break;
        case MUL:
          r = va.mul(vb);
          break;
        default:
          r = va.div(vb);
          break;
      }
      if (hardSwish) {
        FloatVector t = r.add(3f);
        t = t.blend(FloatVector.broadcast(S, 0f), t.lt(Float.MIN_VALUE));
        t = t.blend(FloatVector.broadcast(S, 6f), t.compare(VectorOperators.GT, 6f));
        r = r.mul(t).mul(1f / 6f);
      } else if (clamp) {
        r = r.blend(FloatVector.broadcast(S, lo), r.lt(loCmp));
        r = r.blend(FloatVector.broadcast(S, hi), r.compare(VectorOperators.GT, hiCmp));
      }
      r.intoArray(y, yo + i);
    }
    for (; i < n; i++) {
      y[yo + i] = epilog.apply(apply(a[aVec ? ao + i : ao], b[bVec ? bo + i : bo]));
    }
  }

  /** The operation on two values, as the plain loops do it. */
  private float apply(float a, float b) {
    switch (op) {
      case ADD:
        return a + b;
      case SUB:
        return a - b;
      case MUL:
        return a * b;
      default:
        return a / b;
    }
  }

  /**
   * The two-level column mean of {@link VectorKernels#meanColumns}: four vectors of columns at a
   * time kept in registers over all rows, then one vector, then single columns.
   */
  static void meanColumns(float[] x, int xo, float[] y, int yo, int rows, int inner, int i0, int i1, int block) {
    float count = rows;
    int i = i0;
    for (; i + 4 * L <= i1; i += 4 * L) {
      FloatVector t0 = FloatVector.zero(S);
      FloatVector t1 = t0;
      FloatVector t2 = t0;
      FloatVector t3 = t0;
      for (int rb = 0; rb < rows; rb += block) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int re = Math.min(rb + block, rows);
        for (int r = rb, p = xo + rb * inner + i; r < re; r++, p += inner) {
          s0 = s0.add(FloatVector.fromArray(S, x, p));
          s1 = s1.add(FloatVector.fromArray(S, x, p + L));
          s2 = s2.add(FloatVector.fromArray(S, x, p + 2 * L));
          s3 = s3.add(FloatVector.fromArray(S, x, p + 3 * L));
        }
        t0 = t0.add(s0);
        t1 = t1.add(s1);
        t2 = t2.add(s2);
        t3 = t3.add(s3);
      }
      t0.div(count).intoArray(y, yo + i);
      t1.div(count).intoArray(y, yo + i + L);
      t2.div(count).intoArray(y, yo + i + 2 * L);
      t3.div(count).intoArray(y, yo + i + 3 * L);
    }
    for (; i + L <= i1; i += L) {
      FloatVector t = FloatVector.zero(S);
      for (int rb = 0; rb < rows; rb += block) {
        FloatVector s = FloatVector.zero(S);
        int re = Math.min(rb + block, rows);
        for (int r = rb, p = xo + rb * inner + i; r < re; r++, p += inner) {
          s = s.add(FloatVector.fromArray(S, x, p));
        }
        t = t.add(s);
      }
      t.div(count).intoArray(y, yo + i);
    }
    for (; i < i1; i++) {
      float t = 0f;
      for (int rb = 0; rb < rows; rb += block) {
        float s = 0f;
        int re = Math.min(rb + block, rows);
        for (int r = rb; r < re; r++) {
          s += x[xo + r * inner + i];
        }
        t += s;
      }
      y[yo + i] = t / count;
    }
  }
}
