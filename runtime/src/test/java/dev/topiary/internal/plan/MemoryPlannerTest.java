package dev.topiary.internal.plan;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

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
}
