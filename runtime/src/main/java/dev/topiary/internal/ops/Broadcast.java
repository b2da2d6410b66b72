package dev.topiary.internal.ops;

import dev.topiary.Shape;

/**
 * NumPy broadcasting of shapes: align trailing dimensions; a missing or size-1 dimension stretches
 * to the other's size; otherwise sizes must be equal. Used by the elementwise binary ops and
 * available to ops that broadcast batch dimensions.
 */
public final class Broadcast {
  private Broadcast() {}

  /**
   * The broadcast shape of {@code a} and {@code b}.
   *
   * @throws IllegalArgumentException {@code "cannot broadcast [2,3] with [4]"} when incompatible
   */
  public static int[] shape(int[] a, int[] b) {
    int rank = Math.max(a.length, b.length);
    int[] out = new int[rank];
    for (int k = 1; k <= rank; k++) {
      int da = k <= a.length ? a[a.length - k] : 1;
      int db = k <= b.length ? b[b.length - k] : 1;
      if (da == db || db == 1) {
        out[rank - k] = da;
      } else if (da == 1) {
        out[rank - k] = db;
      } else {
        throw new IllegalArgumentException("cannot broadcast " + Shape.of(a) + " with " + Shape.of(b));
      }
    }
    return out;
  }

  /**
   * Element strides of {@code in} read as {@code out}'s shape: {@code in}'s natural strides
   * aligned to the trailing dimensions, 0 where {@code in} is stretched or missing.
   * {@code in} must broadcast to {@code out}.
   */
  public static int[] strides(int[] in, int[] out) {
    int[] s = new int[out.length];
    int stride = 1;
    for (int k = 1; k <= out.length; k++) {
      int d = k <= in.length ? in[in.length - k] : 1;
      s[out.length - k] = (d == 1 && out[out.length - k] != 1) || k > in.length ? 0 : stride;
      stride *= d;
    }
    return s;
  }
}
