package dev.topiary.internal.plan;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.TensorInfo;
import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.internal.cpu.VectorSupport;
import dev.topiary.internal.format.Artifact;
import dev.topiary.internal.format.NarrowIntegers;
import dev.topiary.internal.format.SparseBitmap;
import dev.topiary.internal.format.TopologicalOrder;
import dev.topiary.internal.format.Types;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.format.proto.SparseEncoding;
import dev.topiary.internal.format.proto.TensorDesc;
import dev.topiary.internal.ops.Activation;
import dev.topiary.internal.ops.BindContext;
import dev.topiary.internal.ops.Kernel;
import dev.topiary.internal.ops.OpFactory;
import dev.topiary.internal.ops.OpRegistry;
import dev.topiary.internal.ops.Precision;
import dev.topiary.internal.format.proto.Quantization;
import dev.topiary.quantization.Float16;
import dev.topiary.quantization.QuantParams;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns a validated graph into a {@link Plan}: topological order, constants loaded, one kernel bound
 * per node (which checks the node and computes output shapes), declared shapes verified, lifetimes
 * computed and the arena laid out by the {@link MemoryPlanner}.
 */
public final class Planner {
  /** Options that steer planning. */
  public static final class Options {
    /** Bind reference kernels only (the oracle), never fast paths. Default false. */
    public boolean referenceKernels;
    /**
     * Accept tensors whose declared shape is empty and take the computed one (used when building
     * graphs in code). Default false: declared and computed shapes must agree.
     */
    public boolean inferShapes;
    /**
     * Weight zero fraction above which FullyConnected and 1×1 Conv2D bind their compressed-row
     * sparse kernel; above 1 never, below 0 always. Default: the measured
     * {@code SparseLinearKernel.THRESHOLD} (docs/BENCHMARKS.md).
     */
    public double sparseThreshold = BindContext.DEFAULT_SPARSE_THRESHOLD;
    /**
     * Bind the Vector API kernels ({@code topiary-runtime-vector}, {@link VectorSupport}) for fp32
     * Conv2D, FullyConnected and MatMul with constant weights when they are available in this JVM.
     * Default true; false keeps the C2-vectorised kernels. Ignored with {@link #referenceKernels}.
     */
    public boolean vectorKernels = true;
    /**
     * Fuse the Add of a residual connection into the convolution that feeds it when its kernel can
     * add the residual in its epilogue ({@link BindContext.Residual}): one pass over the output
     * fewer, and the convolution's own output never stored. Default true; the results are the same
     * bits either way. Ignored with {@link #referenceKernels}.
     */
    public boolean fuseResidualAdds = true;
    /**
     * Place the output of an op that only relabels the shape (Reshape, Flatten, Squeeze, Unsqueeze;
     * {@link BindContext#relabelsInput}) on its input's memory, so it copies nothing: the input's
     * lifetime is extended to the output's, and the step's kernel does nothing. Default true; false
     * gives every output memory of its own and a copy. Not for constant inputs.
     */
    public boolean relabelInPlace = true;
    /** Largest arena in bytes a plan may ask for. Default: the JVM's maximum heap. */
    public long maxArenaBytes = Runtime.getRuntime().maxMemory();
  }

  private Planner() {}

  /** Plans a verified artifact. */
  public static Plan plan(Artifact artifact, Options options) throws ModelFormatException {
    return plan(artifact.header().getGraph(), artifact, options);
  }

  /** Plans a graph whose constants are read through {@code artifact}'s data section. */
  public static Plan plan(Graph g, Artifact artifact, Options options) throws ModelFormatException {
    return new Planner.Run(g, artifact::constantBytes, options).plan();
  }

  /** Plans a graph whose constants come from {@code constants} (tensor index to little-endian bytes). */
  public static Plan plan(Graph g, ConstantSource constants, Options options) throws ModelFormatException {
    return new Planner.Run(g, constants, options).plan();
  }

  /** Supplies the stored bytes of constant tensors. */
  public interface ConstantSource {
    ByteBuffer bytes(int tensorIndex);
  }

  private static final class Run implements BindContext.Tensors {
    final Graph g;
    final ConstantSource source;
    final Options options;
    final int nt;
    final DataType[] types;
    final int[][] shapes;
    final Object[] constants;
    final boolean[] known;
    /** Tensors some kernel reads through the Frame at run time ({@link #readAtRunTime}). */
    final boolean[] readAtRunTime;
    final QuantParams[] quant;
    /**
     * Per tensor: the tensor whose memory it shares ({@link Options#relabelInPlace}), never itself
     * an alias, or -1.
     */
    final int[] aliasOf;
    /** The vector kernels fast paths may bind ({@link Options#vectorKernels}), or null. */
    final VectorKernels vector;

