package dev.topiary.internal.build;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.format.ArtifactFormat;
import dev.topiary.internal.format.ArtifactWriter;
import dev.topiary.internal.format.SparseBitmap;
import dev.topiary.internal.format.Types;
import dev.topiary.internal.format.proto.Attribute;
import dev.topiary.internal.format.proto.Floats;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.Ints;
import dev.topiary.internal.format.proto.Metadata;
import dev.topiary.internal.format.proto.ModelHeader;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.format.proto.Quantization;
import dev.topiary.internal.format.proto.SparseEncoding;
import dev.topiary.internal.format.proto.TensorDesc;
import dev.topiary.internal.plan.Plan;
import dev.topiary.internal.plan.Planner;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a {@code .topiary} artifact in code. Output shapes may be left out: {@link #build()} lets
 * the runtime's own op contracts compute them.
 *
 * <pre>{@code
 * GraphBuilder g = new GraphBuilder();
 * int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4));
 * int w = g.constant("w", Shape.of(3, 4), weights);
 * int y = g.node("FullyConnected", "fc", x, w).attr("activation", "RELU").output("y");
 * g.output(y);
 * byte[] artifact = g.build();
 * }</pre>
 */
public final class GraphBuilder {
  private static final class TensorEntry {
    final String name;
    final DataType type;
    Shape shape;
    ByteBuffer data;
    Quantization quantization;
    /** Non-zero count when {@link #data} holds the BITMAP sparse encoding, else −1. */
    long sparseNonZero = -1;

    TensorEntry(String name, DataType type, Shape shape, ByteBuffer data) {
      this.name = name;
      this.type = type;
      this.shape = shape;
      this.data = data;
    }
  }

  private final List<TensorEntry> tensors = new ArrayList<>();
  private final List<Node.Builder> nodes = new ArrayList<>();
  private final List<Integer> inputs = new ArrayList<>();
  private final List<Integer> outputs = new ArrayList<>();
  private final Metadata.Builder metadata = Metadata.newBuilder();
  private String producer = "topiary-runtime GraphBuilder";
  private String sourceSha256 = "";
  /** Whether the writer may use the compact encodings of format 1.3 (default on). */
  private boolean compact = true;

  /** Adds a graph input. Returns its tensor index. */
  public int input(String name, DataType type, Shape shape) {
    int id = add(new TensorEntry(name, type, shape, null));
    inputs.add(id);
    return id;
  }

  /** Adds a FLOAT32 constant. */
  public int constant(String name, Shape shape, float[] values) {
    check(shape, values.length);
    ByteBuffer b = le(values.length * 4);
    b.asFloatBuffer().put(values);
    return add(new TensorEntry(name, DataType.FLOAT32, shape, b));
  }

  /** Adds an INT32 constant. */
  public int constantInts(String name, Shape shape, int[] values) {
    check(shape, values.length);
    ByteBuffer b = le(values.length * 4);
    b.asIntBuffer().put(values);
    return add(new TensorEntry(name, DataType.INT32, shape, b));
  }

  /** Adds an INT64 constant. */
  public int constantLongs(String name, Shape shape, long[] values) {
    check(shape, values.length);
    ByteBuffer b = le(values.length * 8);
    b.asLongBuffer().put(values);
    return add(new TensorEntry(name, DataType.INT64, shape, b));
  }

  /** Adds a constant of any type from its little-endian bytes. */
  public int constantRaw(String name, DataType type, Shape shape, ByteBuffer littleEndianBytes) {
    if (littleEndianBytes.remaining() != (long) shape.elementCount() * type.byteSize()) {
      throw new IllegalArgumentException("constant '" + name + "': byte count does not match " + shape + " " + type);
    }
    ByteBuffer copy = le(littleEndianBytes.remaining());
    copy.put(littleEndianBytes.duplicate());
    ((java.nio.Buffer) copy).rewind();
    return add(new TensorEntry(name, type, shape, copy));
  }

  /** Adds a FLOAT32 constant stored with the BITMAP sparse encoding (format 1.1). */
  public int constantSparse(String name, Shape shape, float[] values) {
    int id = constant(name, shape, values);
    storeSparse(id);
    return id;
  }

