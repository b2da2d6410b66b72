package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.Int8Testing.assertFails;
import static dev.topiary.internal.ops.Int8Testing.feed;
import static dev.topiary.internal.ops.Int8Testing.int8Constant;
import static dev.topiary.internal.ops.Int8Testing.int8Input;
import static dev.topiary.internal.ops.Int8Testing.int8Output;
import static dev.topiary.internal.ops.Int8Testing.quant;
import static org.junit.Assert.assertArrayEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.quantization.QuantParams;
import org.junit.Test;

/** Quantize and Dequantize: hand-computed values, per-axis dequantization, errors. */
public class QuantOpsTest {
  @Test
  public void quantizeByHand() throws Exception {
    // scale 0.5, zp −3: x/0.5 rounded half away from zero, + zp, clamped.
    // 0 → −3; 0.25 → 0.5 → 1 → −2; −0.25 → −1 → −4; 1.74 → 3.48 → 3 → 0; 100 → 197 → 127;
    // −100 → −203 → −128; NaN → 0 → −3.
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(7));
    int8Output(g, g.node("Quantize", "q", x), "y", QuantParams.perTensor(0.5f, -3));
    Tensor in = Tensor.ofFloats(Shape.of(7), 0f, 0.25f, -0.25f, 1.74f, 100f, -100f, Float.NaN);
    assertArrayEquals(new byte[] {-3, -2, -4, 0, 127, -128, -3},
        Int8Testing.run(g, feed("x", in), false).toByteArray());
  }

  @Test
  public void dequantizePerTensorAndPerAxis() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = int8Input(g, "x", Shape.of(2, 2), QuantParams.perTensor(0.5f, 1));
    g.output(g.node("Dequantize", "d", x).output("y"));
    // 0.5·(q − 1): q = 1, 3, −128, 127 → 0, 1, −64.5, 63.
    Tensor in = Tensor.ofBytes(DataType.INT8, Shape.of(2, 2), (byte) 1, (byte) 3, (byte) -128, (byte) 127);
    assertArrayEquals(new float[] {0f, 1f, -64.5f, 63f}, Int8Testing.run(g, feed("x", in), true).toFloatArray(), 0f);

    // Per axis 1 of [2, 3]: scales 1, 0.5, 0.25.
    GraphBuilder h = new GraphBuilder();
    int c = int8Constant(h, "c", Shape.of(2, 3), new byte[] {4, 4, 4, -8, -8, -8},
        QuantParams.perAxis(new float[] {1f, 0.5f, 0.25f}, new int[3], 1));
    h.output(h.node("Dequantize", "d", c).output("y"));
    assertArrayEquals(new float[] {4, 2, 1, -8, -4, -2},
        Int8Testing.run(h, java.util.Collections.<String, Tensor>emptyMap(), false).toFloatArray(), 0f);

    // INT32 (a bias): scale 0.001.
    GraphBuilder b = new GraphBuilder();
    int bi = b.constantInts("b", Shape.of(2), new int[] {1000, -2500});
    quant(b, bi, QuantParams.perTensor(0.001f, 0));
    b.output(b.node("Dequantize", "d", bi).output("y"));
    assertArrayEquals(new float[] {1f, -2.5f},
        Int8Testing.run(b, java.util.Collections.<String, Tensor>emptyMap(), false).toFloatArray(), 1e-7f);
  }

  @Test
  public void roundTrip() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(256));
    GraphBuilder.NodeBuilder q = g.node("Quantize", "q", x);
    int qy = q.output("q", DataType.INT8, null);
    quant(g, qy, QuantParams.perTensor(0.1f, 5));
    g.output(g.node("Dequantize", "d", qy).output("y"));
    float[] v = new float[256];
    float[] expected = new float[256];
    for (int i = 0; i < 256; i++) {
      v[i] = 0.1f * (i - 128 - 5);
      expected[i] = v[i];
    }
    dev.topiary.testing.TestSupport.assertClose("round trip",
        expected, Int8Testing.run(g, feed("x", Tensor.ofFloats(Shape.of(256), v)), false).toFloatArray(), 1e-6, 1e-6);
  }

  @Test
  public void errors() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(2));
    g.output(g.node("Quantize", "q", x).output("y", DataType.INT8, null));
    assertFails(g, "node 'q' (Quantize): output 0 'y' is INT8 but has no quantization parameters");

    GraphBuilder h = new GraphBuilder();
    int hx = h.input("x", DataType.INT8, Shape.of(2));
    h.output(h.node("Dequantize", "d", hx).output("y"));
    assertFails(h, "node 'd' (Dequantize): input 0 'x' is INT8 but has no quantization parameters");

    GraphBuilder k = new GraphBuilder();
    int kx = k.input("x", DataType.FLOAT32, Shape.of(2));
    k.output(k.node("Dequantize", "d", kx).output("y"));
    assertFails(k, "node 'd' (Dequantize): input 0 'x' must be INT8 or INT32, got FLOAT32");

    GraphBuilder z = new GraphBuilder();
    int zx = z.input("x", DataType.FLOAT32, Shape.of(2));
    int8Output(z, z.node("Quantize", "q", zx), "y", QuantParams.perTensor(1f, 200));
    assertFails(z, "node 'q' (Quantize): output 0 'y' has zero point 200, outside the INT8 range [-128, 127]");
  }
}
