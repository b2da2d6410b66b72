package dev.topiary.internal.ops;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every op type the runtime executes, registered explicitly, one line per op, in the family files
 * listed below. No classpath scanning.
 */
public final class OpRegistry {
  private static final OpRegistry INSTANCE = new OpRegistry();

  private final Map<String, OpFactory> factories = new TreeMap<>();

  private OpRegistry() {
    LinearOps.register(this);
    ActivationOps.register(this);
    BinaryOps.register(this);
    PoolOps.register(this);
    ShapeOps.register(this);
    NormOps.register(this);
    QuantOps.register(this);
  }

  /** The registry of built-in ops. */
  public static OpRegistry builtin() {
    return INSTANCE;
  }

  void add(OpFactory f) {
    if (factories.put(f.opType(), f) != null) {
      throw new IllegalStateException("op type registered twice: " + f.opType());
    }
  }

  /** The factory for {@code opType}, or null when the runtime does not know it. */
  public OpFactory get(String opType) {
    return factories.get(opType);
  }

  /** All known op types, sorted. */
  public Map<String, OpFactory> all() {
    return Collections.unmodifiableMap(factories);
  }
}
