package dev.topiary.internal.format;

import dev.topiary.ModelFormatException;
import dev.topiary.internal.format.proto.Attribute;
import dev.topiary.internal.format.proto.DataType;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.ModelHeader;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.format.proto.Quantization;
import dev.topiary.internal.format.proto.SparseEncoding;
import dev.topiary.internal.format.proto.TensorDesc;
import java.util.HashSet;
import java.util.Set;

/**
 * Structural checks of a header, independent of what each op means: every index in range, every
 * constant inside the data section and of the right length, names unique, each tensor produced
 * once, no cycles. Op-specific checks happen when the planner binds each node.
 */
final class GraphValidator {
  /** Bounds far above any real model; they stop hostile files from driving allocations. */
  static final int MAX_TENSORS = 1 << 20;
  static final int MAX_NODES = 1 << 16;
  static final int MAX_GRAPH_IO = 1 << 12;
  static final int MAX_RANK = 16;
  static final int MAX_NODE_INPUTS = 1 << 16;

  private GraphValidator() {}

  static void validate(ModelHeader header, long dataLength) throws ModelFormatException {
    Graph g = header.getGraph();
    int nt = g.getTensorsCount();
    if (nt > MAX_TENSORS || g.getNodesCount() > MAX_NODES) {
      throw new ModelFormatException(
          "graph has " + nt + " tensors and " + g.getNodesCount() + " nodes; the limits are "
              + MAX_TENSORS + " and " + MAX_NODES);
    }
    if (g.getInputsCount() > MAX_GRAPH_IO || g.getOutputsCount() > MAX_GRAPH_IO) {
      throw new ModelFormatException(
          "graph has " + g.getInputsCount() + " inputs and " + g.getOutputsCount()
              + " outputs; the limit is " + MAX_GRAPH_IO + " each");
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < nt; i++) {
      TensorDesc t = g.getTensors(i);
      checkTensor(t, i, dataLength);
      if (!names.add(t.getName())) {
        throw new ModelFormatException("tensor " + i + ": duplicate name '" + t.getName() + "'");
      }
    }
    int[] producer = new int[nt];
    java.util.Arrays.fill(producer, -1);
    boolean[] isInput = new boolean[nt];
    for (int k = 0; k < g.getInputsCount(); k++) {
      int t = g.getInputs(k);
      checkIndex(t, nt, "graph input " + k);
      if (g.getTensors(t).getConstant()) {
        throw new ModelFormatException("graph input '" + g.getTensors(t).getName() + "' is a constant");
      }
      if (isInput[t]) {
        throw new ModelFormatException("graph input '" + g.getTensors(t).getName() + "' is listed twice");
      }
      isInput[t] = true;
    }
    if (g.getOutputsCount() == 0) {
      throw new ModelFormatException("graph has no outputs");
    }
    // Tensors read by a node or the graph, marked in one pass (not rescanned per tensor).
    boolean[] used = new boolean[nt];
    Set<Integer> outs = new HashSet<>();
    for (int k = 0; k < g.getOutputsCount(); k++) {
      int t = g.getOutputs(k);
      checkIndex(t, nt, "graph output " + k);
      used[t] = true;
      if (!outs.add(t)) {
        throw new ModelFormatException("graph output '" + g.getTensors(t).getName() + "' is listed twice");
      }
    }
    Set<String> nodeNames = new HashSet<>();
    for (int n = 0; n < g.getNodesCount(); n++) {
      Node node = g.getNodes(n);
      String where = "node " + n + " '" + node.getName() + "'";
      if (node.getOpType().isEmpty()) {
        throw new ModelFormatException(where + ": empty op type");
      }
      if (!node.getName().isEmpty() && !nodeNames.add(node.getName())) {
        throw new ModelFormatException(where + ": duplicate node name");
      }
      if (node.getInputsCount() > MAX_NODE_INPUTS || node.getOutputsCount() > MAX_NODE_INPUTS) {
        throw new ModelFormatException(where + ": too many inputs or outputs");
      }
      for (int k = 0; k < node.getInputsCount(); k++) {
        int t = node.getInputs(k);
        if (t != -1) {
          checkIndex(t, nt, where + " input " + k);
          used[t] = true;
        }
      }
      if (node.getOutputsCount() == 0) {
        throw new ModelFormatException(where + " (" + node.getOpType() + "): no outputs");
      }
      for (int k = 0; k < node.getOutputsCount(); k++) {
        int t = node.getOutputs(k);
        checkIndex(t, nt, where + " output " + k);
        TensorDesc td = g.getTensors(t);
        if (td.getConstant() || isInput[t]) {
          throw new ModelFormatException(
              where + " writes '" + td.getName() + "', which is a constant or graph input");
        }
        if (producer[t] >= 0) {
          throw new ModelFormatException(
              where + " writes '" + td.getName() + "', already written by node " + producer[t]);
        }
        producer[t] = n;
      }
      Set<String> attrs = new HashSet<>();
      for (Attribute a : node.getAttributesList()) {
        if (!attrs.add(a.getName())) {
          throw new ModelFormatException(where + ": duplicate attribute '" + a.getName() + "'");
        }
      }
    }
    for (int t = 0; t < nt; t++) {
      TensorDesc td = g.getTensors(t);
      if (!td.getConstant() && !isInput[t] && producer[t] < 0 && used[t]) {
        throw new ModelFormatException(
            "tensor '" + td.getName() + "' is read but is neither a constant, a graph input, nor written by a node");
      }
    }
    TopologicalOrder.of(g, producer);
  }

