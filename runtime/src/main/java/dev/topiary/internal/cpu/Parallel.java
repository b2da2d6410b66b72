package dev.topiary.internal.cpu;

/**
 * Data-parallel execution: {@link #forRange} cuts {@code [0, n)} into contiguous chunks and runs
 * them on {@link #workers()} threads at once. Which thread runs which chunk, and where chunks
 * begin, are not fixed ({@link ThreadPool} hands out chunks as threads ask for them, so a thread
 * the OS preempted does not hold the others up): a kernel must compute each of its items the same
 * way whatever chunk the item falls in, and then gives bit-identical results for any number of
 * workers.
 *
 * <p>Not reentrant: a body must not call {@code forRange} again.
 *
 * <p>Kernels use {@link #forRange(int, Object, Task)}: the task is created once at bind time and the
 * per-run state (usually the {@code Frame}) travels as the context argument, so a dispatch allocates
 * nothing.
 */
public abstract class Parallel {
  /** The work of one chunk. */
  public interface RangeBody {
    void run(int from, int to, int worker);
  }

  /** The work of one chunk, with the context given to {@link #forRange(int, Object, Task)}. */
  public interface Task<C> {
    void run(C context, int from, int to, int worker);
  }

  /**
   * Default of {@link #minParallelWork()}: 4 M multiply-adds, about 40–80 µs of work on one core. A
   * dispatch that must wake a parked worker costs tens of microseconds on a busy machine, so
   * smaller layers lost more than they gained: with the earlier 64 K, two threads took 2× the
   * one-thread time on the Fashion-MNIST CNN at batch 1 (largest layer 0.8 M multiply-adds) and
   * 2.5× on the MLP at batch 32 (1.6 M; still 1.7× with a 1 M threshold); docs/BENCHMARKS.md.
   */
  public static final long DEFAULT_MIN_PARALLEL_WORK = 1 << 22;

  private static final Task<RangeBody> RUN_BODY = (body, from, to, worker) -> body.run(from, to, worker);

  private static final Parallel SEQUENTIAL =
      new Parallel() {
        @Override
        public int workers() {
          return 1;
        }

        @Override
        public <C> void forRange(int n, C context, Task<? super C> task) {
          if (n > 0) {
            task.run(context, 0, n, 0);
          }
        }
      };

  /** One worker: the calling thread. */
  public static Parallel sequential() {
    return SEQUENTIAL;
  }

  /** Number of chunks work is split into (the calling thread counts as worker 0). */
  public abstract int workers();

  /**
   * Work (in multiply-adds, or elementary operations of similar cost) below which a kernel runs on
   * the calling thread instead of dispatching: {@link #DEFAULT_MIN_PARALLEL_WORK} unless a test
   * lowered it ({@link ThreadPool#minParallelWork(long)}), and less right after a dispatch, while
   * a pool's workers still spin ({@link ThreadPool#AWAKE_MIN_PARALLEL_WORK}). Whether a kernel
   * splits never changes its results, only its speed.
   */
  public long minParallelWork() {
    return DEFAULT_MIN_PARALLEL_WORK;
  }

  /** Runs {@code body} over {@code [0, n)} split into contiguous chunks; returns when all finish. */
  public final void forRange(int n, RangeBody body) {
    forRange(n, body, RUN_BODY);
  }

  /**
   * Runs {@code task} over {@code [0, n)} split into contiguous chunks, passing {@code context} to
   * every chunk; returns when all finish. A failure in any chunk is rethrown to the caller.
   */
  public abstract <C> void forRange(int n, C context, Task<? super C> task);

  /** Start of chunk {@code w} of {@code n} items split {@code workers} ways. */
  public static int chunkStart(int n, int w, int workers) {
    return (int) ((long) n * w / workers);
  }
}
