package dev.topiary.internal.plan;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.Test;

public class MemoryPlannerTest {
  @Test
  public void chainReusesMemory() {
    // a(0..1) b(1..2) c(2..3) d(3..4): only two are ever alive together.
    long[] sizes = {64, 64, 64, 64};
    MemoryPlanner.Result r = MemoryPlanner.plan(sizes, new int[] {0, 1, 2, 3}, new int[] {1, 2, 3, 4});
    assertEquals(128, r.lowerBound);
    assertEquals(128, r.peak);
    assertTrue(r.offsets[0] != r.offsets[1]);
    assertEquals(r.offsets[0], r.offsets[2]);
  }

  @Test
  public void lowerBoundIsTheLargestLiveSum() {
    long[] sizes = {100, 10, 50};
    int[] first = {0, 0, 1};
    int[] last = {1, 2, 2};
    assertEquals(160, MemoryPlanner.lowerBound(sizes, first, last));
  }

  @Test
  public void randomLifetimesNeverOverlapInMemory() {
    Random r = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + r.nextInt(40);
      long[] sizes = new long[n];
      int[] first = new int[n];
      int[] last = new int[n];
      for (int i = 0; i < n; i++) {
        sizes[i] = r.nextInt(5000);
        first[i] = r.nextInt(30);
        last[i] = first[i] + r.nextInt(6);
      }
      MemoryPlanner.Result res = MemoryPlanner.plan(sizes, first, last);
      assertTrue(res.peak >= res.lowerBound);
      for (int i = 0; i < n; i++) {
        assertEquals(0, res.offsets[i] % MemoryPlanner.ALIGN);
        assertTrue(res.offsets[i] + sizes[i] <= res.peak);
        for (int j = i + 1; j < n; j++) {
          boolean timeOverlap = first[i] <= last[j] && first[j] <= last[i];
          boolean memOverlap = res.offsets[i] < res.offsets[j] + sizes[j] && res.offsets[j] < res.offsets[i] + sizes[i];
          assertTrue("tensors " + i + " and " + j + " share memory while both alive",
              !(timeOverlap && memOverlap && sizes[i] > 0 && sizes[j] > 0));
        }
      }
    }
  }

  /**
   * The planner before its segment tree (every placed tensor scanned for each new one, O(n²)): the
   * oracle of the fast one, which must place every tensor at the same offset.
   */
  static long[] quadraticOffsets(long[] sizes, int[] first, int[] last) {
    int n = sizes.length;
    long[] offsets = new long[n];
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingLong((Integer i) -> -MemoryPlanner.aligned(sizes[i]))
        .thenComparingInt(i -> first[i]));
    List<Integer> placed = new ArrayList<>();
    for (int idx : order) {
      long size = MemoryPlanner.aligned(sizes[idx]);
      if (size == 0) {
        continue;
      }
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
        cursor = Math.max(cursor, offsets[p] + MemoryPlanner.aligned(sizes[p]));
      }
      offsets[idx] = best < 0 ? cursor : best;
      placed.add(idx);
    }
    return offsets;
  }

  /** Random graph-like lifetimes: most tensors read by the next few steps, some skip connections, some outputs. */
  private static int[][] lifetimes(Random r, int n, int steps, int maxSkip, int outputOneIn) {
    int[] first = new int[n];
    int[] last = new int[n];
    for (int i = 0; i < n; i++) {
      first[i] = (int) ((long) i * steps / n);
      int span = r.nextInt(10) == 0 ? r.nextInt(maxSkip + 1) : r.nextInt(4);
      last[i] = r.nextInt(outputOneIn) == 0 ? steps : Math.min(steps, first[i] + span);
    }
    return new int[][] {first, last};
  }

  @Test
  public void sameOffsetsAsTheQuadraticPlannerOnRandomLargeGraphs() {
    Random r = new Random(2026);
    for (int trial = 0; trial < 12; trial++) {
      int n = trial < 4 ? 1 + r.nextInt(50) : 500 + r.nextInt(3000);
      int steps = Math.max(1, n / (1 + r.nextInt(3)));
      int[][] fl = lifetimes(r, n, steps, steps / 4, 200);
      long[] sizes = new long[n];
      for (int i = 0; i < n; i++) {
        // Repeated sizes (ties in the order), zero sizes and a spread of magnitudes.
        sizes[i] = r.nextInt(8) == 0 ? 0 : r.nextInt(4) == 0 ? 4096 : 1 + r.nextInt(1 << (4 + r.nextInt(14)));
      }
      MemoryPlanner.Result res = MemoryPlanner.plan(sizes, fl[0], fl[1]);
      long[] oracle = quadraticOffsets(sizes, fl[0], fl[1]);
      long oraclePeak = 0;
      for (int i = 0; i < n; i++) {
        oraclePeak = Math.max(oraclePeak, oracle[i] + MemoryPlanner.aligned(sizes[i]));
      }
      assertTrue("trial " + trial, Arrays.equals(oracle, res.offsets));
      assertEquals(oraclePeak, res.peak);
      assertTrue(res.peak >= res.lowerBound);
      assertEquals(MemoryPlanner.lowerBound(sizes, fl[0], fl[1]), res.lowerBound);
    }
  }

  @Test
  public void manyTensorsPlanWithoutScanningEveryPlacedOne() {
    // 100,000 tensors with skip connections up to 64 steps and 10 outputs: the quadratic planner
    // looks at 5·10^9 pairs here.
    Random r = new Random(3);
    int n = 100_000;
    int[][] fl = lifetimes(r, n, n / 2, 64, 10_000);
    long[] sizes = new long[n];
    for (int i = 0; i < n; i++) {
      sizes[i] = 1 + r.nextInt(1 << 12);
    }
    long t0 = System.nanoTime();
    MemoryPlanner.Result res = MemoryPlanner.plan(sizes, fl[0], fl[1]);
    assertTrue(res.peak >= res.lowerBound);
    assertTrue("took " + (System.nanoTime() - t0) / 1e9 + " s", System.nanoTime() - t0 < 30e9);
  }
}
