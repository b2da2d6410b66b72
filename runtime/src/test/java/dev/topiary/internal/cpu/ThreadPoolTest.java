package dev.topiary.internal.cpu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.Test;

public class ThreadPoolTest {
  @Test
  public void everyItemRunsExactlyOnceInContiguousChunks() {
    for (int threads = 1; threads <= 5; threads++) {
      try (ThreadPool pool = new ThreadPool(threads)) {
        for (int n : new int[] {1, 2, 3, 7, 100, 1001}) {
          AtomicIntegerArray hits = new AtomicIntegerArray(n);
          int workers = threads;
          for (int round = 0; round < 50; round++) {
            pool.forRange(n, (from, to, w) -> {
              assertTrue(0 <= from && from < to && to <= n);
              assertTrue(0 <= w && w < workers);
              for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
              }
            });
          }
          for (int i = 0; i < n; i++) {
            assertEquals("item " + i + " of " + n + ", " + threads + " threads", 50, hits.get(i));
          }
        }
      }
    }
  }

  @Test
  public void contextReachesEveryChunk() {
    Parallel.Task<int[]> task = (hits, from, to, w) -> {
      for (int i = from; i < to; i++) {
        hits[i] += 1 + w;
      }
    };
    for (int threads = 1; threads <= 3; threads++) {
      try (ThreadPool pool = new ThreadPool(threads)) {
        for (Parallel p : new Parallel[] {pool, Parallel.sequential()}) {
          int[] hits = new int[10];
          p.forRange(10, hits, task);
          for (int i = 0; i < 10; i++) {
            assertTrue("item " + i + ": " + hits[i], 1 <= hits[i] && hits[i] <= p.workers());
          }
        }
      }
    }
  }

  @Test
  public void chunksAreRebalancedWhenAWorkerIsSlow() throws Exception {
    try (ThreadPool pool = new ThreadPool(2)) {
      int n = 64;
      AtomicIntegerArray owner = new AtomicIntegerArray(n);
      // The worker sleeps in its first chunk; the caller takes every chunk left meanwhile.
      pool.forRange(n, (from, to, w) -> {
        if (w == 1) {
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            throw new AssertionError(e);
          }
        }
        for (int i = from; i < to; i++) {
          owner.set(i, w + 1);
        }
      });
      int byWorker = 0;
      for (int i = 0; i < n; i++) {
        assertTrue(owner.get(i) != 0);
        byWorker += owner.get(i) == 2 ? 1 : 0;
      }
      assertTrue("the sleeping worker ran " + byWorker + " of " + n + " items", byWorker <= n / 4);
    }
  }

  @Test
  public void workerFailureReachesTheCaller() {
    try (ThreadPool pool = new ThreadPool(3)) {
      try {
        pool.forRange(9, (from, to, w) -> {
          if (from <= 8 && 8 < to) {
            throw new ArithmeticException("boom at item 8");
          }
        });
        fail();
      } catch (ArithmeticException e) {
        assertEquals("boom at item 8", e.getMessage());
      }
      AtomicInteger count = new AtomicInteger();
      pool.forRange(9, (from, to, w) -> count.addAndGet(to - from));
      assertEquals(9, count.get());
    }
  }

  @Test
  public void survivesIdleParking() throws Exception {
    try (ThreadPool pool = new ThreadPool(2)) {
      AtomicInteger count = new AtomicInteger();
      for (int i = 0; i < 5; i++) {
        Thread.sleep(20);
        pool.forRange(4, (from, to, w) -> count.addAndGet(to - from));
      }
      assertEquals(20, count.get());
    }
  }

  @Test
  public void closedPoolRefusesWork() {
    ThreadPool pool = new ThreadPool(2);
    pool.close();
    pool.close();
    try {
      pool.forRange(4, (a, b, c) -> {});
      fail();
    } catch (IllegalStateException e) {
      assertTrue(e.getMessage().contains("closed"));
    }
  }

  @Test
  public void minParallelWorkDefaultsAndRejectsNegative() {
    assertEquals(Parallel.DEFAULT_MIN_PARALLEL_WORK, Parallel.sequential().minParallelWork());
    try (ThreadPool pool = new ThreadPool(2)) {
      assertEquals(Parallel.DEFAULT_MIN_PARALLEL_WORK, pool.minParallelWork());
      pool.minParallelWork(0);
      assertEquals(0, pool.minParallelWork());
      try {
        pool.minParallelWork(-1);
        fail();
      } catch (IllegalArgumentException e) {
        assertEquals("minimum parallel work must be >= 0, got -1", e.getMessage());
      }
    }
  }

  @Test
  public void dispatchesAfterTheWorkerParked() throws Exception {
    try (ThreadPool pool = new ThreadPool(3)) {
      AtomicInteger count = new AtomicInteger();
      for (int i = 0; i < 3; i++) {
        Thread.sleep(2 * ThreadPool.SPIN_NANOS / 1_000_000 + 5);
        pool.forRange(7, (from, to, w) -> count.addAndGet(to - from));
      }
      assertEquals(21, count.get());
    }
  }
}
