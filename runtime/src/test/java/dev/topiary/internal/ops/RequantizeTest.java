package dev.topiary.internal.ops;

import static org.junit.Assert.assertEquals;

import java.util.Random;
import org.junit.Test;

/**
 * {@link Requantize}'s vectorisable passes bit-identical to {@link Int8Conv#requantize} (the
 * {@code FixedPoint} oracle) over every shift from −31 to 30, multipliers 0, 2^30 and 2^31 − 1, the
 * int32 edges (where the 16-bit halves and the wrapping left shift matter), random accumulators
 * and biases, row lengths 1 to {@link Requantize#MAX}, and lanes of mixed channels.
 */
public class RequantizeTest {
  private static final int[] EDGES = {0, 1, -1, 2, -2, Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 1,
      Integer.MIN_VALUE + 1, 1 << 30, -(1 << 30), 65535, 65536, -65536, -65537, 32767, -32768};

  private static int multiplier(Random r, int rep) {
    switch (rep % 10) {
      case 0: return 0;
      case 1: return Integer.MAX_VALUE;
      case 2: return 1 << 30;
      default: return (1 << 30) + r.nextInt(1 << 30);
    }
  }

  private static int[] accumulators(Random r, int n) {
    int[] acc = new int[n];
    for (int i = 0; i < n; i++) {
      acc[i] = i < EDGES.length ? EDGES[i]
          : (i % 2 == 0 ? r.nextInt() : r.nextInt(1 << (1 + r.nextInt(30))) - (1 << 14));
    }
    return acc;
  }

  @Test
  public void uniformMatchesFixedPoint() {
    Random r = new Random(9);
    int[] lengths = {Requantize.MAX, 1, 7, 16, 17, 255, 256, 1000};
    for (int rep = 0; rep < 400; rep++) {
      int n = lengths[rep % lengths.length];
      int mult = multiplier(r, rep);
      int shift = rep < 62 ? rep - 31 : r.nextInt(62) - 31;
      int zp = r.nextInt(256) - 128;
      int lo = -128 + r.nextInt(20);
      int hi = 127 - r.nextInt(20);
      int add = rep % 3 == 0 ? 0 : r.nextInt();
      int[] acc = accumulators(r, n);
      int[] s = new int[Requantize.SCRATCH];
      System.arraycopy(acc, 0, s, 0, n);
      Requantize.uniform(s, n, add, mult, shift, zp, lo, hi);
      for (int i = 0; i < n; i++) {
        assertEquals("acc " + acc[i] + " + " + add + ", m " + mult + ", shift " + shift,
            Int8Conv.requantize(acc[i] + add, mult, shift, zp, lo, hi), s[i]);
      }
    }
  }

  @Test
  public void lanesMatchFixedPoint() {
    Random r = new Random(10);
    int[] lengths = {Requantize.MAX, 1, 3, 16, 31, 96, 256, 577};
    for (int rep = 0; rep < 200; rep++) {
      int n = lengths[rep % lengths.length];
      int channels = 1 + r.nextInt(40);
      int[] mult = new int[channels];
      int[] shift = new int[channels];
      int[] bias = new int[channels];
      for (int c = 0; c < channels; c++) {
        mult[c] = multiplier(r, rep + c);
        // Every shift from −31 to 30 across the first reps, then random ones.
        shift[c] = rep < 62 && c == 0 ? rep - 31 : r.nextInt(62) - 31;
        bias[c] = r.nextInt(3) == 0 ? 0 : r.nextInt();
      }
      int[] channel = new int[n];
      for (int t = 0; t < n; t++) {
        channel[t] = r.nextInt(channels);
      }
      boolean withBias = rep % 2 == 0;
      Requantize.Lanes lanes = new Requantize.Lanes(channel, withBias ? bias : null, mult, shift);
      int zp = r.nextInt(256) - 128;
      int lo = -128 + r.nextInt(20);
      int hi = 127 - r.nextInt(20);
      int[] acc = accumulators(r, n);
      int[] s = new int[Requantize.SCRATCH];
      System.arraycopy(acc, 0, s, 0, n);
      Requantize.lanes(s, n, lanes, zp, lo, hi);
      for (int t = 0; t < n; t++) {
        int c = channel[t];
        int add = withBias ? bias[c] : 0;
        assertEquals("lane " + t + ": acc " + acc[t] + " + " + add + ", m " + mult[c] + ", shift " + shift[c],
            Int8Conv.requantize(acc[t] + add, mult[c], shift[c], zp, lo, hi), s[t]);
      }
    }
  }
}
