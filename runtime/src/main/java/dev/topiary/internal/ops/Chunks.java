package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;

/**
 * Splits a kernel's independent work items {@code [0, n)} across the session's workers when the
 * work is large enough to pay for a dispatch, and runs it on the calling thread otherwise.
 *
 * <p>Kernels using it must compute every output element inside exactly one item, in an order that
 * does not depend on the split, so results are bit-identical for any thread count. The sequential
 * path allocates nothing; a parallel dispatch allocates one small capture object (the frame must
 * reach the workers and {@link Parallel.RangeBody} has no slot for it).
 */
final class Chunks {
  /**
   * How many multiply-adds of {@link Parallel#minParallelWork()} one unit of {@code work} counts
   * for: elementwise kernels pass elements, each of which costs a load and a store (64 K elements
   * by default, 10–20 µs of a binary op).
   */
  static final int WORK_SCALE = 4;

  /** The work of items {@code [from, to)} on worker {@code worker}. */
  interface Body {
    void run(Frame f, int from, int to, int worker);
  }

  private Chunks() {}

  /**
   * Runs {@code body} over {@code [0, n)}; {@code work} estimates the total cost (e.g. elements
   * touched) and decides whether to go parallel.
   */
  static void run(Frame f, int n, long work, Body body) {
    if (n <= 0) {
      return;
    }
    Parallel p = f.parallel();
    if (p.workers() == 1 || n == 1 || work * WORK_SCALE < p.minParallelWork()) {
      body.run(f, 0, n, 0);
      return;
    }
    p.forRange(n, (from, to, w) -> body.run(f, from, to, w));
  }
}
