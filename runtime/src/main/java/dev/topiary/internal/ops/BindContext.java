package dev.topiary.internal.ops;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.internal.format.proto.Attribute;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.quantization.QuantParams;
import java.util.Arrays;

/**
 * What an {@link OpFactory} sees of the node it binds: resolved input types and shapes, constant
 * values, attributes with defaults, and where to declare outputs. Attribute readers check the
 * attribute's kind and range; {@link #error} builds an exception naming the node.
 */
public final class BindContext {
  /** Supplies constant values and tensor facts; implemented by the planner. */
  public interface Tensors {
    DataType type(int id);

    int[] shape(int id);

    boolean isConstant(int id);

    /**
     * Records that a kernel reads tensor {@code id} through the {@link Frame} at run time, so a
     * constant's array must stay in the plan. Constants nobody reads this way (weights a kernel
     * packed or copied at bind time) are dropped from the plan once every node is bound.
     */
    default void readAtRunTime(int id) {}

    /** Constant values as FLOAT32 (FLOAT16 constants are widened). */
    float[] floats(int id);

    /** Integer constant values (INT8, UINT8, INT32, INT64, BOOL) widened to long. */
    long[] longs(int id);

    String name(int id);

    /**
     * Fraction of the elements of constant {@code id} that are zero, in [0, 1]: from the stored
     * sparse encoding when there is one, otherwise counted in the values.
     */
    default double zeroFraction(int id) {
      float[] v = floats(id);
      return v.length == 0 ? 0 : countZeros(v) / (double) v.length;
    }

    /**
     * True when more than {@code threshold} of the elements of constant {@code id} are zero: the
     * same answer as {@code zeroFraction(id) > threshold}, but may stop counting as soon as the
     * answer is known (dense weights: after a fifth of them at the default threshold).
     */
    default boolean zeroFractionAbove(int id, double threshold) {
      return zeroFraction(id) > threshold;
    }

    /**
     * {@code countZeros(a) / (double) n > threshold} for a float array of {@code n} elements,
     * stopping once the non-zeros seen leave too few elements to get there.
     */
    static boolean zerosAbove(float[] a, double threshold) {
      int n = a.length;
      if (n == 0 || threshold < 0) {
        return 0 > threshold;
      }
      int nonzeros = 0;
      for (int start = 0; start < n; start += 4096) {
        int end = Math.min(n, start + 4096);
        int z = 0;
        for (int i = start; i < end; i++) {
          z += a[i] == 0f ? 1 : 0;
        }
        nonzeros += end - start - z;
        if ((n - nonzeros) / (double) n <= threshold) {
          return false; // even if every remaining element is zero
        }
      }
      return (n - nonzeros) / (double) n > threshold;
    }

    /** Number of zero elements of a constant array (float[], int[], long[] or byte[]). */
    static int countZeros(Object a) {
      int z = 0;
      if (a instanceof float[]) {
        for (float x : (float[]) a) {
          z += x == 0f ? 1 : 0;
        }
      } else if (a instanceof int[]) {
        for (int x : (int[]) a) {
          z += x == 0 ? 1 : 0;
        }
      } else if (a instanceof long[]) {
        for (long x : (long[]) a) {
          z += x == 0 ? 1 : 0;
        }
      } else if (a instanceof byte[]) {
        for (byte x : (byte[]) a) {
          z += x == 0 ? 1 : 0;
        }
      }
      return z;
    }

    /**
     * The tensor's quantization parameters from its descriptor (one scale: per tensor; several:
     * per axis), or null when it has none.
     */
    QuantParams quant(int id);
  }

  /** Default of {@link #sparseThreshold()}: the measured {@code SparseLinearKernel.THRESHOLD}. */
  public static final double DEFAULT_SPARSE_THRESHOLD = SparseLinearKernel.THRESHOLD;

  private final Node node;
  private final int nodeIndex;
  private final Tensors tensors;
  private final boolean referenceKernels;
  private final double sparseThreshold;
  private final VectorKernels vectorKernels;
  private final DataType[] outTypes;
  private final int[][] outShapes;
  private int scratchFloats;
  private int scratchInts;
  private int scratchLongs;
  private int scratchBytes;

  public BindContext(Node node, int nodeIndex, Tensors tensors, boolean referenceKernels) {
    this(node, nodeIndex, tensors, referenceKernels, SparseLinearKernel.THRESHOLD);
  }

  /**
   * @param sparseThreshold weight zero fraction above which linear ops bind their sparse kernels
   *     (above 1: never; below 0: always)
   */
  public BindContext(Node node, int nodeIndex, Tensors tensors, boolean referenceKernels, double sparseThreshold) {
    this(node, nodeIndex, tensors, referenceKernels, sparseThreshold, null);
  }

