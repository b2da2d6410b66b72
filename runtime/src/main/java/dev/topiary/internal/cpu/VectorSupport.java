package dev.topiary.internal.cpu;

import java.util.Iterator;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Finds the optional {@link VectorKernels} once: the first {@link VectorKernels.Provider} listed in
 * {@code META-INF/services} by this class's class loader whose {@code create()} returns kernels.
 * Without the {@code topiary-runtime-vector} jar (always on Android and Java 11–20), or without
 * {@code --add-modules jdk.incubator.vector} on the command line, there is none and the planner
 * binds the C2 kernels. The result is a fact about the JVM, cached; whether a plan uses it is
 * {@code Planner.Options.vectorKernels}.
 */
public final class VectorSupport {
  private VectorSupport() {}

  /** The vector kernels available in this JVM, or null. */
  public static VectorKernels kernels() {
    return Holder.KERNELS;
  }

  /**
   * Where this JVM puts large arrays, as the vector kernels found it
   * ({@link VectorKernels#arenaPlacement()}); {@link ArenaPlacement#UNKNOWN} without them. Found
   * once (about 16 ms on HotSpot 25: the management API starts); the vector kernels may already
   * have probed it while the first model's weights were packed.
   */
  public static ArenaPlacement arenaPlacement() {
    return PlacementHolder.PLACEMENT;
  }

  private static final class Holder {
    static final VectorKernels KERNELS = find();
  }

  private static final class PlacementHolder {
    static final ArenaPlacement PLACEMENT = placement();
  }

  private static ArenaPlacement placement() {
    VectorKernels k = kernels();
    if (k == null) {
      return ArenaPlacement.UNKNOWN;
    }
    try {
      ArenaPlacement p = k.arenaPlacement();
      return p == null ? ArenaPlacement.UNKNOWN : p;
    } catch (RuntimeException | LinkageError e) {
      // No management API in this runtime image, or a JVM that answers otherwise: place nothing.
      return ArenaPlacement.UNKNOWN;
    }
  }

  private static VectorKernels find() {
    ClassLoader loader = VectorKernels.class.getClassLoader();
    Iterator<VectorKernels.Provider> it = ServiceLoader.load(VectorKernels.Provider.class, loader).iterator();
    try {
      while (it.hasNext()) {
        VectorKernels k = it.next().create();
        if (k != null) {
          return k;
        }
      }
    } catch (ServiceConfigurationError | LinkageError e) {
      // A provider that cannot even be loaded: the vector jar (class files for Java 21) on an
      // older JVM. The C2 kernels are always there; carry on without it.
    }
    return null;
  }
}
