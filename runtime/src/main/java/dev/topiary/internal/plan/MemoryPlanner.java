package dev.topiary.internal.plan;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Places tensors in one arena so that tensors whose lifetimes overlap never share memory.
 *
 * <p>Greedy by size: tensors are placed largest first, each at the best-fitting gap between the
 * already placed tensors it is alive with (the smallest gap that holds it, else above them all).
 * The placed tensors alive with a new one come from a segment tree over the steps, so planning
 * costs O(n log n) plus the sizes of those live sets (it scanned every placed tensor, O(n²), before).
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
    int steps = 1;
    for (int i = 0; i < n; i++) {
      order[i] = i;
      steps = Math.max(steps, last[i] + 1);
    }
    Arrays.sort(order, Comparator.comparingLong((Integer i) -> -aligned(sizes[i])).thenComparingInt(i -> first[i]));
    Lifetimes placed = new Lifetimes(steps, n);
    int[] live = new int[16];
    Integer[] byOffset = new Integer[16];
    long peak = 0;
    for (int idx : order) {
      long size = aligned(sizes[idx]);
      if (size == 0) {
        offsets[idx] = 0;
        continue;
      }
      // Placed tensors alive with this one, sorted by offset.
      int k = placed.overlapping(first[idx], last[idx], live);
      live = placed.buffer;
      if (byOffset.length < k) {
        byOffset = new Integer[Math.max(k, 2 * byOffset.length)];
      }
      for (int q = 0; q < k; q++) {
        byOffset[q] = live[q];
      }
      Arrays.sort(byOffset, 0, k, Comparator.comparingLong(p -> offsets[p]));
      long best = -1;
      long bestGap = Long.MAX_VALUE;
      long cursor = 0;
      for (int q = 0; q < k; q++) {
        int p = byOffset[q];
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
      placed.add(idx, first[idx], last[idx]);
      peak = Math.max(peak, best + size);
    }
    return new Result(offsets, peak, lowerBound(sizes, first, last));
  }

  /**
   * Placed lifetimes (inclusive step intervals) in a segment tree over the steps, so that the
   * tensors alive with a new one are found without looking at every placed tensor: an interval is
   * listed as "covering" at the O(log steps) nodes its range splits into and as "partial" at their
   * ancestors. A query reports the covering lists of the nodes on its way down and, at each node it
   * covers entirely, also the partial list; a stamp per tensor removes repeats.
   */
  private static final class Lifetimes {
    private final int leaves;
    private final int[][] cover;
    private final int[] coverCount;
    private final int[][] partial;
    private final int[] partialCount;
    private final int[] seen;
    private int query;
    int[] buffer;
    private int found;

    Lifetimes(int steps, int tensors) {
      int l = 1;
      while (l < steps) {
        l <<= 1;
      }
      leaves = l;
      cover = new int[2 * l][];
      coverCount = new int[2 * l];
      partial = new int[2 * l][];
      partialCount = new int[2 * l];
      seen = new int[tensors];
    }

    void add(int id, int from, int to) {
      add(1, 0, leaves - 1, id, from, to);
    }

    private void add(int node, int lo, int hi, int id, int from, int to) {
      if (to < lo || hi < from) {
        return;
      }
      if (from <= lo && hi <= to) {
        append(cover, coverCount, node, id);
        return;
      }
      append(partial, partialCount, node, id);
      int mid = (lo + hi) >>> 1;
      add(2 * node, lo, mid, id, from, to);
      add(2 * node + 1, mid + 1, hi, id, from, to);
    }

    /** Writes the placed tensors alive at some step of [from, to] to {@link #buffer}; returns how many. */
    int overlapping(int from, int to, int[] into) {
      buffer = into;
      found = 0;
      query++;
      collect(1, 0, leaves - 1, from, to);
      return found;
    }

    private void collect(int node, int lo, int hi, int from, int to) {
      if (to < lo || hi < from) {
        return;
      }
      report(cover[node], coverCount[node]);
      if (from <= lo && hi <= to) {
        report(partial[node], partialCount[node]);
        return;
      }
      int mid = (lo + hi) >>> 1;
      collect(2 * node, lo, mid, from, to);
      collect(2 * node + 1, mid + 1, hi, from, to);
    }

    private void report(int[] ids, int count) {
      for (int q = 0; q < count; q++) {
        int id = ids[q];
        if (seen[id] != query) {
          seen[id] = query;
          if (found == buffer.length) {
            buffer = Arrays.copyOf(buffer, 2 * found);
          }
          buffer[found++] = id;
        }
      }
    }

    private static void append(int[][] lists, int[] counts, int node, int id) {
      int[] l = lists[node];
      if (l == null) {
        l = lists[node] = new int[4];
      } else if (counts[node] == l.length) {
        l = lists[node] = Arrays.copyOf(l, 2 * l.length);
      }
      l[counts[node]++] = id;
    }
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
