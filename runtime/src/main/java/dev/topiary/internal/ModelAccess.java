package dev.topiary.internal;

import dev.topiary.Model;
import dev.topiary.internal.format.Artifact;
import dev.topiary.internal.plan.Plan;

/**
 * Lets Topiary's own tools (CLI, profiler, tests) reach a {@link Model}'s artifact and plan without
 * making them API. Installed by {@code Model}'s static initializer.
 */
public abstract class ModelAccess {
  private static volatile ModelAccess instance;

  public static void install(ModelAccess access) {
    instance = access;
  }

  public static ModelAccess get() {
    if (instance == null) {
      try {
        Class.forName(Model.class.getName(), true, Model.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
    }
    return instance;
  }

  public abstract Artifact artifact(Model model);

  public abstract Plan plan(Model model);

  /** Loads a model with explicit planner options (e.g. reference kernels only, for differential tests). */
  public abstract Model load(java.nio.ByteBuffer buffer, dev.topiary.internal.plan.Planner.Options options)
      throws dev.topiary.ModelFormatException;

  /**
   * Switches per-step timing of {@code session} on ({@code stepNanos} non-null, one element per
   * {@link Plan#steps() plan step}) or off (null). While on, every run overwrites
   * {@code stepNanos[i]} with the wall-clock nanoseconds of step {@code i}; outputs are unchanged.
   * Off, a run costs one null check more. For the profiler only; call between runs, from the
   * thread that runs the session.
   *
   * @throws IllegalArgumentException if the array's length is not the number of plan steps
   */
  public abstract void timeSteps(dev.topiary.Session session, long[] stepNanos);

  /**
   * Sets the work below which the kernels of {@code session} run on the calling thread
   * ({@code Parallel.minParallelWork()}); 0 splits every kernel's work across the session's
   * threads. For tests, so that small shapes exercise the parallel paths; no effect on a
   * one-thread session. Results do not depend on it.
   */
  public abstract void minParallelWork(dev.topiary.Session session, long work);
}