  /**
   * @param vectorKernels the Vector API kernels fast paths may bind, or null for the C2 kernels
   */
  public BindContext(Node node, int nodeIndex, Tensors tensors, boolean referenceKernels, double sparseThreshold,
      VectorKernels vectorKernels) {
    this.node = node;
    this.vectorKernels = vectorKernels;
    this.nodeIndex = nodeIndex;
    this.tensors = tensors;
    this.referenceKernels = referenceKernels;
    this.sparseThreshold = sparseThreshold;
    this.outTypes = new DataType[node.getOutputsCount()];
    this.outShapes = new int[node.getOutputsCount()][];
  }

  public String nodeName() {
    return node.getName().isEmpty() ? "#" + nodeIndex : node.getName();
  }

  public String opType() {
    return node.getOpType();
  }

  /** True when the plan asks for reference kernels only (for differential testing and debugging). */
  public boolean referenceKernels() {
    return referenceKernels;
  }

  /** The Vector API kernels this plan may bind, or null (not available, or turned off by the options). */
  public VectorKernels vectorKernels() {
    return vectorKernels;
  }

  /** {@link #vectorKernels()} when they include the int8 kernels ({@link VectorKernels#hasInt8()}), else null. */
  public VectorKernels int8VectorKernels() {
    return vectorKernels != null && vectorKernels.hasInt8() ? vectorKernels : null;
  }

  /** Weight zero fraction above which linear ops bind their sparse kernels. */
  public double sparseThreshold() {
    return sparseThreshold;
  }

  // ---- inputs ----

  public int inputCount() {
    return node.getInputsCount();
  }

  /** True when input {@code i} exists and is not an omitted optional input. */
  public boolean hasInput(int i) {
    return i < node.getInputsCount() && node.getInputs(i) >= 0;
  }

  /**
   * The tensor id by which the kernel reads input {@code i} through the {@link Frame} at run time.
   * Asking for it declares that read: a constant input keeps its array in the plan (shared by every
   * session) only if some kernel asked for its id. A kernel that only packs or copies a constant at
   * bind time reads it through {@link #constantFloats} / {@link #constantLongs} and never asks for
   * its id, so the plan does not hold the raw array next to the packed copy.
   */
  public int inputId(int i) {
    int id = node.getInputs(i);
    if (id >= 0) {
      tensors.readAtRunTime(id);
    }
    return id;
  }

  /** The tensor name of input {@code i}, for messages. */
  public String inputName(int i) {
    return tensors.name(node.getInputs(i));
  }

  public DataType inputType(int i) {
    return tensors.type(node.getInputs(i));
  }

  public int[] inputShape(int i) {
    return tensors.shape(node.getInputs(i)).clone();
  }

  public boolean isConstant(int i) {
    return tensors.isConstant(node.getInputs(i));
  }

  /**
   * Quantization parameters of input {@code i} as stored in the artifact (unchecked), or null when
   * the tensor has none. See {@link Int8Checks} for the checked forms kernels use.
   */
  public QuantParams inputQuant(int i) {
    return tensors.quant(node.getInputs(i));
  }

  public float[] constantFloats(int i) throws ModelFormatException {
    requireConstant(i);
    return tensors.floats(node.getInputs(i));
  }

  /**
   * Fraction of zero elements of constant input {@code i} (its sparsity), in [0, 1]. Kernels use it
   * to choose a sparse implementation; the values themselves come from {@link #constantFloats}.
   */
  public double sparsity(int i) throws ModelFormatException {
    requireConstant(i);
    return tensors.zeroFraction(node.getInputs(i));
  }

  /**
   * {@code sparsity(i) > threshold}, answered without counting every element when it is clear
   * earlier: how kernels decide for a sparse implementation.
   */
  public boolean sparsityAbove(int i, double threshold) throws ModelFormatException {
    requireConstant(i);
    return tensors.zeroFractionAbove(node.getInputs(i), threshold);
  }

  public long[] constantLongs(int i) throws ModelFormatException {
    requireConstant(i);
    return tensors.longs(node.getInputs(i));
  }

  /** Checks the number of inputs, counting omitted optional inputs. */
  public void requireInputs(int min, int max) throws ModelFormatException {
    int n = node.getInputsCount();
    if (n < min || n > max) {
      throw error("expects " + (min == max ? "" + min : min + " to " + max) + " inputs, got " + n);
    }
    for (int i = 0; i < min; i++) {
      if (node.getInputs(i) < 0) {
        throw error("input " + i + " is required");
      }
    }
  }

