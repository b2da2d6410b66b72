package dev.topiary.internal.ops;

import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every op type the runtime executes, registered explicitly, one line per op, in the family files
 * listed below, with the {@link Precision}s it has kernels for (and, for
 * {@link Precision#FLOAT16_WEIGHTS}, the input slots that may hold FLOAT16 constants). No classpath
 * scanning. The planner refuses a node whose inputs ask for a precision its op does not declare,
 * before binding it; the converter's quantizer reads the same table.
 */
public final class OpRegistry {
  private static final OpRegistry INSTANCE = new OpRegistry();

  private final Map<String, OpFactory> factories = new TreeMap<>();
  private final Map<String, Set<Precision>> precisions = new HashMap<>();
  private final Map<String, int[]> float16Slots = new HashMap<>();

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

  /** Registers {@code f} with kernels for FLOAT32 only. */
  void add(OpFactory f) {
    add(f, EnumSet.of(Precision.FLOAT32));
  }

  /**
   * Registers {@code f} with kernels for {@code p}; with {@link Precision#FLOAT16_WEIGHTS},
   * {@code float16Slots} lists the input slots that may hold FLOAT16 constants.
   */
  void add(OpFactory f, Set<Precision> p, int... float16Slots) {
    if (p.contains(Precision.FLOAT16_WEIGHTS) != (float16Slots.length > 0)) {
      throw new IllegalStateException(f.opType() + ": FLOAT16_WEIGHTS and FLOAT16 slots go together");
    }
    if (factories.put(f.opType(), f) != null) {
      throw new IllegalStateException("op type registered twice: " + f.opType());
    }
    precisions.put(f.opType(), Collections.unmodifiableSet(EnumSet.copyOf(p)));
    this.float16Slots.put(f.opType(), float16Slots.clone());
  }

  /** The precisions {@code opType} has kernels for; empty when the runtime does not know it. */
  public Set<Precision> precisions(String opType) {
    Set<Precision> p = precisions.get(opType);
    return p == null ? Collections.<Precision>emptySet() : p;
  }

  /** True when {@code opType} has a kernel for {@code p}. */
  public boolean supports(String opType, Precision p) {
    return precisions(opType).contains(p);
  }

  /** True when input {@code slot} of {@code opType} may be a FLOAT16 constant. */
  public boolean acceptsFloat16(String opType, int slot) {
    int[] s = float16Slots.get(opType);
    if (s != null) {
      for (int k : s) {
        if (k == slot) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * True when an INT8 kernel of {@code opType} can apply the fused activation named
   * {@code activation} (the node's {@code activation} attribute; empty or null means NONE).
   */
  public boolean int8Activation(String opType, String activation) {
    return supports(opType, Precision.INT8) && !"HARD_SWISH".equals(activation);
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