    Run(Graph g, ConstantSource source, Options options) {
      this.g = g;
      this.source = source;
      this.options = options;
      this.vector = options.vectorKernels && !options.referenceKernels ? VectorSupport.kernels() : null;
      this.nt = g.getTensorsCount();
      this.types = new DataType[nt];
      this.shapes = new int[nt][];
      this.constants = new Object[nt];
      this.known = new boolean[nt];
      this.readAtRunTime = new boolean[nt];
      this.quant = new QuantParams[nt];
      this.aliasOf = new int[nt];
      Arrays.fill(aliasOf, -1);
      for (int i = 0; i < nt; i++) {
        TensorDesc t = g.getTensors(i);
        types[i] = Types.fromProto(t.getDataType());
        shapes[i] = toInts(t.getShapeList());
        if (t.hasQuantization()) {
          quant[i] = toQuantParams(t.getQuantization());
        }
      }
    }

    Plan plan() throws ModelFormatException {
      int[] order = TopologicalOrder.of(g);
      checkOpsKnown();
      for (int i = 0; i < nt; i++) {
        if (g.getTensors(i).getConstant()) {
          known[i] = true;
          if (isSparse(i)) {
            decodeSparse(i);
          }
        }
      }
      for (int id : g.getInputsList()) {
        if (types[id] == DataType.FLOAT16) {
          throw new ModelFormatException("graph input '" + name(id) + "' is FLOAT16; inputs must be FLOAT32 or integer");
        }
        known[id] = true;
      }
      List<Plan.Step> steps = new ArrayList<>(order.length);
      int scratch = 0;
      int scratchInts = 0;
      int scratchLongs = 0;
      int scratchBytes = 0;
      int[] readers = readers();
      boolean[] absorbed = new boolean[g.getNodesCount()];
      for (int n : order) {
        if (absorbed[n]) {
          continue; // an Add fused into the convolution before it
        }
        Node node = g.getNodes(n);
        for (int k = 0; k < node.getInputsCount(); k++) {
          int t = node.getInputs(k);
          if (t >= 0 && !known[t]) {
            throw new ModelFormatException("node '" + node.getName() + "' reads '" + name(t) + "' before it is computed");
          }
        }
        BindContext ctx = new BindContext(node, n, this, options.referenceKernels, options.sparseThreshold, vector);
        OpFactory f = OpRegistry.builtin().get(node.getOpType());
        checkPrecision(ctx, node);
        BindContext.Residual residual = residualCandidate(node, readers, vector);
        if (residual != null) {
          ctx.offerResidual(residual);
        }
        Kernel kernel = bind(f, ctx, node);
        if (ctx.residualTaken() && !Arrays.equals(ctx.outputShape(0), shapes[residual.tensor()])) {
          // the Add broadcasts: bind the convolution alone
          ctx = new BindContext(node, n, this, options.referenceKernels, options.sparseThreshold, vector);
          kernel = bind(f, ctx, node);
        }
        int[] fused = new int[0];
        int[] stepInputs = toArray(node.getInputsList());
        int[] stepOutputs = toArray(node.getOutputsList());
        if (ctx.residualTaken()) {
          int add = readers[node.getOutputs(0)];
          checkDeclared(ctx, node.getOutputs(0), ctx.outputType(0), ctx.outputShape(0));
          checkDeclared(ctx, residual.output(), ctx.outputType(0), ctx.outputShape(0));
          known[residual.output()] = true;
          absorbed[add] = true;
          fused = new int[] {add};
          stepInputs = Arrays.copyOf(stepInputs, stepInputs.length + 1);
          stepInputs[stepInputs.length - 1] = residual.tensor();
          stepOutputs = new int[] {residual.output()};
        }
        for (int k = 0; k < node.getOutputsCount() && !ctx.residualTaken(); k++) {
          int t = node.getOutputs(k);
          if (ctx.outputType(k) == null) {
            throw ctx.error("has " + node.getOutputsCount() + " outputs; output " + k + " '" + name(t)
                + "' is not defined by the op");
          }
          if (ctx.outputType(k) == DataType.FLOAT16) {
            // FLOAT16 is a storage format for weights, widened at load; activations are FLOAT32.
            throw ctx.error("output '" + name(t) + "' would be FLOAT16; only constants may be FLOAT16");
          }
          checkDeclared(ctx, t, ctx.outputType(k), ctx.outputShape(k));
          known[t] = true;
        }
        scratch = Math.max(scratch, ctx.scratchFloats());
        scratchInts = Math.max(scratchInts, ctx.scratchInts());
        scratchLongs = Math.max(scratchLongs, ctx.scratchLongs());
        scratchBytes = Math.max(scratchBytes, ctx.scratchBytes());
        if (ctx.relabels() && options.relabelInPlace && !ctx.residualTaken()) {
          int x = node.getInputs(0);
          if (x >= 0 && !g.getTensors(x).getConstant()) {
            aliasOf[node.getOutputs(0)] = aliasOf[x] >= 0 ? aliasOf[x] : x;
            kernel = IN_PLACE;
          }
        }
        steps.add(new Plan.Step(n, ctx.nodeName(), node.getOpType(), kernel, stepInputs, stepOutputs, fused));
      }
      for (int id : g.getOutputsList()) {
        if (!known[id]) {
          throw new ModelFormatException("graph output '" + name(id) + "' is never computed");
        }
        if (types[id] == DataType.FLOAT16) {
          throw new ModelFormatException("graph output '" + name(id) + "' is FLOAT16; outputs must be FLOAT32 or integer");
        }
      }
      return layout(steps, scratch, scratchInts, scratchLongs, scratchBytes);
    }

