package dev.topiary.internal.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Places tensors in one arena so that tensors whose lifetimes overlap never share memory.
 *
 * <p>Greedy by size: tensors are placed largest first, each at the best-fitting gap between the
 * already placed tensors it is alive with (the smallest gap that holds it, else above them all).
 * The lower bound is the largest total size of tensors alive at one step: no placement can beat it.
 */
public final class MemoryPlanner {
  /** Offsets are multiples of this many elements (64 bytes of floats). */
  public static final int ALIGN = 16;

  /** Offsets and totals, in elements. */
  public static final class Result {
    public final long[] offsets;
    public final long peak;
    public final long lowerBound;

    Result(long[] offsets, long peak, long lowerBound) {
      this.offsets = offsets;
      this.peak = peak;
      this.lowerBound = lowerBound;
    }
  }

  private MemoryPlanner() {}

  /**
   * @param sizes elements per tensor
   * @param first first step at which each tensor is alive (written)
   * @param last last step at which each tensor is alive (read), inclusive
   */
  public static Result plan(long[] sizes, int[] first, int[] last) {
    int n = sizes.length;
    long[] offsets = new long[n];
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingLong((Integer i) -> -aligned(sizes[i])).thenComparingInt(i -> first[i]));
    List<Integer> placed = new ArrayList<>();
    long peak = 0;
    for (int idx : order) {
      long size = aligned(sizes[idx]);
      if (size == 0) {
        offsets[idx] = 0;
        continue;
      }
      // Live neighbours sorted by offset.
      List<Integer> live = new ArrayList<>();
      for (int p : placed) {
        if (first[p] <= last[idx] && first[idx] <= last[p]) {
          live.add(p);
        }
      }
      live.sort(Comparator.comparingLong(p -> offsets[p]));
      long best = -1;
      long bestGap = Long.MAX_VALUE;
      long cursor = 0;
      for (int p : live) {
        long gap = offsets[p] - cursor;
        if (gap >= size && gap < bestGap) {
          best = cursor;
          bestGap = gap;
        }
        cursor = Math.max(cursor, offsets[p] + aligned(sizes[p]));
      }
      if (best < 0) {
        best = cursor;
      }
      offsets[idx] = best;
      placed.add(idx);
      peak = Math.max(peak, best + size);
    }
    return new Result(offsets, peak, lowerBound(sizes, first, last));
  }

  /** Largest sum of (unaligned) sizes alive at any one step. */
  static long lowerBound(long[] sizes, int[] first, int[] last) {
    int steps = 0;
    for (int i = 0; i < sizes.length; i++) {
      steps = Math.max(steps, last[i] + 1);
    }
    long[] delta = new long[steps + 1];
    for (int i = 0; i < sizes.length; i++) {
      delta[first[i]] += sizes[i];
      delta[last[i] + 1] -= sizes[i];
    }
    long live = 0;
    long best = 0;
    for (int s = 0; s < steps; s++) {
      live += delta[s];
      best = Math.max(best, live);
    }
    return best;
  }

  static long aligned(long size) {
    return (size + ALIGN - 1) / ALIGN * ALIGN;
  }
}
