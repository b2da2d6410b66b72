package dev.topiary.internal.plan;

import dev.topiary.DataType;
import dev.topiary.TensorInfo;
import dev.topiary.internal.cpu.ArenaPlacement;
import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.internal.ops.Kernel;
import java.lang.reflect.Array;
import java.util.List;

/**
 * The executable form of a model: kernels in execution order, where each tensor lives, arena sizes.
 * Immutable and shared by every session of the model.
 */
public final class Plan {
  /** One node of the execution order. */
  public static final class Step {
    public final int nodeIndex;
    public final String nodeName;
    public final String opType;
    public final Kernel kernel;
    public final int[] inputs;
    public final int[] outputs;
    /**
     * Nodes whose work this step's kernel does besides its own (a residual Add fused into the
     * convolution before it), in execution order; usually none. Their outputs are this step's.
     */
    public final int[] fusedNodes;

    Step(int nodeIndex, String nodeName, String opType, Kernel kernel, int[] inputs, int[] outputs,
        int[] fusedNodes) {
      this.nodeIndex = nodeIndex;
      this.nodeName = nodeName;
      this.opType = opType;
      this.kernel = kernel;
      this.inputs = inputs;
      this.outputs = outputs;
      this.fusedNodes = fusedNodes;
    }
  }

  final List<Step> steps;
  final String[] names;
  final DataType[] types;
  final int[][] shapes;
  /** True for the artifact's constants. */
  final boolean[] constant;
  /**
   * Constant storage per tensor id: the arrays kernels read through the Frame at run time; null for
   * arena tensors and for constants only used at bind time (packed or copied into a kernel).
   */
  final Object[] constants;
  /** Storage class per tensor id (see {@link Storage}). */
  final Storage[] storage;
  /** Element offset of arena tensors in their class's arena. */
  final int[] offsets;
  /** Arena size per storage class, in elements. */
  final int[] arenaElements;
  final long arenaBytes;
  final long lowerBoundBytes;
  final int scratchFloats;
  final int scratchInts;
  final int scratchLongs;
  final int scratchBytes;
  final int[] inputIds;
  final int[] outputIds;
  final List<TensorInfo> inputs;
  final List<TensorInfo> outputs;
  /** Whether any step is bound to the vector kernels ({@link VectorKernels}). */
  final boolean vectorKernels;

  Plan(
      List<Step> steps,
      String[] names,
      DataType[] types,
      int[][] shapes,
      boolean[] constant,
      Object[] constants,
      Storage[] storage,
      int[] offsets,
      int[] arenaElements,
      long arenaBytes,
      long lowerBoundBytes,
      int scratchFloats,
      int scratchInts,
      int scratchLongs,
      int scratchBytes,
      int[] inputIds,
      int[] outputIds,
      List<TensorInfo> inputs,
      List<TensorInfo> outputs,
      boolean vectorKernels) {
    this.steps = steps;
    this.names = names;
    this.types = types;
    this.shapes = shapes;
    this.constant = constant;
    this.constants = constants;
    this.storage = storage;
    this.offsets = offsets;
    this.arenaElements = arenaElements;
    this.arenaBytes = arenaBytes;
    this.lowerBoundBytes = lowerBoundBytes;
    this.scratchFloats = scratchFloats;
    this.scratchInts = scratchInts;
    this.scratchLongs = scratchLongs;
    this.scratchBytes = scratchBytes;
    this.inputIds = inputIds;
    this.outputIds = outputIds;
    this.inputs = inputs;
    this.outputs = outputs;
    this.vectorKernels = vectorKernels;
  }

  public List<Step> steps() {
    return steps;
  }

  public List<TensorInfo> inputs() {
    return inputs;
  }

  public List<TensorInfo> outputs() {
    return outputs;
  }

  public int tensorCount() {
    return names.length;
  }

  public String tensorName(int id) {
    return names[id];
  }

  public DataType tensorType(int id) {
    return types[id];
  }

  /** Resolved shape of tensor {@code id} (a copy). */
  public int[] tensorShape(int id) {
    return shapes[id].clone();
  }

  public boolean isConstant(int id) {
    return constant[id];
  }

  /**
   * Bytes of the constant arrays the plan itself holds (those read through the Frame at run time);
   * weights packed or copied into kernels are not counted.
   */
  public long constantBytes() {
    long total = 0;
    for (int id = 0; id < constants.length; id++) {
      if (constants[id] != null) {
        total += (long) Array.getLength(constants[id]) * storage[id].bytes;
      }
    }
    return total;
  }

