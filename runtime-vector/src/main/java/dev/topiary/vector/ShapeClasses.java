package dev.topiary.vector;

import java.io.IOException;
import java.io.InputStream;
import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kernel code specialised to a shape: hidden classes defined from one template class's bytes,
 * one per shape, each with the shape (an {@code int[]}) as its class data. The template reads the
 * class data into {@code static final} fields in its static initialiser; C2 folds the static
 * finals of an initialised class, so in each hidden class the shape's strides are constants:
 * offsets become displacements and C2 merges the bounds checks of accesses that differ by a
 * constant ("range check smearing") into the lowest and highest. With the strides in registers,
 * as in one method shared by all shapes, every vector load paid its own check and the offsets
 * spilled (session 13, docs/BENCHMARKS.md).
 *
 * <p>Bounded: at most {@code max} specialised classes for the life of the process, however many
 * models are loaded (a class is a few kilobytes of metaspace plus its compiled code). Past that, or
 * where a hidden class cannot be defined (the template's bytes not found, a linkage error),
 * {@link #constructor} returns {@code null} and the kernel takes the generic class
 * ({@link #generic}: the template with an all-zero shape, whose code then reads the shape from the
 * instance) or its general path, which compute the same sums in the same order. Each class is
 * compiled on its own: a shape no kernel ran before starts interpreted.
 *
 * <p><b>Thread-safe.</b>
 */
final class ShapeClasses {
  private final Class<?> template;
  private final MethodType constructorType;
  private final int shapeLength;
  private final int max;
  private final ConcurrentHashMap<List<Integer>, MethodHandle> byShape = new ConcurrentHashMap<>();
  private volatile byte[] bytes;
  private volatile MethodHandle generic;

  /**
   * @param template the class whose bytes each hidden class is defined from, in this package
   * @param constructorType the type of the template's constructor ({@code void} return)
   * @param shapeLength entries of a shape (of the class data)
   * @param max the most specialised classes ever defined
   */
  ShapeClasses(Class<?> template, MethodType constructorType, int shapeLength, int max) {
    this.template = template;
    this.constructorType = constructorType;
    this.shapeLength = shapeLength;
    this.max = max;
  }

  /**
   * The class data of the calling template class: its {@code shape}, or {@code null} in the template
   * itself, which is never run. For the template's static initialiser.
   */
  static int[] shapeOf(MethodHandles.Lookup caller) {
    try {
      return MethodHandles.classData(caller, ConstantDescs.DEFAULT_NAME, int[].class);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("class data of " + caller.lookupClass(), e);
    }
  }

  /**
   * The constructor of the class for {@code shape}, defined on first use; {@code null} when
   * {@code max} classes exist already or the class cannot be defined.
   */
  MethodHandle constructor(int... shape) {
    List<Integer> key = Arrays.stream(shape).boxed().toList();
    MethodHandle constructor = byShape.get(key);
    if (constructor != null) {
      return constructor;
    }
    if (byShape.size() >= max) {
      return null;
    }
    try {
      return byShape.computeIfAbsent(key, k -> define(shape.clone()));
    } catch (IllegalStateException e) {
      return null;
    }
  }

  /**
   * The constructor of the generic class, defined from the template with an all-zero shape (the
   * template's code then reads the shape from its instance), on first use and outside the bound;
   * {@code null} when it cannot be defined.
   */
  MethodHandle generic() {
    MethodHandle g = generic;
    if (g == null) {
      synchronized (this) {
        g = generic;
        if (g == null) {
          try {
            g = define(new int[shapeLength]);
          } catch (IllegalStateException e) {
            return null;
          }
          generic = g;
        }
      }
    }
    return g;
  }

  /** Specialised classes defined so far. */
  int size() {
    return byShape.size();
  }

  private MethodHandle define(int[] shape) {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup().defineHiddenClassWithClassData(bytes(), shape, true);
      return lookup.findConstructor(lookup.lookupClass(), constructorType);
    } catch (IOException | ReflectiveOperationException | LinkageError | IllegalArgumentException e) {
      throw new IllegalStateException("cannot define a class from " + template.getName(), e);
    }
  }

  private byte[] bytes() throws IOException {
    byte[] b = bytes;
    if (b == null) {
      String name = template.getSimpleName() + ".class";
      try (InputStream in = template.getResourceAsStream(name)) {
        if (in == null) {
          throw new IOException(name + " not found beside " + template.getName());
        }
        b = in.readAllBytes();
      }
      bytes = b;
    }
    return b;
  }
}
