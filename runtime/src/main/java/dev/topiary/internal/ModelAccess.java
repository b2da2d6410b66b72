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
}