    /** The kernel of a step whose output is its input's memory ({@link Options#relabelInPlace}). */
    private static final Kernel IN_PLACE = f -> { };

    private static Kernel bind(OpFactory f, BindContext ctx, Node node) throws ModelFormatException {
      try {
        return f.bind(ctx);
      } catch (ModelFormatException e) {
        throw e;
      } catch (RuntimeException e) {
        // A kernel's checks missed something: still a bad file, not a crash.
        throw new ModelFormatException(ctx.nodeName() + " (" + node.getOpType() + "): invalid node: " + e, e);
      }
    }

    /**
     * Per tensor: the one node that reads it, -1 if none, or -2 if it is read more than once or is a
     * graph output (then no node may fuse it away).
     */
    private int[] readers() {
      int[] readers = new int[nt];
      Arrays.fill(readers, -1);
      for (int n = 0; n < g.getNodesCount(); n++) {
        for (int t : g.getNodes(n).getInputsList()) {
          if (t >= 0 && t < nt) {
            readers[t] = readers[t] == -1 ? n : -2;
          }
        }
      }
      for (int t : g.getOutputsList()) {
        if (t >= 0 && t < nt) {
          readers[t] = -2;
        }
      }
      return readers;
    }

    /**
     * The residual Add a FLOAT32 convolution may take into its epilogue: its output is read only by
     * an Add of two same-typed FLOAT32 tensors whose other input is already computed, is not a
     * constant, and has the Add's output shape. Whether the kernel takes it is the op's choice;
     * the shapes are checked once the convolution is bound.
     */
    private BindContext.Residual residualCandidate(Node node, int[] readers, VectorKernels vector) {
      if (!options.fuseResidualAdds || options.referenceKernels || vector == null
          || !node.getOpType().equals("Conv2D") || node.getOutputsCount() != 1 || node.getInputsCount() < 2) {
        return null;
      }
      int t = node.getOutputs(0);
      int x = node.getInputs(0);
      if (t < 0 || readers[t] < 0 || x < 0 || types[x] != DataType.FLOAT32) {
        return null;
      }
      Node add = g.getNodes(readers[t]);
      if (!add.getOpType().equals("Add") || add.getInputsCount() != 2 || add.getOutputsCount() != 1) {
        return null;
      }
      int r = add.getInputs(0) == t ? add.getInputs(1) : add.getInputs(0);
      int y = add.getOutputs(0);
      if (r < 0 || r == t || !known[r] || g.getTensors(r).getConstant() || types[r] != DataType.FLOAT32
          || types[y] != DataType.FLOAT32 || shapes[r] == null || !Arrays.equals(shapes[r], shapes[y])
          && !(g.getTensors(y).getShapeCount() == 0 && options.inferShapes)) {
        return null;
      }
      try {
        return new BindContext.Residual(r, y,
            Activation.fromNode(new BindContext(add, readers[t], this, false)));
      } catch (ModelFormatException e) {
        return null; // the Add, bound on its own, reports it
      }
    }

