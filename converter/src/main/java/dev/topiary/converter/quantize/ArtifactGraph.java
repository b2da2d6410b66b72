package dev.topiary.converter.quantize;

import dev.topiary.ModelFormatException;
import dev.topiary.internal.format.Artifact;
import dev.topiary.internal.format.ArtifactFormat;
import dev.topiary.internal.format.ArtifactReader;
import dev.topiary.internal.format.ArtifactWriter;
import dev.topiary.internal.format.NarrowIntegers;
import dev.topiary.internal.format.SparseBitmap;
import dev.topiary.internal.format.Types;
import dev.topiary.internal.format.proto.DataType;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.ModelHeader;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.format.proto.Quantization;
import dev.topiary.internal.format.proto.SparseEncoding;
import dev.topiary.internal.format.proto.TensorDesc;
import dev.topiary.quantization.QuantParams;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An artifact opened for editing: its tensors (descriptors and constant bytes) and nodes, which
 * the quantization rewrites change in place, then {@link #toBytes()} writes a new artifact with the
 * data section laid out again. Tensors and nodes are referred to by index, as in the file; new
 * nodes may be appended anywhere, since the runtime orders nodes topologically at load.
 */
final class ArtifactGraph {
  private final ModelHeader header;
  final List<TensorDesc.Builder> tensors = new ArrayList<>();
  final List<ByteBuffer> data = new ArrayList<>();
  final List<Node.Builder> nodes = new ArrayList<>();
  final List<Integer> inputs = new ArrayList<>();
  final List<Integer> outputs = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  /** Constants stored sparsely in the artifact read. */
  private final Set<Integer> wasSparse = new HashSet<>();

  private ArtifactGraph(Artifact a) {
    this.header = a.header();
    Graph g = a.header().getGraph();
    for (int i = 0; i < g.getTensorsCount(); i++) {
      TensorDesc t = g.getTensors(i);
      TensorDesc.Builder b = t.toBuilder();
      ByteBuffer bytes = null;
      if (t.getConstant()) {
        bytes = copy(a.constantBytes(i));
        if (t.hasSparse() && t.getSparse().getKind() == SparseEncoding.Kind.BITMAP) {
          // edited dense; toBytes encodes it again where that is smaller
          int count = 1;
          for (long d : t.getShapeList()) {
            count *= (int) d;
          }
          bytes = SparseBitmap.decode(bytes, count, Types.byteSize(t.getDataType()));
          wasSparse.add(i);
        } else if (t.getStoredWidth() != 0) {
          // edited at full width; the writer stores it narrow again where the values fit
          int size = Types.byteSize(t.getDataType());
          bytes = NarrowIntegers.widen(bytes, bytes.remaining() / t.getStoredWidth(), t.getStoredWidth(), size);
        }
        b.clearSparse().clearStoredWidth();
      }
      tensors.add(b);
      data.add(bytes);
      names.add(t.getName());
    }
    for (Node n : g.getNodesList()) {
      nodes.add(n.toBuilder());
    }
    inputs.addAll(g.getInputsList());
    outputs.addAll(g.getOutputsList());
  }

  static ArtifactGraph read(byte[] artifact) throws ModelFormatException {
    return new ArtifactGraph(ArtifactReader.read(ByteBuffer.wrap(artifact), false));
  }

  /**
   * The artifact bytes: same metadata and producer, tensors no node, input or output refers to
   * left out (indices renumbered), data section laid out again.
   */
  byte[] toBytes() {
    int[] index = new int[tensors.size()];
    java.util.Arrays.fill(index, -1);
    for (Node.Builder n : nodes) {
      for (int t : n.getInputsList()) {
        if (t >= 0) {
          index[t] = 0;
        }
      }
      for (int t : n.getOutputsList()) {
        index[t] = 0;
      }
    }
    for (int t : inputs) {
      index[t] = 0;
    }
    for (int t : outputs) {
      index[t] = 0;
    }
    int kept = 0;
    for (int i = 0; i < index.length; i++) {
      index[i] = index[i] == 0 ? kept++ : -1;
    }
    Graph.Builder g = Graph.newBuilder();
    ByteBuffer[] stored = new ByteBuffer[tensors.size()];
    long[] nonZero = new long[tensors.size()];
    for (int i = 0; i < tensors.size(); i++) {
      ByteBuffer b = data.get(i);
      nonZero[i] = -1;
      stored[i] = b;
      if (index[i] < 0 || b == null || !(wasSparse.contains(i) || type(i) == DataType.INT8)) {
        continue;
      }
      int size = Types.byteSize(type(i));
      int count = b.remaining() / size;
      int nnz = SparseBitmap.nonZeroCount(b, count, size);
      if (SparseBitmap.encodedLength(count, nnz, size) < (long) count * size) {
        stored[i] = SparseBitmap.encode(b, count, size);
        nonZero[i] = nnz;
      }
    }
    long size = 0;
    long[] offsets = new long[tensors.size()];
    for (int i = 0; i < tensors.size(); i++) {
      if (index[i] >= 0 && stored[i] != null) {
        size = ArtifactFormat.align(size);
        offsets[i] = size;
        size += stored[i].remaining();
      }
    }
    ByteBuffer d = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < tensors.size(); i++) {
      if (index[i] < 0) {
        continue;
      }
      TensorDesc.Builder t = tensors.get(i).clone();
      ByteBuffer b = stored[i];
      if (b != null) {
        ((java.nio.Buffer) d).position((int) offsets[i]);
        d.put(b.duplicate());
        t.setConstant(true).setDataOffset(offsets[i]).setDataLength(b.remaining());
        if (nonZero[i] >= 0) {
          t.setSparse(SparseEncoding.newBuilder().setKind(SparseEncoding.Kind.BITMAP).setNonzeroCount(nonZero[i]));
        }
      } else {
        t.setConstant(false).setDataOffset(0).setDataLength(0);
      }
      g.addTensors(t.build());
    }
    ((java.nio.Buffer) d).position(0);
    for (Node.Builder n : nodes) {
      Node.Builder c = n.clone();
      for (int k = 0; k < c.getInputsCount(); k++) {
        c.setInputs(k, c.getInputs(k) < 0 ? -1 : index[c.getInputs(k)]);
      }
      for (int k = 0; k < c.getOutputsCount(); k++) {
        c.setOutputs(k, index[c.getOutputs(k)]);
      }
      g.addNodes(c.build());
    }
    for (int t : inputs) {
      g.addInputs(index[t]);
    }
    for (int t : outputs) {
      g.addOutputs(index[t]);
    }
    return ArtifactWriter.toBytes(header.toBuilder().setGraph(g).build(), d);
  }

  int tensorCount() {
    return tensors.size();
  }

  TensorDesc.Builder tensor(int id) {
    return tensors.get(id);
  }

  boolean isConstant(int id) {
    return data.get(id) != null;
  }

  DataType type(int id) {
    return tensors.get(id).getDataType();
  }

  int[] shape(int id) {
    TensorDesc.Builder t = tensors.get(id);
    int[] s = new int[t.getShapeCount()];
    for (int i = 0; i < s.length; i++) {
      s[i] = (int) t.getShape(i);
    }
    return s;
  }

  static int count(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  /** Stored bytes of a constant, 0 for other tensors. */
  long bytes(int id) {
    return data.get(id) == null ? 0 : data.get(id).remaining();
  }

  /** The values of a FLOAT32 constant. */
  float[] floats(int id) {
    float[] f = new float[data.get(id).remaining() / 4];
    data.get(id).duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
    return f;
  }

  /** Replaces constant {@code id}'s type and bytes (shape unchanged) and its quantization (nullable). */
  void replaceConstant(int id, DataType type, ByteBuffer bytes, QuantParams q) {
    tensors.get(id).setDataType(type);
    data.set(id, bytes);
    setQuantization(id, q);
  }

  void setQuantization(int id, QuantParams q) {
    if (q == null) {
      tensors.get(id).clearQuantization();
      return;
    }
    Quantization.Builder b = Quantization.newBuilder().setAxis(q.isPerTensor() ? 0 : q.axis());
    boolean symmetric = true;
    for (int c = 0; c < q.channels(); c++) {
      b.addScale(q.scale(c));
      symmetric &= q.zeroPoint(c) == 0;
    }
    if (!symmetric) { // an empty zero_point list means every zero point is 0 (docs/FORMAT.md)
      for (int c = 0; c < q.channels(); c++) {
        b.addZeroPoint(q.zeroPoint(c));
      }
    }
    tensors.get(id).setQuantization(b);
  }

  /** Adds a tensor (a constant when {@code bytes} is non-null) named after {@code base}, made unique. */
  int addTensor(String base, DataType type, int[] shape, ByteBuffer bytes, QuantParams q) {
    String name = base;
    for (int k = 1; !names.add(name); k++) {
      name = base + "_" + k;
    }
    TensorDesc.Builder t = TensorDesc.newBuilder().setName(name).setDataType(type);
    for (int d : shape) {
      t.addShape(d);
    }
    tensors.add(t);
    data.add(bytes);
    setQuantization(tensors.size() - 1, q);
    return tensors.size() - 1;
  }

  /** Appends a node with one output. */
  Node.Builder addNode(String opType, String name, int output, int... inputIds) {
    Node.Builder n = Node.newBuilder().setOpType(opType).setName(name).addOutputs(output);
    for (int i : inputIds) {
      n.addInputs(i);
    }
    nodes.add(n);
    return n;
  }

  /** The node writing tensor {@code id}, or null for inputs and constants. */
  Node.Builder producer(int id) {
    for (Node.Builder n : nodes) {
      if (n.getOutputsList().contains(id)) {
        return n;
      }
    }
    return null;
  }

  /** The nodes reading tensor {@code id}. */
  List<Node.Builder> consumers(int id) {
    List<Node.Builder> l = new ArrayList<>();
    for (Node.Builder n : nodes) {
      if (n.getInputsList().contains(id)) {
        l.add(n);
      }
    }
    return l;
  }

  /** The nodes in dependency order (inputs before readers). */
  List<Node.Builder> topological() {
    List<Node.Builder> order = new ArrayList<>();
    boolean[] ready = new boolean[tensors.size()];
    for (int i = 0; i < tensors.size(); i++) {
      ready[i] = data.get(i) != null || inputs.contains(i);
    }
    List<Node.Builder> left = new ArrayList<>(nodes);
    while (!left.isEmpty()) {
      boolean progress = false;
      for (java.util.Iterator<Node.Builder> it = left.iterator(); it.hasNext(); ) {
        Node.Builder n = it.next();
        boolean ok = true;
        for (int in : n.getInputsList()) {
          ok &= in < 0 || ready[in];
        }
        if (ok) {
          order.add(n);
          for (int o : n.getOutputsList()) {
            ready[o] = true;
          }
          it.remove();
          progress = true;
        }
      }
      if (!progress) {
        throw new IllegalStateException("the graph has a cycle");
      }
    }
    return order;
  }

  private static ByteBuffer copy(ByteBuffer b) {
    ByteBuffer c = ByteBuffer.allocate(b.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    c.put(b.duplicate());
    ((java.nio.Buffer) c).flip();
    return c;
  }
}
