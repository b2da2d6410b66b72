package dev.topiary.vector;

import dev.topiary.internal.cpu.Conv2DShape;
import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * MaxPool and AvgPool on NHWC tensors, vectorised across channels: per output pixel, four channel
 * blocks of {@code L} at a time are reduced over the window's valid taps in registers (four
 * independent chains), then the remaining full blocks one at a time, then a last partial block
 * under a mask made once. Per lane the operations of {@link VectorKernels#pool}.
 */
final class VectorPool implements VectorKernels.Pool {
  private static final VectorSpecies<Float> S = FloatVectorKernels.S;
  private static final int L = S.length();

  private final boolean max;
  private final Conv2DShape g;
  private final int[][] rows;
  private final int[][] cols;
  private final boolean includePad;
  /** Lanes of the last channel block when {@code C} is not a multiple of {@code L}, else null. */
  private final VectorMask<Float> tail;

  VectorPool(boolean max, Conv2DShape g, int[][] rows, int[][] cols, boolean includePad) {
    this.max = max;
    this.g = g;
    this.rows = rows;
    this.cols = cols;
    this.includePad = includePad;
    this.tail = g.c % L == 0 ? null : S.indexInRange(0, g.c % L);
  }

  @Override
  public void compute(float[] x, int xo, float[] y, int yo, int r0, int r1) {
    int c = g.c;
    int full = c / L * L;
    float start = max ? Float.NEGATIVE_INFINITY : 0f;
    for (int r = r0; r < r1; r++) {
      int n = r / g.oh;
      int oh = r % g.oh;
      int hs = oh * g.sh - g.padTop;
      int i0 = rows[0][oh];
      int i1 = rows[1][oh];
      for (int ow = 0; ow < g.ow; ow++) {
        int ws = ow * g.sw - g.padLeft;
        int j0 = cols[0][ow];
        int j1 = cols[1][ow];
        int yp = yo + (r * g.ow + ow) * c;
        // First tap of the window; each further tap is one pixel (dw·C floats) or one row on.
        int first = xo + ((n * g.h + hs + i0 * g.dh) * g.w + ws + j0 * g.dw) * c;
        int tapStep = g.dw * c;
        int rowStep = g.dh * g.w * c;
        float count = includePad ? rows[2][oh] * cols[2][ow] : (i1 - i0) * (j1 - j0);
        int cb = 0;
        for (; cb + 4 * L <= full; cb += 4 * L) {
          FloatVector a0 = FloatVector.broadcast(S, start);
          FloatVector a1 = a0;
          FloatVector a2 = a0;
          FloatVector a3 = a0;
          for (int i = i0, row = first + cb; i < i1; i++, row += rowStep) {
            for (int j = j0, p = row; j < j1; j++, p += tapStep) {
              FloatVector v0 = FloatVector.fromArray(S, x, p);
              FloatVector v1 = FloatVector.fromArray(S, x, p + L);
              FloatVector v2 = FloatVector.fromArray(S, x, p + 2 * L);
              FloatVector v3 = FloatVector.fromArray(S, x, p + 3 * L);
              if (max) {
                a0 = a0.max(v0);
                a1 = a1.max(v1);
                a2 = a2.max(v2);
                a3 = a3.max(v3);
              } else {
                a0 = a0.add(v0);
                a1 = a1.add(v1);
                a2 = a2.add(v2);
                a3 = a3.add(v3);
              }
            }
          }
          if (!max) {
            a0 = a0.div(count);
            a1 = a1.div(count);
            a2 = a2.div(count);
            a3 = a3.div(count);
          }
          a0.intoArray(y, yp + cb);
          a1.intoArray(y, yp + cb + L);
          a2.intoArray(y, yp + cb + 2 * L);
          a3.intoArray(y, yp + cb + 3 * L);
        }
        for (; cb < c; cb += L) {
          VectorMask<Float> m = cb + L <= c ? null : tail;
          FloatVector a = FloatVector.broadcast(S, start);
          for (int i = i0, row = first + cb; i < i1; i++, row += rowStep) {
            for (int j = j0, p = row; j < j1; j++, p += tapStep) {
              FloatVector v = m == null ? FloatVector.fromArray(S, x, p) : FloatVector.fromArray(S, x, p, m);
              a = max ? a.max(v) : a.add(v);
            }
          }
          if (!max) {
            a = a.div(count);
          }
          if (m == null) {
            a.intoArray(y, yp + cb);
          } else {
            a.intoArray(y, yp + cb, m);
          }
        }
      }
    }
  }
}
