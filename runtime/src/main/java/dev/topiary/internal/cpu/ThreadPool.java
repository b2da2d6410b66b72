package dev.topiary.internal.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of {@code threads - 1} daemon workers plus the calling thread. Dispatch is a
 * volatile generation counter: workers spin after finishing a chunk for {@link #SPIN_NANOS} of
 * wall time, then park; the caller unparks only parked workers. No allocation per dispatch.
 *
 * <p>The items are cut into about {@code 4·threads} chunks, which the caller and the workers claim
 * one at a time (a compare-and-set on one counter) until none is left: on a busy machine a worker
 * that is preempted, or slow to wake, leaves its share to the others instead of making the caller
 * wait for it, possibly a whole time slice (docs/BENCHMARKS.md, "Small models at batch 1").
 *
 * <p>The spin is timed with {@link System#nanoTime()} (read every {@code SPIN_CHECK} iterations)
 * rather than counted in iterations, whose duration depends on the CPU.
 */
public final class ThreadPool extends Parallel implements AutoCloseable {
  /**
   * Wall time a worker (or the waiting caller) spins before it parks. Short on purpose: on a busy
   * machine a thread that spins for long looks CPU-bound to the scheduler and is then preempted
   * for whole time slices (milliseconds); 300 µs made two threads 20–30× slower than one on the
   * Fashion-MNIST models at a load average of 3 on 2 cores, 60 µs 2–3× (docs/BENCHMARKS.md).
   * Small layers avoid the pool altogether (the kernels' work thresholds).
   */
  static final long SPIN_NANOS = 20_000L;
  /** Chunks per thread a dispatch is cut into: small enough to rebalance, few enough to claim cheaply. */
  private static final int CHUNKS_PER_THREAD = 4;
  /** Spin iterations between two reads of the clock. */
  private static final int SPIN_CHECK = 64;

  private final Worker[] workers;
  private final int threads;
  /** Dispatch number (high 32 bits) and first unclaimed item (low 32 bits) of the current dispatch. */
  private final AtomicLong claims = new AtomicLong();
  /** Items of the current dispatch that have run (or failed). */
  private final AtomicInteger done = new AtomicInteger();
  /** Number of the current dispatch; written by the calling thread only. */
  private int dispatch;
  private volatile int grain;
  private volatile long generation;
  private volatile Task<Object> task;
  private volatile Object context;
  private volatile int items;
  private volatile boolean closed;
  private volatile Throwable failure;
  private volatile Thread waiter;
  private volatile long minParallelWork = DEFAULT_MIN_PARALLEL_WORK;

  /** Starts {@code threads - 1} worker threads. */
  public ThreadPool(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    this.workers = new Worker[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(i + 1);
      workers[i].thread.start();
    }
  }

  @Override
  public int workers() {
    return threads;
  }

  /** The configured minimum ({@link #minParallelWork(long)}), by default {@link #DEFAULT_MIN_PARALLEL_WORK}. */
  @Override
  public long minParallelWork() {
    return minParallelWork;
  }

  /**
   * Sets {@link #minParallelWork()}; 0 makes every kernel split its work, which tests use so that
   * small shapes still exercise the parallel paths. Call between runs.
   */
  public void minParallelWork(long work) {
    if (work < 0) {
      throw new IllegalArgumentException("minimum parallel work must be >= 0, got " + work);
    }
    this.minParallelWork = work;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <C> void forRange(int n, C context, Task<? super C> task) {
    if (closed) {
      throw new IllegalStateException("thread pool is closed");
    }
    if (n <= 0) {
      return;
    }
    if (threads == 1 || n == 1) {
      task.run(context, 0, n, 0);
      return;
    }
    this.task = (Task<Object>) task;
    this.context = context;
    this.items = n;
    this.grain = Math.max(1, n / (CHUNKS_PER_THREAD * threads));
    this.failure = null;
    this.waiter = Thread.currentThread();
    done.set(0);
    int seq = ++dispatch;
    claims.set((long) seq << 32);
    generation++;
    for (Worker w : workers) {
      if (w.parked) {
        LockSupport.unpark(w.thread);
      }
    }
    work(seq, 0);
    int spins = 0;
    long deadline = 0;
    while (done.get() != n) {
      if (++spins % SPIN_CHECK == 0) {
        long now = System.nanoTime();
        if (deadline == 0) {
          deadline = now + SPIN_NANOS;
        } else if (now - deadline > 0) {
          LockSupport.parkNanos(this, 50_000L);
        }
      }
    }
    // Close the dispatch before anything is reset: a worker that wakes late finds no item left.
    claims.set((long) seq << 32 | Integer.MAX_VALUE);
    this.task = null;
    this.context = null;
    Throwable f = failure;
    if (f instanceof RuntimeException) {
      throw (RuntimeException) f;
    }
    if (f instanceof Error) {
      throw (Error) f;
    }
    if (f != null) {
      throw new IllegalStateException("worker failed", f);
    }
  }

  /**
   * Claims chunks of dispatch {@code seq} and runs them until none is left. The fields of the
   * dispatch are read after {@code seq}, and every claim is a compare-and-set that names
   * {@code seq}: a thread holding the fields of another dispatch cannot claim anything (the caller
   * closes a dispatch before it writes the next one's fields).
   */
  private void work(int seq, int worker) {
    Task<Object> t = task;
    Object c = context;
    int n = items;
    int g = grain;
    while (true) {
      long s = claims.get();
      int from = (int) s;
      if ((int) (s >>> 32) != seq || from >= n || t == null) {
        return;
      }
      int to = (int) Math.min((long) from + g, n);
      if (!claims.compareAndSet(s, (long) seq << 32 | to)) {
        continue;
      }
      try {
        t.run(c, from, to, worker);
      } catch (Throwable e) {
        failure = e;
      } finally {
        if (done.addAndGet(to - from) == n) {
          Thread w = waiter;
          if (w != null) {
            LockSupport.unpark(w);
          }
        }
      }
    }
  }

  /** Stops the workers. Harmless to call twice. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    generation++;
    for (Worker w : workers) {
      LockSupport.unpark(w.thread);
    }
  }

  private final class Worker implements Runnable {
    final int index;
    final Thread thread;
    /** Generation at creation: read here, not in run(), or a late-starting thread misses the first dispatch. */
    final long startGeneration;
    volatile boolean parked;

    Worker(int index) {
      this.index = index;
      this.startGeneration = generation;
      this.thread = new Thread(this, "topiary-worker-" + index);
      thread.setDaemon(true);
    }

    @Override
    public void run() {
      long seen = startGeneration;
      while (true) {
        int spins = 0;
        long deadline = System.nanoTime() + SPIN_NANOS;
        while (generation == seen) {
          if (++spins % SPIN_CHECK == 0 && System.nanoTime() - deadline > 0) {
            parked = true;
            if (generation == seen) {
              LockSupport.park(ThreadPool.this);
            }
            parked = false;
            deadline = System.nanoTime() + SPIN_NANOS;
          }
        }
        seen = generation;
        if (closed) {
          return;
        }
        work((int) (claims.get() >>> 32), index);
      }
    }
  }
}
