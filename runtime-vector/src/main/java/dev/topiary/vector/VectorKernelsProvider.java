package dev.topiary.vector;

import dev.topiary.internal.cpu.VectorKernels;

/**
 * The service entry of this module ({@code META-INF/services}): supplies {@link VectorKernels} when
 * the JVM runs with {@code --add-modules jdk.incubator.vector}, else nothing.
 *
 * <p>This class names no incubator type, so it loads in any JVM that can read Java 21 class files;
 * {@link FloatVectorKernels}, which does, is only touched once the module is known to be present.
 */
public final class VectorKernelsProvider implements VectorKernels.Provider {
  /** The incubator module the kernels need at run time. */
  static final String MODULE = "jdk.incubator.vector";

  @Override
  public VectorKernels create() {
    if (!available()) {
      return null;
    }
    return FloatVectorKernels.createIfUseful();
  }

  /** Whether {@code jdk.incubator.vector} is in the boot layer (it is only there when asked for). */
  static boolean available() {
    return ModuleLayer.boot().findModule(MODULE).isPresent();
  }
}
