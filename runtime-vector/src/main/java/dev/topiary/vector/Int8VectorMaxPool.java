package dev.topiary.vector;

import dev.topiary.internal.cpu.Conv2DShape;
import dev.topiary.internal.cpu.VectorKernels;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * INT8 MaxPool on NHWC bytes, vectorised across channels: per output pixel and block of
 * {@code BL} channels (64 with AVX-512), the first valid tap is loaded and every further one folded
 * in with a lane-wise signed max; a last partial block loads and stores under a mask made once.
 * The max of the same taps as the reference kernel, so the same bytes.
 */
final class Int8VectorMaxPool implements VectorKernels.Int8MaxPool {
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED;
  private static final int BL = B.length();

  private final Conv2DShape g;
  private final int[][] rows;
  private final int[][] cols;
  /** Lanes of the last channel block when {@code C} is not a multiple of {@code BL}, else null. */
  private final VectorMask<Byte> tail;

  Int8VectorMaxPool(Conv2DShape g, int[][] rows, int[][] cols) {
    this.g = g;
    this.rows = rows;
    this.cols = cols;
    this.tail = g.c % BL == 0 ? null : B.indexInRange(0, g.c % BL);
  }

  @Override
  public void compute(byte[] x, int xo, byte[] y, int yo, int r0, int r1) {
    int c = g.c;
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
        int first = xo + ((n * g.h + hs + i0 * g.dh) * g.w + ws + j0 * g.dw) * c;
        int tapStep = g.dw * c;
        int rowStep = g.dh * g.w * c;
        for (int cb = 0; cb < c; cb += BL) {
          VectorMask<Byte> m = cb + BL <= c ? null : tail;
          ByteVector acc = m == null ? ByteVector.fromArray(B, x, first + cb) : ByteVector.fromArray(B, x, first + cb, m);
          for (int i = i0, row = first + cb; i < i1; i++, row += rowStep) {
            for (int j = j0, p = row; j < j1; j++, p += tapStep) {
              acc = acc.max(m == null ? ByteVector.fromArray(B, x, p) : ByteVector.fromArray(B, x, p, m));
            }
          }
          if (m == null) {
            acc.intoArray(y, yp + cb);
          } else {
            acc.intoArray(y, yp + cb, m);
          }
        }
      }
    }
  }
}