    private Plan layout(List<Plan.Step> steps, int scratch, int scratchInts, int scratchLongs, int scratchBytes)
        throws ModelFormatException {
      int ns = steps.size();
      int[] first = new int[nt];
      int[] last = new int[nt];
      Arrays.fill(first, -1);
      Arrays.fill(last, -1);
      for (int id : g.getInputsList()) {
        first[id] = 0;
        last[id] = 0;
      }
      for (int s = 0; s < ns; s++) {
        Plan.Step st = steps.get(s);
        for (int t : st.inputs) {
          if (t >= 0 && constants[t] == null && !g.getTensors(t).getConstant()) {
            last[t] = Math.max(last[t], s);
          }
        }
        for (int t : st.outputs) {
          first[t] = s;
          last[t] = Math.max(last[t], s);
        }
      }
      for (int id : g.getOutputsList()) {
        if (first[id] >= 0) {
          last[id] = ns;
        }
      }
      // An alias gets no memory of its own: its root lives as long as it does.
      for (int t = 0; t < nt; t++) {
        int root = aliasOf[t];
        if (root >= 0 && first[t] >= 0) {
          last[root] = Math.max(last[root], last[t]);
          first[t] = -1;
        }
      }
      Storage[] storage = new Storage[nt];
      int[] offsets = new int[nt];
      int[] arenaElements = new int[Storage.values().length];
      long arenaBytes = 0;
      long lowerBound = 0;
      for (Storage cls : Storage.values()) {
        List<Integer> ids = new ArrayList<>();
        for (int t = 0; t < nt; t++) {
          if (first[t] >= 0 && !g.getTensors(t).getConstant() && Storage.of(types[t]) == cls) {
            ids.add(t);
          }
        }
        long[] sizes = new long[ids.size()];
        int[] f = new int[ids.size()];
        int[] l = new int[ids.size()];
        for (int k = 0; k < sizes.length; k++) {
          int t = ids.get(k);
          sizes[k] = Shape.of(shapes[t]).elementCount();
          f[k] = first[t];
          l[k] = last[t];
        }
        MemoryPlanner.Result r = MemoryPlanner.plan(sizes, f, l);
        if (!options.inferShapes
            && (r.peak > Integer.MAX_VALUE - 16 || r.peak * cls.bytes > options.maxArenaBytes)) {
          throw new ModelFormatException(
              "the model needs " + r.peak * cls.bytes + " bytes of " + cls + " activations, more than the "
                  + options.maxArenaBytes + " bytes available");
        }
        for (int k = 0; k < sizes.length; k++) {
          storage[ids.get(k)] = cls;
          offsets[ids.get(k)] = (int) r.offsets[k];
        }
        arenaElements[cls.ordinal()] = (int) r.peak;
        arenaBytes += r.peak * cls.bytes;
        lowerBound += r.lowerBound * cls.bytes;
      }
      for (int t = 0; t < nt; t++) {
        if (aliasOf[t] >= 0) {
          storage[t] = storage[aliasOf[t]];
          offsets[t] = offsets[aliasOf[t]];
        }
      }
      for (int id : g.getInputsList()) {
        readAtRunTime[id] = true;
      }
      for (int id : g.getOutputsList()) {
        readAtRunTime[id] = true;
      }
      boolean[] constant = new boolean[nt];
      for (int t = 0; t < nt; t++) {
        if (g.getTensors(t).getConstant()) {
          constant[t] = true;
          storage[t] = Storage.of(types[t]);
          // Only constants read through the Frame stay: a packed weight is not held twice.
          constants[t] = readAtRunTime[t] ? loadConstant(t) : null;
        } else if (storage[t] == null) {
          storage[t] = Storage.of(types[t]);
        }
      }
      String[] names = new String[nt];
      for (int t = 0; t < nt; t++) {
        names[t] = name(t);
      }
      return new Plan(Collections.unmodifiableList(steps), names, types, shapes, constant, constants, storage, offsets,
          arenaElements, arenaBytes, lowerBound, scratch, scratchInts, scratchLongs, scratchBytes, toArray(g.getInputsList()), toArray(g.getOutputsList()),
          infos(g.getInputsList()), infos(g.getOutputsList()), vector != null);
    }