  /** Checks that input {@code i} has type {@code t}. */
  public void requireType(int i, DataType t) throws ModelFormatException {
    if (inputType(i) != t) {
      throw error("input " + i + " '" + inputName(i) + "' must be " + t + ", got " + inputType(i));
    }
  }

  /** Checks that input {@code i} has rank {@code r}. */
  public void requireRank(int i, int r) throws ModelFormatException {
    int[] s = tensors.shape(node.getInputs(i));
    if (s.length != r) {
      throw error("input " + i + " '" + inputName(i) + "' must have rank " + r + ", got "
          + Shape.of(s));
    }
  }

  public void requireConstant(int i) throws ModelFormatException {
    if (!hasInput(i) || !tensors.isConstant(node.getInputs(i))) {
      throw error("input " + i + " must be a constant");
    }
  }

  // ---- a residual Add the planner offers to fuse ----

  /**
   * The Add of a residual connection that reads this node's only output: {@code output = t + tensor}
   * with {@code activation} applied after the sum, {@code tensor} already computed when this node
   * runs and of the same FLOAT32 shape as the Add's output. A kernel that takes it
   * ({@link #takeResidual}) writes {@code output} itself, and the Add does not run.
   */
  public static final class Residual {
    private final int tensor;
    private final int output;
    private final Activation activation;

    public Residual(int tensor, int output, Activation activation) {
      this.tensor = tensor;
      this.output = output;
      this.activation = activation;
    }

    /** The tensor added to this node's output. */
    public int tensor() {
      return tensor;
    }

    /** The Add's output, which a kernel that takes the residual writes. */
    public int output() {
      return output;
    }

    /** The Add's fused activation. */
    public Activation activation() {
      return activation;
    }
  }

  private Residual residual;
  private boolean residualTaken;

  /** Offers the kernel a residual Add to fuse (the planner, before {@link OpFactory#bind}). */
  public void offerResidual(Residual r) {
    this.residual = r;
  }

  /** The residual Add on offer, or null. */
  public Residual residualOffer() {
    return residual;
  }

  /** Takes the residual on offer: the bound kernel adds it and writes the Add's output. */
  public void takeResidual() {
    if (residual == null) {
      throw new IllegalStateException("no residual on offer");
    }
    residualTaken = true;
  }

  /** Whether the bound kernel took the residual on offer. */
  public boolean residualTaken() {
    return residualTaken;
  }

  private boolean relabels;

  /**
   * Declares that output 0 holds input 0's elements in the same order and storage (Reshape,
   * Flatten, Squeeze, Unsqueeze): the planner may then place the output on the input's memory and
   * drop the copy, when the input is not a constant.
   */
  public void relabelsInput() {
    relabels = true;
  }

  /** Whether the bound op declared {@link #relabelsInput}. */
  public boolean relabels() {
    return relabels;
  }

  // ---- outputs ----

  public int outputCount() {
    return node.getOutputsCount();
  }

  public int outputId(int i) {
    return node.getOutputs(i);
  }

  /** The tensor name of output {@code i}, for messages. */
  public String outputName(int i) {
    return tensors.name(node.getOutputs(i));
  }

  /** The data type output {@code i} is declared with in the artifact. */
  public DataType declaredOutputType(int i) {
    return tensors.type(node.getOutputs(i));
  }

  /**
   * Quantization parameters output {@code i} is declared with in the artifact (unchecked), or null
   * when it has none.
   */
  public QuantParams outputQuant(int i) {
    return tensors.quant(node.getOutputs(i));
  }

  /** Declares output {@code i}; the planner checks it against the artifact's declaration. */
  public void setOutput(int i, DataType type, int[] shape) throws ModelFormatException {
    long count = 1;
    for (int d : shape) {
      if (d < 0) {
        throw error("computed a negative output dimension: " + Arrays.toString(shape));
      }
      count *= d;
      if (count > Integer.MAX_VALUE) {
        throw error("output " + Arrays.toString(shape) + " has more than 2^31-1 elements");
      }
    }
    outTypes[i] = type;
    outShapes[i] = shape.clone();
  }

  public DataType outputType(int i) {
    return outTypes[i];
  }

  public int[] outputShape(int i) {
    return outShapes[i];
  }

  /** Requests {@code floats} of per-worker scratch memory for this kernel's run. */
  public void requestScratch(int floats) {
    scratchFloats = Math.max(scratchFloats, floats);
  }

  public int scratchFloats() {
    return scratchFloats;
  }

  /** Requests {@code ints} of per-worker int scratch memory (int32 accumulators) for this kernel's run. */
  public void requestScratchInts(int ints) {
    scratchInts = Math.max(scratchInts, ints);
  }

