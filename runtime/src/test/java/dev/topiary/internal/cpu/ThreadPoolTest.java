package dev.topiary.internal.cpu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

public class ThreadPoolTest {
  @Test
  public void everyItemRunsExactlyOnceInStaticChunks() {
    for (int threads = 1; threads <= 5; threads++) {
      try (ThreadPool pool = new ThreadPool(threads)) {
        for (int n : new int[] {1, 2, 3, 7, 100, 1001}) {
          int[] hits = new int[n];
          int[] owner = new int[n];
          for (int round = 0; round < 50; round++) {
            pool.forRange(n, (from, to, w) -> {
              for (int i = from; i < to; i++) {
                hits[i]++;
                owner[i] = w;
              }
            });
          }
          for (int i = 0; i < n; i++) {
            assertEquals(50, hits[i]);
          }
          if (n > 1) {
            // Static partitioning: worker w owns [n*w/T, n*(w+1)/T).
            for (int w = 0; w < threads; w++) {
              for (int i = Parallel.chunkStart(n, w, threads); i < Parallel.chunkStart(n, w + 1, threads); i++) {
                assertEquals("item " + i + " of " + n, w, owner[i]);
              }
            }
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
            int owner = 0;
            while (Parallel.chunkStart(10, owner + 1, p.workers()) <= i) {
              owner++;
            }
            assertEquals("item " + i, 1 + owner, hits[i]);
          }
        }
      }
    }
  }

  @Test
  public void workerFailureReachesTheCaller() {
    try (ThreadPool pool = new ThreadPool(3)) {
      try {
        pool.forRange(9, (from, to, w) -> {
          if (w == 2) {
            throw new ArithmeticException("boom in worker 2");
          }
        });
        fail();
      } catch (ArithmeticException e) {
        assertEquals("boom in worker 2", e.getMessage());
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
