package dev.topiary.internal.cpu;

/**
 * Static data-parallel execution: {@link #forRange} splits {@code [0, n)} into {@link #workers()}
 * contiguous chunks, chunk {@code w} being {@code [n·w/W, n·(w+1)/W)}, and runs them at once. The
 * split depends only on {@code n} and the worker count, so a kernel whose output elements are
 * each computed by one chunk gives bit-identical results for any number of workers.
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