  /** True when {@code t} is stored with the {@code BITMAP} sparse encoding. */
  static boolean isSparse(TensorDesc t) {
    return t.hasSparse() && t.getSparse().getKind() == SparseEncoding.Kind.BITMAP;
  }

  /**
   * Checks the bitmap of every sparse constant against its declared non-zero count (the lengths were
   * checked by {@link #validate}).
   */
  static void checkSparseData(ModelHeader header, Artifact artifact) throws ModelFormatException {
    Graph g = header.getGraph();
    for (int i = 0; i < g.getTensorsCount(); i++) {
      TensorDesc t = g.getTensors(i);
      if (t.getConstant() && isSparse(t)) {
        SparseBitmap.check(artifact.constantBytes(i), elementCount(t), t.getSparse().getNonzeroCount(),
            Types.byteSize(t.getDataType()), "tensor " + i + " '" + t.getName() + "'");
      }
    }
  }

  private static long elementCount(TensorDesc t) {
    long c = 1;
    for (long d : t.getShapeList()) {
      c *= d;
    }
    return c;
  }

  private static void checkIndex(int t, int nt, String what) throws ModelFormatException {
    if (t < 0 || t >= nt) {
      throw new ModelFormatException(what + ": tensor index " + t + " out of range [0," + nt + ")");
    }
  }

