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

  private static final class Holder {
    static final VectorKernels KERNELS = find();
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
