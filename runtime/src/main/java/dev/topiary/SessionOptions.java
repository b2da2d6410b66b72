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

  private SessionOptions(Builder b) {
    this.threads = b.threads;
    this.backend = b.backend;
  }

  /** Default options: threads = min(4, available processors), backend AUTO. */
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

  /** A builder starting from these options. */
  public Builder toBuilder() {
    return new Builder().threads(threads).backend(backend);
  }

  @Override
  public String toString() {
    return "SessionOptions{threads=" + threads + ", backend=" + backend + "}";
  }

  /** Builds {@link SessionOptions}. */
  public static final class Builder {
    private int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    private Backend backend = Backend.AUTO;

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

    public SessionOptions build() {
      return new SessionOptions(this);
    }
  }
}
