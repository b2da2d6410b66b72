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
   * Default of {@link #minParallelWork()}: 256 K multiply-adds, about 5 µs of work on one core.
   * A dispatch costs a microsecond or two: the pool's workers spin for a while after each one, and
   * they claim chunks on demand, so a worker that is parked or preempted leaves its share to the
   * calling thread instead of making it wait. It was 4 M while dispatch woke parked workers and
   * split work in static halves (two threads then took twice the one-thread time on the
   * Fashion-MNIST CNN); with 256 K two threads run the CNN at batch 1 in 40 µs instead of 52 and
   * the MLP at batch 32 in 31 µs instead of 40 (docs/BENCHMARKS.md, "Parallel threshold").
   */
  public static final long DEFAULT_MIN_PARALLEL_WORK = 1 << 18;

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
   * changed it ({@link ThreadPool#minParallelWork(long)}). Whether a kernel splits never changes
   * its results, only its speed.
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
