package dev.topiary.converter;

import com.google.protobuf.ByteString;
import dev.topiary.converter.onnx.proto.AttributeProto;
import dev.topiary.converter.onnx.proto.GraphProto;
import dev.topiary.converter.onnx.proto.ModelProto;
import dev.topiary.converter.onnx.proto.NodeProto;
import dev.topiary.converter.onnx.proto.OperatorSetIdProto;
import dev.topiary.converter.onnx.proto.TensorProto;
import dev.topiary.converter.onnx.proto.TensorShapeProto;
import dev.topiary.converter.onnx.proto.TypeProto;
import dev.topiary.converter.onnx.proto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds small ONNX models in code for tests, with the generated schema classes. */
public final class OnnxBuilder {
  public static final int FLOAT = 1;
  public static final int INT64 = 7;

  private final ModelProto.Builder model;
  private final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");

  public OnnxBuilder(int opset) {
    this(opset, 8);
  }

  public OnnxBuilder(int opset, long irVersion) {
    model = ModelProto.newBuilder().setIrVersion(irVersion).setProducerName("OnnxBuilder").setProducerVersion("1")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
  }

  /** A FLOAT input; −1 dims are symbolic ("N"). */
  public OnnxBuilder input(String name, int... dims) {
    return typedInput(name, FLOAT, dims);
  }

  public OnnxBuilder typedInput(String name, int type, int... dims) {
    graph.addInput(valueInfo(name, type, dims));
    return this;
  }

  public OnnxBuilder output(String name) {
    graph.addOutput(ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(FLOAT))));
    return this;
  }

  public static ValueInfoProto valueInfo(String name, int type, int... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (int d : dims) {
      s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s)))
        .build();
  }

  /** A FLOAT initializer in raw_data. */
  public OnnxBuilder init(String name, int[] dims, float... values) {
    graph.addInitializer(floats(name, dims, values));
    return this;
  }

  /** An INT64 initializer in int64_data. */
  public OnnxBuilder initLongs(String name, int[] dims, long... values) {
    graph.addInitializer(longs(name, dims, values));
    return this;
  }

  public OnnxBuilder init(TensorProto t) {
    graph.addInitializer(t);
    return this;
  }

  public static TensorProto floats(String name, int[] dims, float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT).setRawData(ByteString.copyFrom(b));
    for (int d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  public static TensorProto longs(String name, int[] dims, long... values) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(INT64);
    for (int d : dims) {
      t.addDims(d);
    }
    for (long v : values) {
      t.addInt64Data(v);
    }
    return t.build();
  }

  /** Starts a node with inputs and outputs ("" = omitted). */
  public Node node(String op, String[] inputs, String... outputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + "_" + graph.getNodeCount());
    for (String i : inputs) {
      n.addInput(i);
    }
    for (String o : outputs) {
      n.addOutput(o);
    }
    return new Node(n);
  }

  public static String[] in(String... names) {
    return names;
  }

  public ModelProto build() {
    return model.setGraph(graph).build();
  }

  public byte[] bytes() {
    return build().toByteArray();
  }

  /** Adds attributes to a node; {@link #add()} appends it to the graph. */
  public final class Node {
    private final NodeProto.Builder n;

    Node(NodeProto.Builder n) {
      this.n = n;
    }

    public Node name(String name) {
      n.setName(name);
      return this;
    }

    public Node domain(String d) {
      n.setDomain(d);
      return this;
    }

    public Node attr(String name, long v) {
      n.addAttribute(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v));
      return this;
    }

    public Node attr(String name, float v) {
      n.addAttribute(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v));
      return this;
    }

    public Node attr(String name, String v) {
      n.addAttribute(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
          .setS(ByteString.copyFromUtf8(v)));
      return this;
    }

    public Node ints(String name, long... v) {
      AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
      for (long x : v) {
        a.addInts(x);
      }
      n.addAttribute(a);
      return this;
    }

    public Node floats(String name, float... v) {
      AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
      for (float x : v) {
        a.addFloats(x);
      }
      n.addAttribute(a);
      return this;
    }

    public Node tensor(String name, TensorProto t) {
      n.addAttribute(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(t));
      return this;
    }

    public OnnxBuilder add() {
      graph.addNode(n);
      return OnnxBuilder.this;
    }
  }
}
