package dev.topiary.internal.ops;

/**
 * {@link Int8Conv#requantize} of a row of int32 accumulators, {@code clamp(MBQM(acc + bias, m, shift)
 * + zp, lo, hi)}, in int arithmetic only and in loops small enough for C2 (JDK 17) to vectorise.
 *
 * <p>C2 unrolls, and so vectorises, only loops with a small body, and only when every access to
 * the scratch array is at a compile-time constant offset (see {@code internal/cpu/MicroKernel}):
 * the whole requantization in one loop stays scalar (measured about 3× slower than this). So the
 * row lives at {@code s[0, n)} with {@code n ≤} {@link #MAX}, two temporary rows at {@code s[MAX, 3·MAX)},
 * and the arithmetic is cut into passes of a few operations each.
 *
 * <p>The arithmetic ({@code FixedPoint.multiplyByQuantizedMultiplier} with a multiplier
 * {@code m ≥ 0}, whose high multiply then never saturates): {@code v = (acc + bias) << left} (as a
 * multiplication by {@code 2^left}, the same bits), {@code high = ⌊(v·m + 2^30) / 2^31⌋}, then a
 * right shift by {@code right} rounding half away from zero. The 64-bit product is assembled from
 * 16-bit halves {@code v = vh·2^16 + vl}, {@code m = mh·2^16 + ml}: with {@code Q1 = vh·ml},
 * {@code Q2 = vl·mh} and {@code R = vl·ml} (below 2^32, read unsigned), {@code high = 2·vh·mh +
 * ⌊Q1 / 2^15⌋ + ⌊Q2 / 2^15⌋ + ⌊(Q1 mod 2^15 + Q2 mod 2^15 + ⌊R / 2^16⌋ + 2^14) / 2^15⌋}, every term
 * within int. A per-lane right shift {@code high >> r} (C2 does not vectorise a shift by a varying
 * count) is composed of shifts by 16, 8, 4, 2 and 1, each applied where the lane's bit of {@code r}
 * is set (a mask from the bit, no branch). The rounding adds 1 when the remainder
 * {@code high & mask} exceeds {@code mask/2 + (high < 0 ? 1 : 0)}, taken from a sign bit.
 * Bit-identical to {@link Int8Conv#requantize} for every int input.
 */
final class Requantize {
  /** Longest row. */
  static final int MAX = 1024;
  /** Ints of scratch the passes use, from index 0: the row and two temporary rows. */
  static final int SCRATCH = 3 * MAX;
  private static final int T1 = MAX;
  private static final int T2 = 2 * MAX;

  private Requantize() {}

  /** Per-lane constants of a row: lane {@code t} requantizes with its channel's parameters. */
  static final class Lanes {
    final int[] bias;
    final int[] scale;
    final int[] mHigh;
    final int[] mLow;
    final int[] right;
    final int[] mask;
    /** OR of every lane's right shift: which of the shifts by 16, 8, 4, 2, 1 any lane needs. */
    final int rightBits;
    /** Whether {@code (acc + bias) << left} is {@code acc} in every lane (no bias, no left shift). */
    final boolean plain;

    /**
     * Lanes {@code [0, n)}, lane {@code t} of channel {@code channel[t]} (−1: a lane whose result
     * is not used).
     */
    Lanes(int[] channel, int[] bias, int[] mult, int[] shift) {
      int n = channel.length;
      this.bias = new int[n];
      this.scale = new int[n];
      this.mHigh = new int[n];
      this.mLow = new int[n];
      this.right = new int[n];
      this.mask = new int[n];
      int bits = 0;
      boolean plain = true;
      for (int t = 0; t < n; t++) {
        int c = channel[t];
        if (c < 0) {
          continue;
        }
        this.bias[t] = bias == null ? 0 : bias[c];
        this.scale[t] = 1 << (shift[c] > 0 ? shift[c] : 0);
        this.mHigh[t] = mult[c] >>> 16;
        this.mLow[t] = mult[c] & 0xFFFF;
        int r = shift[c] > 0 ? 0 : -shift[c];
        this.right[t] = r;
        this.mask[t] = (int) ((1L << r) - 1);
        bits |= r;
        plain &= this.bias[t] == 0 && this.scale[t] == 1;
      }
      this.rightBits = bits;
      this.plain = plain;
    }
  }

