package dev.topiary;

/**
 * Immutable options of a {@link Session}.
 *
 * <pre>{@code
 * SessionOptions opts = SessionOptions.builder().threads(2).backend(Backend.CPU).build();
 * try (Session s = model.newSession(opts)) { ... }
 * }</pre>
 */
public final class SessionOptions {
  private static final SessionOptions DEFAULTS = builder().build();

  private final int threads;
  private final Backend backend;
  private final int warmUpRuns;
  private final boolean placeArena;

  private SessionOptions(Builder b) {
    this.threads = b.threads;
    this.backend = b.backend;
    this.warmUpRuns = b.warmUpRuns;
    this.placeArena = b.placeArena;
  }

  /**
   * Default options: threads = min(4, available processors), backend AUTO, no warm-up runs, arena
   * placed on cache lines where the JVM allows it.
   */
  public static SessionOptions defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Threads a session computes with, the calling thread included. */
  public int threads() {
    return threads;
  }

  /** The backend the session executes on. */
  public Backend backend() {
    return backend;
  }

  /** Runs the session does on zero inputs when it is opened (see {@link Builder#warmUpRuns}). */
  public int warmUpRuns() {
    return warmUpRuns;
  }

  /** Whether the session places its arena on cache lines where it can (see {@link Builder#placeArena}). */
  public boolean placeArena() {
    return placeArena;
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    return new Builder().threads(threads).backend(backend).warmUpRuns(warmUpRuns).placeArena(placeArena);
  }

  @Override
  public String toString() {
    return "SessionOptions{threads=" + threads + ", backend=" + backend + ", warmUpRuns=" + warmUpRuns
        + ", placeArena=" + placeArena + "}";
  }

  /** Builds {@link SessionOptions}. */
  public static final class Builder {
    private int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    private Backend backend = Backend.AUTO;
    private int warmUpRuns;
    private boolean placeArena = true;

    private Builder() {}

    /**
     * Threads to compute with, the calling thread included. Default: min(4, available processors).
     * Results are bit-identical for every thread count.
     *
     * @throws IllegalArgumentException if {@code threads} is not in 1..256
     */
    public Builder threads(int threads) {
      if (threads < 1 || threads > 256) {
        throw new IllegalArgumentException("threads must be in 1..256, got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** Backend to execute on. Default {@link Backend#AUTO}. */
    public Builder backend(Backend backend) {
      if (backend == null) {
        throw new NullPointerException("backend");
      }
      this.backend = backend;
      return this;
    }

    /**
     * Runs the session does on all-zero inputs when {@link Model#newSession} opens it, so that the
     * first real {@link Session#run} does not pay for the JIT. On a HotSpot JVM the kernels start
     * interpreted: MobileNetV2's first run took 779 ms against 10.7 ms once compiled, and about ten
     * runs compile everything (measured: after 10 warm-up runs, 1.2 s in all, the next run took
     * 11 ms). Opening the session then takes that long instead, on the thread that opens it (at
     * start-up, in the background, rather than on the first user request). Outputs of real runs
     * do not depend on it. Default 0.
     *
     * @throws IllegalArgumentException if {@code runs} is not in 0..10000
     */
    public Builder warmUpRuns(int runs) {
      if (runs < 0 || runs > 10_000) {
        throw new IllegalArgumentException("warm-up runs must be in 0..10000, got " + runs);
      }
      this.warmUpRuns = runs;
      return this;
    }

    /**
     * Whether the session places its arena (the arrays of intermediate tensors) so that every
     * tensor starts a 64-byte cache line. It can only where the vector kernels run and the JVM
     * puts large arrays at a known alignment: HotSpot's G1 collector (the default) starts an array
     * larger than half a heap region at a region boundary. An arena class of 16 KiB or more that
     * is smaller than that is then grown to it, by at most 4 MiB ({@link Session#arenaBytes()}
     * tells what was allocated). Java otherwise aligns arrays to 8 bytes only, so a 64-byte vector
     * load straddles two cache lines in most processes; placed, MobileNetV2 ran 7 % and the
     * Fashion-MNIST CNN 4 % faster on a Zen 4 core (docs/BENCHMARKS.md). Results are the same
     * either way. Default true; false keeps the arena at its planned size, for many sessions of
     * small models where memory counts more.
     */
    public Builder placeArena(boolean place) {
      this.placeArena = place;
      return this;
    }

    public SessionOptions build() {
      return new SessionOptions(this);
    }
  }
}
