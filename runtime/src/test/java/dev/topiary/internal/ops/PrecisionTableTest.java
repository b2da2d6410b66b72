package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Int8Testing.assertFails;
import static dev.topiary.internal.ops.Int8Testing.int8Constant;
import static dev.topiary.internal.ops.Int8Testing.int8Input;
import static dev.topiary.internal.ops.Int8Testing.int8Output;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.quantization.Float16;
import dev.topiary.quantization.QuantParams;
import dev.topiary.testing.TestSupport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeSet;
import org.junit.Test;

/**
 * The declared {@link Precision} table agrees with the kernels: every op type that declares INT8
 * plans a one-node graph on INT8 activations, every other op type is refused up front with a
 * message naming the missing kernel; FLOAT16 constants are taken exactly at the declared slots.
 */
public class PrecisionTableTest {
  private static final Shape NHWC = Shape.of(1, 4, 4, 8);
  private static final QuantParams Q = QuantParams.perTensor(0.05f, 3);
  private static final QuantParams W = QuantParams.perTensor(0.01f, 0);

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 37 % 255 - 127);
    }
    return b;
  }

  /** A one-node graph running {@code op} on INT8 activations the way its INT8 kernel takes them. */
  private static GraphBuilder int8Graph(String op) {
    GraphBuilder g = new GraphBuilder();
    int x = int8Input(g, "x", NHWC, Q);
    GraphBuilder.NodeBuilder n;
    QuantParams out = Q;
    switch (op) {
      case "Conv2D":
        n = g.node(op, "n", x, int8Constant(g, "w", Shape.of(5, 3, 3, 8), bytes(5 * 9 * 8), W))
            .attrInts("pads", 1, 1, 1, 1);
        out = QuantParams.perTensor(0.2f, -4);
        break;
      case "FullyConnected": {
        int x2 = g.node("Reshape", "flat", x).attrInts("shape", 1, 128).output("x2", DataType.INT8, null);
        Int8Testing.quant(g, x2, Q);
        n = g.node(op, "n", x2, int8Constant(g, "w", Shape.of(6, 128), bytes(6 * 128), W));
        out = QuantParams.perTensor(0.3f, 1);
        break;
      }
      case "MatMul":
        n = g.node(op, "n", x, int8Constant(g, "b", Shape.of(8, 6), bytes(48), W));
        out = QuantParams.perTensor(0.1f, 0);
        break;
      case "Add":
      case "Mul":
        n = g.node(op, "n", x, int8Input(g, "x1", NHWC, QuantParams.perTensor(0.07f, -2)));
        out = QuantParams.perTensor(0.2f, 0);
        break;
      case "Concat":
        n = g.node(op, "n", x, int8Input(g, "x1", NHWC, Q)).attr("axis", 3);
        break;
      case "MaxPool":
      case "AvgPool":
        n = g.node(op, "n", x).attrInts("kernel", 2, 2).attrInts("strides", 2, 2);
        break;
      case "Reshape":
        n = g.node(op, "n", x).attrInts("shape", 1, 16, 8);
        break;
      case "Transpose":
        n = g.node(op, "n", x).attrInts("perm", 0, 3, 1, 2);
        break;
      case "Pad":
        n = g.node(op, "n", x).attrInts("pads", 0, 1, 1, 0, 0, 1, 1, 0);
        break;
      case "Slice":
        n = g.node(op, "n", x).attrInts("starts", 1).attrInts("ends", 3).attrInts("axes", 1);
        break;
      case "Squeeze":
        n = g.node(op, "n", x).attrInts("axes", 0);
        break;
      case "Unsqueeze":
        n = g.node(op, "n", x).attrInts("axes", 0);
        break;
      case "Gather":
        n = g.node(op, "n", x, g.constantInts("idx", Shape.of(2), new int[] {3, 0})).attr("axis", 1);
        break;
      case "Dequantize":
        n = g.node(op, "n", x);
        g.output(n.output("y"));
        return g;
      case "Quantize": {
        GraphBuilder f = new GraphBuilder();
        n = f.node(op, "n", f.input("x", DataType.FLOAT32, NHWC));
        int8Output(f, n, "y", Q);
        return f;
      }
      default: // GlobalAvgPool, Flatten
        n = g.node(op, "n", x);
    }
    int8Output(g, n, "y", out);
    return g;
  }

  @Test
  public void everyOpDeclaringInt8PlansOnInt8AndNoOtherOpDoes() throws Exception {
    OpRegistry r = OpRegistry.builtin();
    TreeSet<String> int8 = new TreeSet<>();
    for (Map.Entry<String, OpFactory> e : r.all().entrySet()) {
      String op = e.getKey();
      if (r.supports(op, Precision.INT8)) {
        int8.add(op);
        TestSupport.load(int8Graph(op).build()).close();
      } else {
        GraphBuilder g = new GraphBuilder();
        int x = int8Input(g, "x", NHWC, Q);
        g.output(g.node(op, "n", x, int8Input(g, "x1", NHWC, Q)).output("y"));
        assertFails(g, "input 0 'x' is INT8, but " + op + " has no INT8 kernel");
      }
    }
    // What docs/OPS.md lists under "Quantized execution".
    assertEquals("[Add, AvgPool, Concat, Conv2D, Dequantize, Flatten, FullyConnected, Gather, GlobalAvgPool, MatMul,"
        + " MaxPool, Mul, Pad, Quantize, Reshape, Slice, Squeeze, Transpose, Unsqueeze]", int8.toString());
  }

  @Test
  public void int8HardSwishIsDeclaredUnsupportedAndRefused() throws Exception {
    assertFalse(OpRegistry.builtin().int8Activation("Conv2D", "HARD_SWISH"));
    assertTrue(OpRegistry.builtin().int8Activation("Conv2D", "RELU6"));
    assertFalse(OpRegistry.builtin().int8Activation("Softmax", "NONE"));
    GraphBuilder g = int8Graph("Conv2D");
    // same graph, the node now fuses HARD_SWISH
    GraphBuilder h = new GraphBuilder();
    int x = int8Input(h, "x", NHWC, Q);
    GraphBuilder.NodeBuilder n = h.node("Conv2D", "n", x, int8Constant(h, "w", Shape.of(5, 1, 1, 8), bytes(40), W))
        .attr("activation", "HARD_SWISH");
    int8Output(h, n, "y", QuantParams.perTensor(0.2f, -4));
    TestSupport.load(g.build()).close();
    assertFails(h, "HARD_SWISH is not supported with INT8 inputs");
  }

  private static int half(GraphBuilder g, String name, Shape s) {
    ByteBuffer b = ByteBuffer.allocate(2 * s.elementCount()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < s.elementCount(); i++) {
      b.putShort(Float16.fromFloat(0.01f * (i % 17 - 8)));
    }
    ((java.nio.Buffer) b).flip();
    return g.constantRaw(name, DataType.FLOAT16, s, b);
  }

  @Test
  public void float16ConstantsOnlyAtDeclaredSlots() throws Exception {
    OpRegistry r = OpRegistry.builtin();
    for (String op : new String[] {"Conv2D", "FullyConnected"}) {
      assertTrue(r.supports(op, Precision.FLOAT16_WEIGHTS));
      assertTrue(r.acceptsFloat16(op, 1) && r.acceptsFloat16(op, 2));
      assertFalse(r.acceptsFloat16(op, 0));
    }
    GraphBuilder ok = new GraphBuilder();
    int x = ok.input("x", DataType.FLOAT32, NHWC);
    ok.output(ok.node("Conv2D", "n", x, half(ok, "w", Shape.of(5, 1, 1, 8)), half(ok, "b", Shape.of(5))).output("y"));
    TestSupport.load(ok.build()).close();

    GraphBuilder mm = new GraphBuilder();
    x = mm.input("x", DataType.FLOAT32, NHWC);
    mm.output(mm.node("MatMul", "n", x, half(mm, "b", Shape.of(8, 3))).output("y"));
    assertFails(mm, "input 1 'b' is FLOAT16, but MatMul has no FLOAT16 weights");

    GraphBuilder add = new GraphBuilder();
    x = add.input("x", DataType.FLOAT32, NHWC);
    add.output(add.node("Add", "n", x, half(add, "c", Shape.of(8))).output("y"));
    assertFails(add, "input 1 'c' is FLOAT16, but Add has no FLOAT16 weights");

    GraphBuilder in0 = new GraphBuilder();
    in0.output(in0.node("Conv2D", "n", half(in0, "x", NHWC), half(in0, "w", Shape.of(5, 1, 1, 8))).output("y"));
    assertFails(in0, "input 0 'x' is FLOAT16, but Conv2D takes FLOAT16 constants only as weights and bias");
  }
}