    private List<TensorInfo> infos(List<Integer> ids) {
      List<TensorInfo> out = new ArrayList<>();
      for (int id : ids) {
        out.add(new TensorInfo(name(id), types[id], Shape.of(shapes[id])));
      }
      return Collections.unmodifiableList(out);
    }

    private void checkDeclared(BindContext ctx, int t, DataType type, int[] shape) throws ModelFormatException {
      TensorDesc d = g.getTensors(t);
      if (types[t] != type) {
        throw ctx.error("output '" + name(t) + "' is declared " + types[t] + " but the op computes " + type);
      }
      boolean undeclared = d.getShapeCount() == 0 && options.inferShapes;
      if (!undeclared && !Arrays.equals(shapes[t], shape)) {
        throw ctx.error("output '" + name(t) + "' is declared " + Shape.of(shapes[t]) + " but the op computes "
            + Shape.of(shape));
      }
      shapes[t] = shape.clone();
    }

    private void checkOpsKnown() throws ModelFormatException {
      Map<String, TreeSet<String>> unknown = new TreeMap<>();
      for (int n = 0; n < g.getNodesCount(); n++) {
        Node node = g.getNodes(n);
        if (OpRegistry.builtin().get(node.getOpType()) == null) {
          unknown.computeIfAbsent(node.getOpType(), k -> new TreeSet<>())
              .add(node.getName().isEmpty() ? "#" + n : node.getName());
        }
      }
      if (!unknown.isEmpty()) {
        StringBuilder sb = new StringBuilder("unsupported op types (this runtime knows "
            + OpRegistry.builtin().all().size() + "): ");
        boolean firstOp = true;
        for (Map.Entry<String, TreeSet<String>> e : unknown.entrySet()) {
          sb.append(firstOp ? "" : "; ").append(e.getKey()).append(" in ").append(e.getValue());
          firstOp = false;
        }
        throw new ModelFormatException(sb.toString());
      }
    }

    private boolean isSparse(int t) {
      TensorDesc d = g.getTensors(t);
      return d.hasSparse() && d.getSparse().getKind() == SparseEncoding.Kind.BITMAP;
    }

    /**
     * Refuses, from the op's declared {@link Precision}s, a node that reads an INT8 activation
     * without an INT8 kernel, or a FLOAT16 constant at an input that does not take one.
     */
    private void checkPrecision(BindContext ctx, Node node) throws ModelFormatException {
      OpRegistry r = OpRegistry.builtin();
      String op = node.getOpType();
      for (int k = 0; k < node.getInputsCount(); k++) {
        int t = node.getInputs(k);
        if (t < 0) {
          continue;
        }
        if (types[t] == DataType.INT8 && !g.getTensors(t).getConstant() && !r.supports(op, Precision.INT8)) {
          throw ctx.error("input " + k + " '" + name(t) + "' is INT8, but " + op + " has no INT8 kernel");
        }
        if (types[t] == DataType.FLOAT16 && !r.acceptsFloat16(op, k)) {
          throw ctx.error("input " + k + " '" + name(t) + "' is FLOAT16, but " + op
              + (r.supports(op, Precision.FLOAT16_WEIGHTS) ? " takes FLOAT16 constants only as weights and bias"
                  : " has no FLOAT16 weights"));
        }
      }
    }

    /** Checks a sparse constant's bitmap and decodes it to a dense array (its only in-memory form). */
    private void decodeSparse(int t) throws ModelFormatException {
      TensorDesc d = g.getTensors(t);
      int n = Shape.of(shapes[t]).elementCount();
      int size = types[t].byteSize();
      ByteBuffer enc = source.bytes(t).order(ByteOrder.LITTLE_ENDIAN);
      SparseBitmap.check(enc, n, d.getSparse().getNonzeroCount(), size, "tensor " + t + " '" + d.getName() + "'");
      constants[t] = decodeArray(t, SparseBitmap.decode(enc, n, size));
    }

    private Object loadConstant(int t) {
      if (constants[t] != null) {
        return constants[t];
      }
      TensorDesc d = g.getTensors(t);
      ByteBuffer stored = source.bytes(t);
      if (d.getStoredWidth() != 0) {
        // narrow integers (format 1.3) are widened once, here; kernels see the full data type
        stored = NarrowIntegers.widen(stored, Shape.of(shapes[t]).elementCount(), d.getStoredWidth(),
            types[t].byteSize());
      }
      Object arr = decodeArray(t, stored);
      constants[t] = arr;
      return arr;
    }