  /**
   * Stores constant {@code id} with the BITMAP sparse encoding: a bitmap of its non-zero elements
   * followed by their values (docs/FORMAT.md). The artifact then needs format 1.1. A tensor whose
   * encoding would be exactly as long as its dense data stays dense (the format forbids that case).
   */
  public GraphBuilder storeSparse(int id) {
    TensorEntry t = tensors.get(id);
    if (t.data == null) {
      throw new IllegalArgumentException("tensor '" + t.name + "' is not a constant");
    }
    if (t.sparseNonZero >= 0) {
      return this;
    }
    int size = t.type.byteSize();
    int count = t.data.remaining() / size;
    int nnz = SparseBitmap.nonZeroCount(t.data, count, size);
    if (SparseBitmap.encodedLength(count, nnz, size) == (long) count * size) {
      return this; // as long as dense: invalid as sparse (a 1.0 reader would misread it), so stays dense
    }
    t.sparseNonZero = nnz;
    t.data = SparseBitmap.encode(t.data, count, size);
    return this;
  }

  /** Stored bytes of constant {@code id} (dense or sparse, as it will be written). */
  public int storedBytes(int id) {
    return tensors.get(id).data.remaining();
  }

  /** Sets per-tensor or per-axis quantization parameters of tensor {@code id}. */
  public GraphBuilder quantization(int id, float[] scales, long[] zeroPoints, int axis) {
    Quantization.Builder q = Quantization.newBuilder().setAxis(axis);
    for (float s : scales) {
      q.addScale(s);
    }
    for (long z : zeroPoints) {
      q.addZeroPoint(z);
    }
    tensors.get(id).quantization = q.build();
    return this;
  }

  /** Starts a node; -1 in {@code inputs} marks an omitted optional input. */
  public NodeBuilder node(String opType, String name, int... inputIds) {
    Node.Builder n = Node.newBuilder().setOpType(opType).setName(name);
    for (int i : inputIds) {
      n.addInputs(i);
    }
    nodes.add(n);
    return new NodeBuilder(n);
  }

  /** Marks tensor {@code id} as a graph output. */
  public GraphBuilder output(int id) {
    outputs.add(id);
    return this;
  }

  /**
   * Lets the writer use the compact encodings of format 1.3 (compressed header, scale codes, narrow
   * integer constants) where they are smaller; off writes a file that 1.0–1.2 readers load when
   * its other features allow. Default: on.
   */
  public GraphBuilder compactEncodings(boolean on) {
    this.compact = on;
    return this;
  }

  public GraphBuilder producer(String producer) {
    this.producer = producer;
    return this;
  }

  public GraphBuilder sourceSha256(String hex) {
    this.sourceSha256 = hex;
    return this;
  }

  public GraphBuilder name(String name) {
    metadata.setName(name);
    return this;
  }

  public GraphBuilder description(String description) {
    metadata.setDescription(description);
    return this;
  }

  public GraphBuilder labels(List<String> labels) {
    metadata.clearLabels().addAllLabels(labels);
    return this;
  }

  public GraphBuilder normalization(float[] mean, float[] std) {
    metadata.clearNormalizationMean().clearNormalizationStd();
    for (float m : mean) {
      metadata.addNormalizationMean(m);
    }
    for (float s : std) {
      metadata.addNormalizationStd(s);
    }
    return this;
  }

  public GraphBuilder property(String key, String value) {
    metadata.putProperties(key, value);
    return this;
  }

  /** Shape of tensor {@code id} (null when not yet inferred). */
  public Shape shape(int id) {
    return tensors.get(id).shape;
  }

  /** Number of tensors so far. */
  public int tensorCount() {
    return tensors.size();
  }

