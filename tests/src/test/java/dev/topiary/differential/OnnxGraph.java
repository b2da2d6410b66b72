package dev.topiary.differential;

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
import java.util.Random;

/**
 * Builds small float ONNX models in code with the converter's protobuf classes, with seeded random
 * weights, for differential tests.
 *
 * <pre>{@code
 * byte[] onnx = new OnnxGraph(14, new Random(1)).input("x", 1, 3, 8, 8)
 *     .conv("c", "x", "y", 3, 4, 3, 1, 1, 1).output("y").bytes();
 * }</pre>
 */
final class OnnxGraph {
  private static final int FLOAT = 1;
  private static final int INT64 = 7;

  private final ModelProto.Builder model;
  private final GraphProto.Builder graph = GraphProto.newBuilder().setName("differential");
  private final Random random;

  OnnxGraph(int opset, Random random) {
    this.random = random;
    model = ModelProto.newBuilder().setIrVersion(8).setProducerName("topiary-tests")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
  }

  /** A FLOAT graph input. */
  OnnxGraph input(String name, int... dims) {
    graph.addInput(valueInfo(name, dims));
    return this;
  }

  /** A FLOAT graph output of unspecified shape. */
  OnnxGraph output(String name) {
    graph.addOutput(ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(FLOAT))));
    return this;
  }

  /** A FLOAT initializer with the given values. */
  OnnxGraph floats(String name, int[] dims, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    graph.addInitializer(tensor(name, FLOAT, dims).setRawData(ByteString.copyFrom(b)));
    return this;
  }

  /** A FLOAT initializer of uniform random values in [lo, hi). */
  OnnxGraph random(String name, float lo, float hi, int... dims) {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = lo + (hi - lo) * random.nextFloat();
    }
    return floats(name, dims, v);
  }

  /** An INT64 initializer. */
  OnnxGraph longs(String name, int[] dims, long... values) {
    ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    graph.addInitializer(tensor(name, INT64, dims).setRawData(ByteString.copyFrom(b)));
    return this;
  }

  /** Starts a node; finish it with {@link Node#add()}. */
  Node node(String opType, String name, String[] inputs, String... outputs) {
    return new Node(opType, name, inputs, outputs);
  }

  /**
   * A Conv with random weights {@code [cout, cin/group, k, k]} scaled by 1/√fan-in and a random bias.
   * Pads are symmetric {@code pad} on every side.
   */
  OnnxGraph conv(String name, String in, String out, int cin, int cout, int k, int stride, int pad, int group) {
    float s = (float) (1 / Math.sqrt((double) cin / group * k * k));
    random(name + "_w", -s, s, cout, cin / group, k, k);
    random(name + "_b", -0.1f, 0.1f, cout);
    return node("Conv", name, new String[] {in, name + "_w", name + "_b"}, out)
        .ints("kernel_shape", k, k).ints("strides", stride, stride).ints("pads", pad, pad, pad, pad)
        .i("group", group).add();
  }

  /** A BatchNormalization with random statistics over {@code c} channels. */
  OnnxGraph batchNorm(String name, String in, String out, int c) {
    random(name + "_scale", 0.5f, 1.5f, c);
    random(name + "_bias", -0.2f, 0.2f, c);
    random(name + "_mean", -0.2f, 0.2f, c);
    random(name + "_var", 0.5f, 1.5f, c);
    return node("BatchNormalization", name,
        new String[] {in, name + "_scale", name + "_bias", name + "_mean", name + "_var"}, out).f("epsilon", 1e-3f)
        .add();
  }

  /** A Gemm {@code y = x·Wᵀ + b} with random {@code W [n, k]} and {@code b [n]}. */
  OnnxGraph dense(String name, String in, String out, int k, int n) {
    float s = (float) (1 / Math.sqrt(k));
    random(name + "_w", -s, s, n, k);
    random(name + "_b", -0.1f, 0.1f, n);
    return node("Gemm", name, new String[] {in, name + "_w", name + "_b"}, out).i("transB", 1).add();
  }

  /** A one-input node without attributes. */
  OnnxGraph unary(String opType, String name, String in, String out) {
    return node(opType, name, new String[] {in}, out).add();
  }

  byte[] bytes() {
    return model.setGraph(graph).build().toByteArray();
  }

  private static ValueInfoProto valueInfo(String name, int... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (int d : dims) {
      s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(s)))
        .build();
  }

  private static TensorProto.Builder tensor(String name, int type, int[] dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type);
    for (int d : dims) {
      t.addDims(d);
    }
    return t;
  }

  /** A node being built. */
  final class Node {
    private final NodeProto.Builder node;

    private Node(String opType, String name, String[] inputs, String[] outputs) {
      node = NodeProto.newBuilder().setOpType(opType).setName(name);
      for (String i : inputs) {
        node.addInput(i);
      }
      for (String o : outputs) {
        node.addOutput(o);
      }
    }

    Node i(String name, long v) {
      node.addAttribute(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v));
      return this;
    }

    Node f(String name, float v) {
      node.addAttribute(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v));
      return this;
    }

    Node s(String name, String v) {
      node.addAttribute(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
          .setS(ByteString.copyFromUtf8(v)));
      return this;
    }

    Node ints(String name, long... v) {
      AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
      for (long x : v) {
        a.addInts(x);
      }
      node.addAttribute(a);
      return this;
    }

    OnnxGraph add() {
      graph.addNode(node);
      return OnnxGraph.this;
    }
  }
}
