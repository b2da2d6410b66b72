package dev.topiary.converter.quantize;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.format.ArtifactReader;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.format.proto.TensorDesc;
import dev.topiary.quantization.Float16;
import dev.topiary.quantization.LogScales;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.Test;

/** The rewrites on a one-layer model, checked against parameters computed by hand. */
public class QuantizerTest {
  static final float[] W = {1f, -0.5f, 0.25f, 0f, 0.1f, -0.2f};
  static final float[] B = {0.5f, -1f};

  /** x [1,3] → FullyConnected(w [2,3], b [2]) → y [1,2]. */
  static byte[] fc() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 3));
    int w = g.constant("w", Shape.of(2, 3), W);
    int b = g.constant("b", Shape.of(2), B);
    g.output(g.node("FullyConnected", "fc", x, w, b).output("y", DataType.FLOAT32, Shape.of(1, 2)));
    return g.build();
  }

  static Graph graph(byte[] artifact) throws Exception {
    return ArtifactReader.read(ByteBuffer.wrap(artifact), true).header().getGraph();
  }

  static TensorDesc tensor(Graph g, String name) {
    for (TensorDesc t : g.getTensorsList()) {
      if (t.getName().equals(name)) {
        return t;
      }
    }
    throw new AssertionError("no tensor " + name);
  }

  static ByteBuffer bytes(byte[] artifact, String name) throws Exception {
    var a = ArtifactReader.read(ByteBuffer.wrap(artifact), true);
    Graph g = a.header().getGraph();
    for (int i = 0; i < g.getTensorsCount(); i++) {
      if (g.getTensors(i).getName().equals(name)) {
        return a.constantBytes(i).order(ByteOrder.LITTLE_ENDIAN);
      }
    }
    throw new AssertionError("no tensor " + name);
  }

  static Quantizer.Options options(QuantizeMode m, Tensor calibration) {
    return new Quantizer.Options(m, calibration, CalibrationMethod.MINMAX, Set.of());
  }

  @Test
  public void fp16StoresHalfPrecisionWeightsAndBias() throws Exception {
    byte[] q = Quantizer.apply(fc(), options(QuantizeMode.FP16, null)).artifact();
    Graph g = graph(q);
    assertEquals(dev.topiary.internal.format.proto.DataType.FLOAT16, tensor(g, "w").getDataType());
    ByteBuffer w = bytes(q, "w");
    for (float v : W) {
      assertEquals(Float16.fromFloat(v), w.getShort());
    }
    assertEquals(dev.topiary.internal.format.proto.DataType.FLOAT16, tensor(g, "b").getDataType());
    try (Model m = Model.load(ByteBuffer.wrap(q)); Session s = m.newSession()) {
      float[] y = s.run(Map.of("x", Tensor.ofFloats(Shape.of(1, 3), 1, 2, 4))).get("y").toFloatArray();
      // Float16 of 0.1 and -0.2 are 0.0999755859375 and -0.199951171875.
      assertEquals(1 - 1 + 1 + 0.5f, y[0], 0);
      assertEquals(0.0999755859375 * 2 - 0.199951171875 * 4 - 1, y[1], 1e-6);
    }
  }

  @Test
  public void dynamicWeightsAreSymmetricPerChannelInt8() throws Exception {
    byte[] q = Quantizer.apply(fc(), options(QuantizeMode.DYNAMIC, null)).artifact();
    TensorDesc w = tensor(graph(q), "w");
    assertEquals(dev.topiary.internal.format.proto.DataType.INT8, w.getDataType());
    // By hand: scale = max|w_row| / 127 → 1/127 and 0.2/127, the second rounded up to the 8-bit
    // log code the artifact stores: 1/127 · 2^(−74/32) in float32 (0.2 = 2^(−74.3/32)), 0.66 % more.
    float s1 = LogScales.decode(1f / 127, 74);
    assertEquals(1f / 127, w.getQuantization().getScale(0), 0f);
    assertEquals(s1, w.getQuantization().getScale(1), 0f);
    assertTrue(s1 >= 0.2f / 127 && s1 < 0.2f / 127 * 1.0067f);
    assertEquals(List.of(), w.getQuantization().getZeroPointList()); // symmetric: none stored, all 0
    assertEquals(0, w.getQuantization().getAxis());
    // q = round half away (w / scale): row 0: 127, -63.5 → -64, 31.75 → 32;
    // row 1: 0, 0.1/s1 = 63.09 → 63, -0.2/s1 = -126.17 → -126 (no weight clips).
    byte[] v = new byte[6];
    bytes(q, "w").get(v);
    assertArrayEquals(new byte[] {127, -64, 32, 0, 63, -126}, v);
    assertEquals(dev.topiary.internal.format.proto.DataType.FLOAT32, tensor(graph(q), "b").getDataType());
    try (Model m = Model.load(ByteBuffer.wrap(q)); Session s = m.newSession()) {
      float[] y = s.run(Map.of("x", Tensor.ofFloats(Shape.of(1, 3), 1, 2, 4))).get("y").toFloatArray();
      assertEquals(1.5f, y[0], 0.05);
      assertEquals(-1.6f, y[1], 0.05);
    }
  }

  @Test
  public void int8FollowsTheTfliteLayout() throws Exception {
    // Calibration inputs by hand: x ∈ {[0,1,2], [-1,0.5,3]} → input range [-1, 3]: scale 4/255,
    // zero point round(-128 + 1/(4/255)) = round(-64.25) = -64.
    // Outputs: y0 = x·[1,-0.5,0.25] + 0.5 → 0.5 (sample 0) and -1 - 0.25 + 0.75 + 0.5 = 0 (sample 1);
    // y1 = x·[0,0.1,-0.2] - 1 → -1.3 and -1.55: y = [0.5, -1.3] and [0, -1.55], range [-1.55, 0.5]
    // → scale 2.05/255, zero point round(-128 + 1.55/(2.05/255)) = round(64.8) = 65.
    Tensor cal = Tensor.ofFloats(Shape.of(2, 3), 0, 1, 2, -1, 0.5f, 3);
    Quantizer.Result r = Quantizer.apply(fc(), options(QuantizeMode.INT8, cal));
    Graph g = graph(r.artifact());
    List<String> ops = new ArrayList<>();
    for (Node n : g.getNodesList()) {
      ops.add(n.getOpType());
    }
    assertEquals(List.of("FullyConnected", "Quantize", "Dequantize"), ops);
    TensorDesc xq = tensor(g, "x/int8");
    assertEquals(4f / 255, xq.getQuantization().getScale(0), 1e-8);
    assertEquals(-64, xq.getQuantization().getZeroPoint(0));
    TensorDesc yq = tensor(g, "y/int8");
    assertEquals(dev.topiary.internal.format.proto.DataType.INT8, yq.getDataType());
    assertEquals(2.05f / 255, yq.getQuantization().getScale(0), 1e-7);
    assertEquals(65, yq.getQuantization().getZeroPoint(0));
    TensorDesc b = tensor(g, "b");
    assertEquals(dev.topiary.internal.format.proto.DataType.INT32, b.getDataType());
    // Bias: scale_c = input scale × weight scale_c; q = round(b / scale_c).
    float s0 = (4f / 255) * (1f / 127);
    float s1 = (4f / 255) * LogScales.decode(1f / 127, 74);
    // The runtime derives exactly these parameters, so the artifact omits them (format 1.2). The
    // weight scales are stored as codes (format 1.3); the bias stays 32-bit, since −1/s1 ≈ −40,200
    // does not fit 16 bits.
    assertEquals(false, b.hasQuantization());
    assertEquals(0, b.getStoredWidth());
    assertEquals(3, dev.topiary.internal.format.ArtifactReader.read(ByteBuffer.wrap(r.artifact()), true).minorVersion());
    ByteBuffer bb = bytes(r.artifact(), "b");
    assertEquals(Math.round(0.5 / s0), bb.getInt());
    assertEquals(Math.round(-1 / s1), bb.getInt());
    // The boundary is unchanged: float in, float out, same names.
    assertEquals("x", g.getTensors(g.getInputs(0)).getName());
    assertEquals("y", g.getTensors(g.getOutputs(0)).getName());
    assertEquals(dev.topiary.internal.format.proto.DataType.FLOAT32, g.getTensors(g.getOutputs(0)).getDataType());
    // It runs, close to the float model (one output step is 2.05/255 ≈ 0.008).
    try (Model m = Model.load(ByteBuffer.wrap(r.artifact())); Session s = m.newSession()) {
      float[] y = s.run(Map.of("x", Tensor.ofFloats(Shape.of(1, 3), 0, 1, 2))).get("y").toFloatArray();
      assertEquals(0.5f, y[0], 0.03);
      assertEquals(-1.3f, y[1], 0.03);
    }
    LayerReport l = r.layers().get(0);
    assertEquals("fc", l.node());
    assertEquals("INT8", l.dtypeAfter());
    assertEquals(8, l.parameters());
    assertEquals(32, l.bytesBefore());
    assertEquals(6 + 8, l.bytesAfter());
    assertNotNull(l.sqnrDb());
    assertTrue("SQNR " + l.sqnrDb(), l.sqnrDb() > 25);
  }

  @Test
  public void keepFloatLeavesTheNodeAlone() throws Exception {
    Tensor cal = Tensor.ofFloats(Shape.of(2, 3), 0, 1, 2, -1, 0.5f, 3);
    Quantizer.Result r = Quantizer.apply(fc(), new Quantizer.Options(QuantizeMode.INT8, cal,
        CalibrationMethod.MSE, Set.of("fc", "nope")));
    Graph g = graph(r.artifact());
    assertEquals(1, g.getNodesCount());
    assertEquals(dev.topiary.internal.format.proto.DataType.FLOAT32, tensor(g, "w").getDataType());
    assertNull(r.layers().get(0).sqnrDb());
    assertTrue(r.notes().toString(), r.notes().get(0).startsWith("--keep-float: no node named nope"));
    assertTrue(r.notes().toString(), r.notes().get(1).contains("fc (FullyConnected: --keep-float)"));
  }

  @Test
  public void calibrationDataOfTheWrongShapeIsNamed() throws Exception {
    try {
      Quantizer.apply(fc(), options(QuantizeMode.INT8, Tensor.ofFloats(Shape.of(2, 2), 0, 1, 2, 3)));
      fail();
    } catch (ConversionException e) {
      assertEquals("calibration data (--calibration): expected samples of [3] FLOAT32 along the first dimension (input 'x' [1,3]),"
          + " got [2,2] FLOAT32", e.getMessage());
    }
    try {
      Quantizer.apply(fc(), options(QuantizeMode.INT8, null));
      fail();
    } catch (ConversionException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("needs calibration data"));
    }
  }

  /**
   * The int8 rewrite reads the runtime's declared precisions: a Conv2D with a fused HARD_SWISH (no
   * int8 kernel) stays float with that reason, its neighbour goes int8, and the result plans.
   */
  @Test
  public void int8KeepsFloatWhatTheRuntimeDeclaresNoInt8KernelFor() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4, 4, 2));
    float[] w = new float[3 * 2];
    for (int i = 0; i < w.length; i++) {
      w[i] = 0.1f * (i - 2);
    }
    int h = g.node("Conv2D", "hs", x, g.constant("w1", Shape.of(3, 1, 1, 2), w)).attr("activation", "HARD_SWISH")
        .output("h", DataType.FLOAT32, Shape.of(1, 4, 4, 3));
    int s = g.node("Softmax", "sm", h).output("s", DataType.FLOAT32, Shape.of(1, 4, 4, 3));
    g.output(g.node("Conv2D", "plain", s, g.constant("w2", Shape.of(3, 1, 1, 3), new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1}))
        .attr("activation", "RELU").output("y", DataType.FLOAT32, Shape.of(1, 4, 4, 3)));
    float[] cal = new float[8 * 32];
    for (int i = 0; i < cal.length; i++) {
      cal[i] = (float) Math.sin(i * 0.37);
    }
    Quantizer.Result r = Quantizer.apply(g.build(),
        options(QuantizeMode.INT8, Tensor.ofFloats(Shape.of(8, 4, 4, 2), cal)));
    String notes = r.notes().toString();
    assertTrue(notes, notes.contains("hs (Conv2D: no int8 kernel with the fused activation HARD_SWISH)"));
    assertTrue(notes, notes.contains("sm (Softmax: no int8 kernel)"));
    Graph q = graph(r.artifact());
    assertEquals(dev.topiary.internal.format.proto.DataType.FLOAT32, tensor(q, "w1").getDataType());
    assertEquals(dev.topiary.internal.format.proto.DataType.INT8, tensor(q, "w2").getDataType());
    Model.load(ByteBuffer.wrap(r.artifact())).close();
  }
}