    private Object decodeArray(int t, ByteBuffer bytes) {
      ByteBuffer b = bytes.order(ByteOrder.LITTLE_ENDIAN);
      int n = Shape.of(shapes[t]).elementCount();
      Object arr;
      switch (types[t]) {
        case FLOAT32: {
          float[] a = new float[n];
          b.asFloatBuffer().get(a);
          arr = a;
          break;
        }
        case FLOAT16: {
          float[] a = new float[n];
          for (int i = 0; i < n; i++) {
            a[i] = Float16.toFloat(b.getShort(2 * i));
          }
          arr = a;
          break;
        }
        case INT32: {
          int[] a = new int[n];
          b.asIntBuffer().get(a);
          arr = a;
          break;
        }
        case INT64: {
          long[] a = new long[n];
          b.asLongBuffer().get(a);
          arr = a;
          break;
        }
        default: {
          byte[] a = new byte[n];
          ((Buffer) b).rewind();
          b.get(a);
          arr = a;
        }
      }
      return arr;
    }

    // ---- BindContext.Tensors ----

    @Override
    public DataType type(int id) {
      return types[id];
    }

    @Override
    public int[] shape(int id) {
      return shapes[id];
    }

    @Override
    public boolean isConstant(int id) {
      return g.getTensors(id).getConstant();
    }

    @Override
    public void readAtRunTime(int id) {
      readAtRunTime[id] = true;
    }

    @Override
    public float[] floats(int id) {
      Object a = loadConstant(id);
      if (a instanceof float[]) {
        return (float[]) a;
      }
      long[] l = longs(id);
      float[] f = new float[l.length];
      for (int i = 0; i < l.length; i++) {
        f[i] = l[i];
      }
      return f;
    }

    @Override
    public long[] longs(int id) {
      Object a = loadConstant(id);
      if (a instanceof long[]) {
        return ((long[]) a).clone();
      }
      if (a instanceof int[]) {
        int[] x = (int[]) a;
        long[] out = new long[x.length];
        for (int i = 0; i < x.length; i++) {
          out[i] = x[i];
        }
        return out;
      }
      if (a instanceof byte[]) {
        byte[] x = (byte[]) a;
        long[] out = new long[x.length];
        boolean unsigned = types[id] == DataType.UINT8;
        for (int i = 0; i < x.length; i++) {
          out[i] = unsigned ? (x[i] & 0xFF) : x[i];
        }
        return out;
      }
      float[] x = (float[]) a;
      long[] out = new long[x.length];
      for (int i = 0; i < x.length; i++) {
        out[i] = (long) x[i];
      }
      return out;
    }

    @Override
    public double zeroFraction(int id) {
      int n = Shape.of(shapes[id]).elementCount();
      if (n == 0) {
        return 0;
      }
      if (isSparse(id)) {
        return 1.0 - (double) g.getTensors(id).getSparse().getNonzeroCount() / n;
      }
      return BindContext.Tensors.countZeros(loadConstant(id)) / (double) n;
    }

    @Override
    public boolean zeroFractionAbove(int id, double threshold) {
      Object a = isSparse(id) ? null : loadConstant(id);
      if (a instanceof float[]) {
        return BindContext.Tensors.zerosAbove((float[]) a, threshold);
      }
      return zeroFraction(id) > threshold;
    }

    @Override
    public String name(int id) {
      return g.getTensors(id).getName();
    }

    @Override
    public QuantParams quant(int id) {
      return quant[id];
    }
  }

  /**
   * The validated descriptor's parameters (scales finite and positive, zero points absent or one
   * per scale, per-axis counts matching the axis; see GraphValidator). Absent zero points are 0;
   * zero points beyond the int range saturate, and the ops reject them for their data types.
   */
  private static QuantParams toQuantParams(Quantization q) {
    int ns = q.getScaleCount();
    float[] scales = new float[ns];
    int[] zps = new int[ns];
    for (int k = 0; k < ns; k++) {
      scales[k] = q.getScale(k);
      if (q.getZeroPointCount() > 0) {
        zps[k] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q.getZeroPoint(k)));
      }
    }
    return ns == 1 ? QuantParams.perTensor(scales[0], zps[0]) : QuantParams.perAxis(scales, zps, q.getAxis());
  }

  private static int[] toInts(List<Long> l) {
    int[] a = new int[l.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = (int) (long) l.get(i);
    }
    return a;
  }

  private static int[] toArray(List<Integer> l) {
    int[] a = new int[l.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = l.get(i);
    }
    return a;
  }
}