  /** Peak arena bytes of one session, all storage classes together. */
  public long arenaBytes() {
    return arenaBytes;
  }

  /** Largest total bytes of tensors alive at one step: no memory plan can use less. */
  public long arenaLowerBoundBytes() {
    return lowerBoundBytes;
  }

  /** Scratch floats each worker needs. */
  public int scratchFloats() {
    return scratchFloats;
  }

  /** Scratch ints each worker needs. */
  public int scratchInts() {
    return scratchInts;
  }

  /** Scratch longs each worker needs. */
  public int scratchLongs() {
    return scratchLongs;
  }

  /** Scratch bytes each worker needs. */
  public int scratchBytes() {
    return scratchBytes;
  }

  /** Whether the plan was bound with the vector kernels, whose arenas are worth placing ({@link ArenaPlacement}). */
  public boolean usesVectorKernels() {
    return vectorKernels;
  }

  /**
   * Creates the storage of one session at the planned offsets, without placement: arena arrays per
   * class and the frame's array table ({@link #newArena}, {@link ArenaPlacement#UNKNOWN}).
   */
  public Object[] newFrameArrays() {
    return newArena(ArenaPlacement.UNKNOWN).arrays;
  }

  /** Element offsets per tensor id (constants start at 0), without placement. */
  public int[] frameOffsets() {
    return offsets.clone();
  }

  /**
   * An arena class is placed when its planned size is at least this (smaller arenas are left as
   * they are: their accesses are few).
   */
  static final long PLACE_FROM_BYTES = 16 << 10;
  /**
   * Most bytes an arena array is grown by to reach {@link ArenaPlacement#minBytes} (4 MiB: with
   * G1 half a region of up to 8 MiB, that is heaps up to 16 GiB by G1's sizing).
   */
  static final long MAX_PAD_BYTES = 4 << 20;

  /**
   * Creates the storage of one session: arena arrays per class, the frame's array table and each
   * tensor's element offset. With a known {@code placement}, an arena class of at least
   * {@link #PLACE_FROM_BYTES} is allocated at no less than {@link ArenaPlacement#minBytes} (when
   * that grows it by at most {@link #MAX_PAD_BYTES}), and its tensors are shifted by
   * {@link ArenaPlacement#lead} elements, so that every tensor starts a cache line: the planner
   * puts them at multiples of {@link MemoryPlanner#ALIGN} elements, whole cache lines for 4-byte
   * elements. Element values and results are the same either way.
   */
  public Arena newArena(ArenaPlacement placement) {
    Storage[] classes = Storage.values();
    Object[] arenas = new Object[classes.length];
    int[] leads = new int[classes.length];
    long allocated = 0;
    for (Storage s : classes) {
      long planned = arenaElements[s.ordinal()];
      long length = planned;
      if (placement.known() && planned * s.bytes >= PLACE_FROM_BYTES) {
        int lead = placement.lead(s.bytes);
        long minElements = (placement.minBytes() + s.bytes - 1) / s.bytes;
        long placed = Math.max(planned + lead, minElements);
        if ((placed - planned) * s.bytes <= MAX_PAD_BYTES && placed <= Integer.MAX_VALUE - 16) {
          leads[s.ordinal()] = lead;
          length = placed;
        }
      }
      arenas[s.ordinal()] = s.newArray((int) length);
      allocated += length * s.bytes;
    }
    Object[] arrays = new Object[names.length];
    int[] at = offsets.clone();
    for (int id = 0; id < names.length; id++) {
      arrays[id] = constant[id] ? constants[id] : arenas[storage[id].ordinal()];
      if (!constant[id]) {
        at[id] += leads[storage[id].ordinal()];
      }
    }
    return new Arena(arrays, at, allocated);
  }

  /** One session's storage ({@link #newArena}). */
  public static final class Arena {
    /** Per tensor id: the array holding it (its class's arena, or a constant's array). */
    public final Object[] arrays;
    /** Per tensor id: its first element's index in {@code arrays[id]}. */
    public final int[] offsets;
    /** Bytes of the arena arrays, padding for placement included. */
    public final long allocatedBytes;

    Arena(Object[] arrays, int[] offsets, long allocatedBytes) {
      this.arrays = arrays;
      this.offsets = offsets;
      this.allocatedBytes = allocatedBytes;
    }
  }

  public int inputId(int k) {
    return inputIds[k];
  }

  public int outputId(int k) {
    return outputIds[k];
  }
}