  /** Requantizes {@code s[0, n)} in place with per-lane constants {@code c} ({@code n ≤ MAX}). */
  static void lanes(int[] s, int n, Lanes c, int zp, int lo, int hi) {
    int[] bias = c.bias;
    int[] scale = c.scale;
    int[] mh = c.mHigh;
    int[] ml = c.mLow;
    if (!c.plain) {
      for (int t = 0; t < n; t++) {
        s[t] = (s[t] + bias[t]) * scale[t];
      }
    }
    for (int t = 0; t < n; t++) {
      int vh = s[t] >> 16;
      int q1 = vh * ml[t];
      s[T1 + t] = q1;
      s[T2 + t] = 2 * (vh * mh[t]) + (q1 >> 15);
    }
    for (int t = 0; t < n; t++) {
      int q2 = (s[t] & 0xFFFF) * mh[t];
      s[T2 + t] = s[T2 + t] + (q2 >> 15);
      s[T1 + t] = (s[T1 + t] & 0x7FFF) + (q2 & 0x7FFF);
    }
    for (int t = 0; t < n; t++) {
      int vl = s[t] & 0xFFFF;
      s[T2 + t] = s[T2 + t] + ((s[T1 + t] + ((vl * ml[t]) >>> 16) + (1 << 14)) >> 15);
    }
    // high is in T2; s becomes high >> right, one power of two at a time.
    System.arraycopy(s, T2, s, 0, n);
    int[] r = c.right;
    if ((c.rightBits & 16) != 0) {
      for (int t = 0; t < n; t++) {
        int b = (r[t] << 27) >> 31;
        s[t] = (s[t] & ~b) | ((s[t] >> 16) & b);
      }
    }
    if ((c.rightBits & 8) != 0) {
      for (int t = 0; t < n; t++) {
        int b = (r[t] << 28) >> 31;
        s[t] = (s[t] & ~b) | ((s[t] >> 8) & b);
      }
    }
    if ((c.rightBits & 4) != 0) {
      for (int t = 0; t < n; t++) {
        int b = (r[t] << 29) >> 31;
        s[t] = (s[t] & ~b) | ((s[t] >> 4) & b);
      }
    }
    if ((c.rightBits & 2) != 0) {
      for (int t = 0; t < n; t++) {
        int b = (r[t] << 30) >> 31;
        s[t] = (s[t] & ~b) | ((s[t] >> 2) & b);
      }
    }
    if ((c.rightBits & 1) != 0) {
      for (int t = 0; t < n; t++) {
        int b = (r[t] << 31) >> 31;
        s[t] = (s[t] & ~b) | ((s[t] >> 1) & b);
      }
    }
    int[] mask = c.mask;
    for (int t = 0; t < n; t++) {
      int high = s[T2 + t];
      int m = mask[t];
      s[t] = s[t] - (((m >> 1) - (high >> 31) - (high & m)) >> 31);
    }
    clamp(s, n, zp, lo, hi);
  }

  /**
   * Requantizes {@code s[0, n)} in place with one channel's constants: {@code acc + add}, multiplier
   * {@code mult}, {@code shift} ({@code n ≤ MAX}).
   */
  static void uniform(int[] s, int n, int add, int mult, int shift, int zp, int lo, int hi) {
    int mh = mult >>> 16;
    int ml = mult & 0xFFFF;
    int ls = shift > 0 ? shift : 0;
    int r = shift > 0 ? 0 : -shift;
    int mask = (int) ((1L << r) - 1);
    int half = mask >> 1;
    for (int t = 0; t < n; t++) {
      s[t] = (s[t] + add) << ls;
    }
    for (int t = 0; t < n; t++) {
      int vh = s[t] >> 16;
      int q1 = vh * ml;
      s[T1 + t] = q1;
      s[T2 + t] = 2 * (vh * mh) + (q1 >> 15);
    }
    for (int t = 0; t < n; t++) {
      int q2 = (s[t] & 0xFFFF) * mh;
      s[T2 + t] = s[T2 + t] + (q2 >> 15);
      s[T1 + t] = (s[T1 + t] & 0x7FFF) + (q2 & 0x7FFF);
    }
    for (int t = 0; t < n; t++) {
      int vl = s[t] & 0xFFFF;
      s[T2 + t] = s[T2 + t] + ((s[T1 + t] + ((vl * ml) >>> 16) + (1 << 14)) >> 15);
    }
    for (int t = 0; t < n; t++) {
      int high = s[T2 + t];
      s[t] = (high >> r) - ((half - (high >> 31) - (high & mask)) >> 31);
    }
    clamp(s, n, zp, lo, hi);
  }

  private static void clamp(int[] s, int n, int zp, int lo, int hi) {
    for (int t = 0; t < n; t++) {
      s[t] = Math.min(Math.max(s[t] + zp, lo), hi);
    }
  }
}
