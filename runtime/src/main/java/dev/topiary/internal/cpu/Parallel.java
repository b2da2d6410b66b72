package dev.topiary.internal.cpu;

/**
 * Static data-parallel execution: {@link #forRange} splits {@code [0, n)} into {@link #workers()}
 * contiguous chunks, chunk {@code w} being {@code [n·w/W, n·(w+1)/W)}, and runs them at once. The
 * split depends only on {@code n} and the worker count, so a kernel whose output elements are
 * each computed by one chunk gives bit-identical results for any number of workers.
 *
 * <p>Not reentrant: a body must not call {@code forRange} again.
 */
public abstract class Parallel {
  /** The work of one chunk. */
  public interface RangeBody {
    void run(int from, int to, int worker);
  }

  private static final Parallel SEQUENTIAL =
      new Parallel() {
        @Override
        public int workers() {
          return 1;
        }

        @Override
        public void forRange(int n, RangeBody body) {
          if (n > 0) {
            body.run(0, n, 0);
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
  public abstract void forRange(int n, RangeBody body);

  /** Start of chunk {@code w} of {@code n} items split {@code workers} ways. */
  public static int chunkStart(int n, int w, int workers) {
    return (int) ((long) n * w / workers);
  }
}