  /** Builds the artifact bytes, inferring missing output shapes with the runtime's op contracts. */
  public byte[] build() throws ModelFormatException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      writeTo(out);
    } catch (ModelFormatException e) {
      throw e;
    } catch (IOException e) {
      throw new IllegalStateException("in-memory write failed", e);
    }
    return out.toByteArray();
  }

  /** Writes the artifact to {@code out}. */
  public void writeTo(OutputStream out) throws IOException {
    inferShapes();
    long[] offsets = new long[tensors.size()];
    long size = 0;
    for (int i = 0; i < tensors.size(); i++) {
      TensorEntry t = tensors.get(i);
      if (t.data != null) {
        size = ArtifactFormat.align(size);
        offsets[i] = size;
        size += t.data.remaining();
      }
    }
    if (size > ArtifactFormat.MAX_FILE_SIZE) {
      throw new IOException("constants of " + size + " bytes exceed the 2 GiB artifact limit");
    }
    ByteBuffer data = le((int) size);
    for (int i = 0; i < tensors.size(); i++) {
      TensorEntry t = tensors.get(i);
      if (t.data != null) {
        ((java.nio.Buffer) data).position((int) offsets[i]);
        data.put(t.data.duplicate());
      }
    }
    ((java.nio.Buffer) data).position(0);
    ArtifactWriter.write(header(offsets, false), data, out, compact);
  }

  private void inferShapes() throws ModelFormatException {
    boolean missing = false;
    for (TensorEntry t : tensors) {
      missing |= t.shape == null;
    }
    if (!missing) {
      return;
    }
    Planner.Options o = new Planner.Options();
    o.inferShapes = true;
    o.referenceKernels = true;
    Graph g = header(new long[tensors.size()], true).getGraph();
    Plan p = Planner.plan(g, id -> tensors.get(id).data.duplicate().order(ByteOrder.LITTLE_ENDIAN), o);
    for (int i = 0; i < tensors.size(); i++) {
      if (tensors.get(i).shape == null) {
        tensors.get(i).shape = Shape.of(p.tensorShape(i));
      }
    }
  }

  private ModelHeader header(long[] offsets, boolean allowMissing) {
    Graph.Builder g = Graph.newBuilder();
    for (int i = 0; i < tensors.size(); i++) {
      TensorEntry t = tensors.get(i);
      TensorDesc.Builder d = TensorDesc.newBuilder().setName(t.name).setDataType(Types.toProto(t.type));
      if (t.shape != null) {
        for (int dim : t.shape.dims()) {
          d.addShape(dim);
        }
      } else if (!allowMissing) {
        throw new IllegalStateException("tensor '" + t.name + "' has no shape");
      }
      if (t.data != null) {
        d.setConstant(true).setDataOffset(offsets[i]).setDataLength(t.data.remaining());
        if (t.sparseNonZero >= 0) {
          d.setSparse(SparseEncoding.newBuilder().setKind(SparseEncoding.Kind.BITMAP).setNonzeroCount(t.sparseNonZero));
        }
      }
      if (t.quantization != null) {
        d.setQuantization(t.quantization);
      }
      g.addTensors(d);
    }
    for (Node.Builder n : nodes) {
      g.addNodes(n.build());
    }
    g.addAllInputs(inputs).addAllOutputs(outputs);
    return ModelHeader.newBuilder()
        .setProducer(producer)
        .setSourceSha256(sourceSha256)
        .setGraph(g)
        .setMetadata(metadata)
        .build();
  }

  private int add(TensorEntry t) {
    for (TensorEntry e : tensors) {
      if (e.name.equals(t.name)) {
        throw new IllegalArgumentException("duplicate tensor name '" + t.name + "'");
      }
    }
    tensors.add(t);
    return tensors.size() - 1;
  }

  private static void check(Shape shape, int count) {
    if (shape.elementCount() != count) {
      throw new IllegalArgumentException(shape + " needs " + shape.elementCount() + " values, got " + count);
    }
  }

  private static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Adds attributes and outputs to a node. */
  public final class NodeBuilder {
    private final Node.Builder node;

    NodeBuilder(Node.Builder node) {
      this.node = node;
    }

    public NodeBuilder attr(String name, long value) {
      node.addAttributes(Attribute.newBuilder().setName(name).setI(value));
      return this;
    }

    public NodeBuilder attr(String name, float value) {
      node.addAttributes(Attribute.newBuilder().setName(name).setF(value));
      return this;
    }

    public NodeBuilder attr(String name, String value) {
      node.addAttributes(Attribute.newBuilder().setName(name).setS(value));
      return this;
    }

    public NodeBuilder attrInts(String name, long... values) {
      Ints.Builder b = Ints.newBuilder();
      for (long v : values) {
        b.addValues(v);
      }
      node.addAttributes(Attribute.newBuilder().setName(name).setInts(b));
      return this;
    }

    public NodeBuilder attrInts(String name, int... values) {
      Ints.Builder b = Ints.newBuilder();
      for (int v : values) {
        b.addValues(v);
      }
      node.addAttributes(Attribute.newBuilder().setName(name).setInts(b));
      return this;
    }

    public NodeBuilder attrFloats(String name, float... values) {
      Floats.Builder b = Floats.newBuilder();
      for (float v : values) {
        b.addValues(v);
      }
      node.addAttributes(Attribute.newBuilder().setName(name).setFloats(b));
      return this;
    }

    /** Adds a FLOAT32 output whose shape {@link #build()} infers. Returns its tensor index. */
    public int output(String name) {
      return output(name, DataType.FLOAT32, null);
    }

    /** Adds an output with a declared type and shape (null shape: inferred). */
    public int output(String name, DataType type, Shape shape) {
      int id = add(new TensorEntry(name, type, shape, null));
      node.addOutputs(id);
      return id;
    }
  }
}
