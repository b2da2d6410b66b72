package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Int8Testing.assertFails;
import static dev.topiary.internal.ops.Int8Testing.assertWithin;
import static dev.topiary.internal.ops.Int8Testing.feed;
import static dev.topiary.internal.ops.Int8Testing.int8Constant;
import static dev.topiary.internal.ops.Int8Testing.int8Input;
import static dev.topiary.internal.ops.Int8Testing.int8Output;
import static dev.topiary.internal.ops.Int8Testing.quantize;
import static dev.topiary.internal.ops.Int8Testing.randomBytes;
import static org.junit.Assert.assertArrayEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.quantization.QuantParams;
import dev.topiary.testing.TestSupport;
import java.util.Random;
import org.junit.Test;

/** MatMul with a constant INT8 b: INT8 a (against the float op) and FLOAT32 a (dynamic range). */
public class Int8MatMulTest {
  /** Dequantizes b [K, N] per tensor or per column. */
  private static float[] dequantizeB(byte[] b, QuantParams q, int n) {
    float[] f = new float[b.length];
    for (int i = 0; i < b.length; i++) {
      f[i] = q.dequantize(b[i], q.isPerTensor() ? 0 : i % n);
    }
    return f;
  }

  @Test
  public void int8AgainstFloat() throws Exception {
    Random r = new Random(17);
    int k = 9;
    int n = 6;
    Shape as = Shape.of(2, 3, k);
    Shape bs = Shape.of(k, n);
    float[] cols = new float[n];
    for (int j = 0; j < n; j++) {
      cols[j] = 0.003f + 0.01f * r.nextFloat();
    }
    for (QuantParams bq : new QuantParams[] {QuantParams.perTensor(0.01f, 0), QuantParams.perAxis(cols, new int[n], 1)}) {
      QuantParams aq = QuantParams.perTensor(0.04f, 6);
      QuantParams yq = QuantParams.perTensor(0.08f, -3);
      byte[] b = randomBytes(r, k * n, -127, 127);
      byte[] a = randomBytes(r, as.elementCount(), -128, 127);
      byte[] ref = null;
      for (boolean reference : new boolean[] {true, false}) {
        GraphBuilder g = new GraphBuilder();
        int ai = int8Input(g, "x", as, aq);
        int8Output(g, g.node("MatMul", "mm", ai, int8Constant(g, "b", bs, b, bq)), "y", yq);
        byte[] y = Int8Testing.run(g, feed("x", Tensor.ofBytes(DataType.INT8, as, a)), reference).toByteArray();
        if (ref != null) {
          assertArrayEquals("fast vs reference", ref, y);
        }
        ref = y;
      }
      GraphBuilder f = new GraphBuilder();
      int fa = f.input("x", DataType.FLOAT32, as);
      f.output(f.node("MatMul", "mm", fa, f.constant("b", bs, dequantizeB(b, bq, n))).output("y"));
      float[] fy = Int8Testing.run(f, feed("x", Tensor.ofFloats(as, Int8Testing.dequantize(a, aq))), true).toFloatArray();
      assertWithin("int8 MatMul " + bq, quantize(fy, yq), ref, 1);
    }
  }

  @Test
  public void dynamicRangeAgainstFloat() throws Exception {
    Random r = new Random(18);
    int k = 12;
    int n = 5;
    Shape as = Shape.of(4, k);
    Shape bs = Shape.of(k, n);
    QuantParams bq = QuantParams.perTensor(0.02f, 0);
    byte[] b = randomBytes(r, k * n, -127, 127);
    float[] a = TestSupport.randomFloats(r, as.elementCount(), -1f, 1f);
    GraphBuilder g = new GraphBuilder();
    int ai = g.input("x", DataType.FLOAT32, as);
    g.output(g.node("MatMul", "mm", ai, int8Constant(g, "b", bs, b, bq)).output("y"));
    float[] y = Int8Testing.run(g, feed("x", Tensor.ofFloats(as, a)), false).toFloatArray();
    GraphBuilder f = new GraphBuilder();
    int fa = f.input("x", DataType.FLOAT32, as);
    f.output(f.node("MatMul", "mm", fa, f.constant("b", bs, dequantizeB(b, bq, n))).output("y"));
    float[] fy = Int8Testing.run(f, feed("x", Tensor.ofFloats(as, a)), true).toFloatArray();
    // Input quantization error ≤ ½·(2/255) per element; Σ|b| ≤ 12·127·0.02.
    TestSupport.assertClose("dynamic MatMul", fy, y, 0, 0.5 * 2 / 255.0 * 12 * 127 * 0.02);
  }

  @Test
  public void batchedInt8BIsAnError() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int ai = int8Input(g, "x", Shape.of(2, 2, 3), QuantParams.perTensor(1f, 0));
    int bi = int8Constant(g, "b", Shape.of(2, 3, 2), new byte[12], QuantParams.perTensor(1f, 0));
    int8Output(g, g.node("MatMul", "mm", ai, bi), "y", QuantParams.perTensor(1f, 0));
    assertFails(g, "node 'mm' (MatMul): INT8 b (input 1 'b') must be a constant [K,N] matrix, got [2,3,2]");
  }
}