  private static void checkTensor(TensorDesc t, int i, long dataLength) throws ModelFormatException {
    String where = "tensor " + i + " '" + t.getName() + "'";
    if (t.getName().isEmpty()) {
      throw new ModelFormatException("tensor " + i + ": empty name");
    }
    if (t.getDataType() == DataType.DATA_TYPE_UNSPECIFIED || t.getDataType() == DataType.UNRECOGNIZED) {
      throw new ModelFormatException(where + ": unknown data type " + t.getDataTypeValue());
    }
    if (t.getShapeCount() > MAX_RANK) {
      throw new ModelFormatException(where + ": rank " + t.getShapeCount() + " exceeds " + MAX_RANK);
    }
    long count = 1;
    for (int d = 0; d < t.getShapeCount(); d++) {
      long dim = t.getShape(d);
      if (dim < 0 || dim > Integer.MAX_VALUE) {
        throw new ModelFormatException(where + ": dimension " + d + " is " + dim);
      }
      count *= dim;
      if (count > Integer.MAX_VALUE) {
        throw new ModelFormatException(where + ": more than 2^31-1 elements");
      }
    }
    boolean sparse = isSparse(t);
    if (t.hasSparse()) {
      SparseEncoding.Kind kind = t.getSparse().getKind();
      if (kind != SparseEncoding.Kind.DENSE && kind != SparseEncoding.Kind.BITMAP) {
        throw new ModelFormatException(where + ": unknown sparse encoding " + t.getSparse().getKindValue());
      }
      if (sparse && !t.getConstant()) {
        throw new ModelFormatException(where + ": only constants may be stored sparsely");
      }
    }
    int width = t.getStoredWidth();
    if (width != 0) {
      int full = Types.byteSize(t.getDataType());
      if (!t.getConstant()) {
        throw new ModelFormatException(where + ": only constants may have a stored width");
      }
      if (!NarrowIntegers.narrowable(t.getDataType())) {
        throw new ModelFormatException(where + ": stored width " + width + " on a constant of type " + t.getDataType()
            + " (only INT32 and INT64 may be stored narrow)");
      }
      if ((width != 1 && width != 2 && width != 4) || width >= full) {
        throw new ModelFormatException(where + ": stored width " + width + " is not 1, 2 or 4 bytes below the "
            + full + "-byte " + t.getDataType() + " elements");
      }
      if (sparse) {
        throw new ModelFormatException(where + ": a sparse constant cannot also have a stored width");
      }
      if (count == 0) {
        // A 1.2 reader, which skips the width, would accept the empty data as dense.
        throw new ModelFormatException(where + ": an empty constant must be stored at full width");
      }
    }
    if (t.getConstant()) {
      long elem = width != 0 ? width : Types.byteSize(t.getDataType());
      long off = t.getDataOffset();
      long len = t.getDataLength();
      if (sparse) {
        long nnz = t.getSparse().getNonzeroCount();
        if (nnz < 0 || nnz > count) {
          throw new ModelFormatException(
              where + ": sparse nonzero_count " + nnz + " is outside [0, " + count + "]");
        }
        long expected = SparseBitmap.encodedLength(count, nnz, (int) elem);
        if (expected == count * elem) {
          // A 1.0 reader, which skips the encoding, would accept this length and misread the bitmap.
          throw new ModelFormatException(where + ": sparse encoding is exactly as long as the dense data ("
              + len + " bytes); it must be stored densely");
        }
        if (len != expected) {
          throw new ModelFormatException(where + ": sparse data length " + len + " does not match "
              + SparseBitmap.bitmapBytes(count) + " bitmap bytes + " + nnz + " values of " + elem + " bytes");
        }
      } else if (len != count * elem) {
        throw new ModelFormatException(
            where + ": data length " + len + " does not match " + count + " elements of " + elem + " bytes");
      }
      if (off % ArtifactFormat.ALIGNMENT != 0) {
        throw new ModelFormatException(where + ": data offset " + off + " is not 64-byte aligned");
      }
      if (off < 0 || len < 0 || off > dataLength || len > dataLength - off) {
        throw new ModelFormatException(
            where + ": data [" + off + ", " + (off + len) + ") lies outside the " + dataLength
                + "-byte data section");
      }
    }
    if (t.hasQuantization()) {
      Quantization q = t.getQuantization();
      int ns = q.getScaleCount();
      if (ns == 0) {
        throw new ModelFormatException(where + ": quantization without scales");
      }
      if (q.getZeroPointCount() != 0 && q.getZeroPointCount() != ns) {
        throw new ModelFormatException(where + ": " + ns + " scales but " + q.getZeroPointCount() + " zero points");
      }
      if (ns > 1) {
        int axis = q.getAxis();
        if (axis < 0 || axis >= t.getShapeCount() || t.getShape(axis) != ns) {
          throw new ModelFormatException(
              where + ": " + ns + " per-axis scales do not match axis " + axis + " of shape "
                  + t.getShapeList());
        }
      }
      for (int k = 0; k < ns; k++) {
        float s = q.getScale(k);
        if (!(s > 0) || Float.isInfinite(s)) {
          throw new ModelFormatException(where + ": scale " + k + " is " + s + " (must be finite and > 0)");
        }
      }
    }
  }
}
