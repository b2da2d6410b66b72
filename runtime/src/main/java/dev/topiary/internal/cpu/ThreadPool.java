package dev.topiary.internal.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of {@code threads - 1} daemon workers plus the calling thread. Dispatch is a
 * volatile generation counter: workers spin briefly after finishing a chunk (kernels of one
 * inference follow each other within microseconds), then park; the caller unparks only parked
 * workers. No allocation per dispatch.
 */
public final class ThreadPool extends Parallel implements AutoCloseable {
  /** About 50 µs of spinning before parking. */
  private static final int SPIN_LIMIT = 1 << 14;

  private final Worker[] workers;
  private final int threads;
  private final AtomicInteger remaining = new AtomicInteger();
  private volatile long generation;
  private volatile Task<Object> task;
  private volatile Object context;
  private volatile int items;
  private volatile boolean closed;
  private volatile Throwable failure;
  private volatile Thread waiter;

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
    this.failure = null;
    this.waiter = Thread.currentThread();
    remaining.set(workers.length);
    generation++;
    for (Worker w : workers) {
      if (w.parked) {
        LockSupport.unpark(w.thread);
      }
    }
    Throwable own = null;
    try {
      int end = chunkStart(n, 1, threads);
      if (end > 0) {
        task.run(context, 0, end, 0);
      }
    } catch (Throwable t) {
      own = t;
    }
    int spins = 0;
    while (remaining.get() != 0) {
      if (++spins > SPIN_LIMIT) {
        LockSupport.parkNanos(this, 50_000L);
      }
    }
    this.task = null;
    this.context = null;
    Throwable f = own != null ? own : failure;
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
        while (generation == seen) {
          if (++spins > SPIN_LIMIT) {
            parked = true;
            if (generation == seen) {
              LockSupport.park(ThreadPool.this);
            }
            parked = false;
            spins = 0;
          }
        }
        seen = generation;
        if (closed) {
          return;
        }
        try {
          int n = items;
          int from = chunkStart(n, index, threads);
          int to = chunkStart(n, index + 1, threads);
          if (to > from) {
            task.run(context, from, to, index);
          }
        } catch (Throwable t) {
          failure = t;
        } finally {
          if (remaining.decrementAndGet() == 0) {
            Thread w = waiter;
            if (w != null) {
              LockSupport.unpark(w);
            }
          }
        }
      }
    }
  }
}