  public int scratchInts() {
    return scratchInts;
  }

  /** Requests {@code longs} of per-worker long scratch memory (packed int8 rows) for this kernel's run. */
  public void requestScratchLongs(int longs) {
    scratchLongs = Math.max(scratchLongs, longs);
  }

  public int scratchLongs() {
    return scratchLongs;
  }

  /** Requests {@code bytes} of per-worker byte scratch memory (int8 im2col rows) for this kernel's run. */
  public void requestScratchBytes(int bytes) {
    scratchBytes = Math.max(scratchBytes, bytes);
  }

  public int scratchBytes() {
    return scratchBytes;
  }

  // ---- attributes ----

  public boolean hasAttr(String name) {
    return find(name) != null;
  }

  public long attrInt(String name, long dflt) throws ModelFormatException {
    Attribute a = find(name);
    if (a == null) {
      return dflt;
    }
    if (a.getValueCase() != Attribute.ValueCase.I) {
      throw error("attribute '" + name + "' must be an int, got " + a.getValueCase());
    }
    return a.getI();
  }

  /** An int attribute that must lie in [min, max]. */
  public int attrInt(String name, int dflt, int min, int max) throws ModelFormatException {
    long v = attrInt(name, dflt);
    if (v < min || v > max) {
      throw error("attribute '" + name + "' is " + v + ", expected " + min + ".." + max);
    }
    return (int) v;
  }

  public long[] attrInts(String name, long[] dflt) throws ModelFormatException {
    Attribute a = find(name);
    if (a == null) {
      return dflt == null ? null : dflt.clone();
    }
    if (a.getValueCase() != Attribute.ValueCase.INTS) {
      throw error("attribute '" + name + "' must be a list of ints, got " + a.getValueCase());
    }
    long[] v = new long[a.getInts().getValuesCount()];
    for (int k = 0; k < v.length; k++) {
      v[k] = a.getInts().getValues(k);
    }
    return v;
  }

  /** An int-list attribute of exactly {@code length} values, each in [min, max]. */
  public int[] attrInts(String name, int[] dflt, int length, int min, int max) throws ModelFormatException {
    long[] v = attrInts(name, null);
    if (v == null) {
      return dflt == null ? null : dflt.clone();
    }
    if (length >= 0 && v.length != length) {
      throw error("attribute '" + name + "' needs " + length + " values, got " + v.length);
    }
    int[] out = new int[v.length];
    for (int k = 0; k < v.length; k++) {
      if (v[k] < min || v[k] > max) {
        throw error("attribute '" + name + "'[" + k + "] is " + v[k] + ", expected " + min + ".." + max);
      }
      out[k] = (int) v[k];
    }
    return out;
  }

  public float attrFloat(String name, float dflt) throws ModelFormatException {
    Attribute a = find(name);
    if (a == null) {
      return dflt;
    }
    if (a.getValueCase() == Attribute.ValueCase.I) {
      return a.getI();
    }
    if (a.getValueCase() != Attribute.ValueCase.F) {
      throw error("attribute '" + name + "' must be a float, got " + a.getValueCase());
    }
    return a.getF();
  }

  public float[] attrFloats(String name, float[] dflt) throws ModelFormatException {
    Attribute a = find(name);
    if (a == null) {
      return dflt == null ? null : dflt.clone();
    }
    if (a.getValueCase() != Attribute.ValueCase.FLOATS) {
      throw error("attribute '" + name + "' must be a list of floats, got " + a.getValueCase());
    }
    float[] v = new float[a.getFloats().getValuesCount()];
    for (int k = 0; k < v.length; k++) {
      v[k] = a.getFloats().getValues(k);
    }
    return v;
  }

  public String attrString(String name, String dflt) throws ModelFormatException {
    Attribute a = find(name);
    if (a == null) {
      return dflt;
    }
    if (a.getValueCase() != Attribute.ValueCase.S) {
      throw error("attribute '" + name + "' must be a string, got " + a.getValueCase());
    }
    return a.getS();
  }

  /** Normalizes a possibly negative axis against {@code rank}, naming the attribute on error. */
  public int axis(String attr, long axis, int rank) throws ModelFormatException {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= Math.max(rank, 1)) {
      throw error("attribute '" + attr + "' = " + axis + " is out of range for rank " + rank);
    }
    return (int) a;
  }

  /** An exception naming this node and op. */
  public ModelFormatException error(String message) {
    return new ModelFormatException("node '" + nodeName() + "' (" + opType() + "): " + message);
  }

  private Attribute find(String name) {
    for (Attribute a : node.getAttributesList()) {
      if (a.getName().equals(name)) {
        return a;
      }
    }
    return null;
  }
}
