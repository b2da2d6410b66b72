package dev.topiary.converter.quantize;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.internal.build.GraphBuilder;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.Test;

/** The mixed-precision search on a model with one fragile layer and on the Fashion-MNIST fixtures. */
public class MixedPrecisionTest {
  static final int N = 300;

  /**
   * x [1,4] → fc1 (identity) → fc2 → fc3 (keeps features 0..2) → scores [1,3]. fc2 is the identity
   * on features 0..2 plus weight 1000 from feature 3 (near zero in the data) into every output:
   * in float it adds the same tiny amount to every score, but int8's per-channel scale of
   * 1000/127 rounds the identity weights to 0, so int8 fc2 outputs equal scores and the argmax
   * is always class 0.
   */
  static byte[] fragile() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4));
    float[] id = new float[16];
    float[] w2 = new float[16];
    for (int c = 0; c < 4; c++) {
      id[c * 4 + c] = 1;
      w2[c * 4 + c] = c < 3 ? 1 : 0;
      w2[c * 4 + 3] = 1000;
    }
    float[] w3 = new float[12];
    for (int c = 0; c < 3; c++) {
      w3[c * 4 + c] = 1;
    }
    int h1 = g.node("FullyConnected", "fc1", x, g.constant("w1", Shape.of(4, 4), id),
        g.constant("b1", Shape.of(4), new float[4])).output("h1", DataType.FLOAT32, Shape.of(1, 4));
    int h2 = g.node("FullyConnected", "fc2", h1, g.constant("w2", Shape.of(4, 4), w2),
        g.constant("b2", Shape.of(4), new float[4])).output("h2", DataType.FLOAT32, Shape.of(1, 4));
    g.output(g.node("FullyConnected", "fc3", h2, g.constant("w3", Shape.of(3, 4), w3),
        g.constant("b3", Shape.of(3), new float[3])).output("y", DataType.FLOAT32, Shape.of(1, 3)));
    return g.build();
  }

  /** Samples whose class (i mod 3) feature is at least 0.5 above the others; feature 3 is ~1e-4. */
  static Tensor samples(long seed) {
    Random r = new Random(seed);
    float[] x = new float[N * 4];
    for (int i = 0; i < N; i++) {
      for (int f = 0; f < 3; f++) {
        x[i * 4 + f] = 0.5f * r.nextFloat() + (f == i % 3 ? 1 : 0);
      }
      x[i * 4 + 3] = 1e-4f * r.nextFloat();
    }
    return Tensor.ofFloats(Shape.of(N, 4), x);
  }

  static long[] labels() {
    long[] l = new long[N];
    for (int i = 0; i < N; i++) {
      l[i] = i % 3;
    }
    return l;
  }

  @Test
  public void keepsExactlyTheFragileLayerInFloat() throws Exception {
    Quantizer.Options o = new Quantizer.Options(QuantizeMode.INT8, samples(1), CalibrationMethod.MINMAX, Set.of());
    MixedPrecision.Result r = MixedPrecision.search(fragile(), o, samples(2), labels(), 1.0);
    MixedPrecision.Report rep = r.report();
    System.err.println(rep.note());
    assertEquals(1.0, rep.floatAccuracy(), 0);
    assertTrue("int8 drop " + rep.int8DropPp(), rep.int8DropPp() > 50);
    assertEquals(List.of("fc2"), rep.keptFloat());
    assertEquals("fc2", rep.sensitivity().get(0).node());
    assertEquals(3, rep.sensitivity().size());
    assertTrue(rep.withinBudget());
    assertEquals(1.0, MixedPrecision.accuracy(r.quantized().artifact(), samples(2), labels(), new int[1]), 0);
    for (LayerReport l : r.quantized().layers()) {
      assertEquals(l.node(), l.node().equals("fc2") ? "FLOAT32" : "INT8", l.dtypeAfter());
    }
    assertTrue(r.quantized().notes().toString(), r.quantized().notes().toString().contains("fc2"));
  }

  @Test
  public void withinBudgetAlreadyKeepsEverythingInt8() throws Exception {
    Quantizer.Options o = new Quantizer.Options(QuantizeMode.INT8, samples(1), CalibrationMethod.MINMAX,
        Set.of("fc2"));
    MixedPrecision.Report rep = MixedPrecision.search(fragile(), o, samples(2), labels(), 1.0).report();
    assertEquals(List.of(), rep.keptFloat());
    assertEquals(List.of(), rep.sensitivity());
    assertEquals(2, rep.evaluations());
  }

  private static MixedPrecision.Report fixture(String model, double pp) throws Exception {
    Tensor x = FashionMnist.read("test_images.npy");
    long[] y = FashionMnist.read("test_labels.npy").toLongArray();
    ConversionResult r = Converter.convert(FashionMnist.dir().resolve(model), ConvertOptions.builder()
        .quantize(QuantizeMode.INT8).calibration(FashionMnist.read("calibration_images.npy"))
        .maxAccuracyDrop(pp, x, y).build());
    MixedPrecision.Report rep = r.quantization().mixedPrecision();
    System.err.println(model + ": " + rep.note());
    assertTrue(r.summary().notes().contains(rep.note()));
    double a = FashionMnist.accuracy(r.artifact(), x, y);
    assertEquals(rep.finalAccuracy(), a, 1e-12);
    return rep;
  }

  @Test
  public void cnnWithinPointThreePercent() throws Exception {
    MixedPrecision.Report rep = fixture("cnn.onnx", 0.3);
    assertTrue("final drop " + rep.finalDropPp(), rep.finalDropPp() <= 0.3 + 1e-9);
  }

  /** A budget all-int8 misses (0.30 pp drop), so the search has to keep layers in float. */
  @Test
  public void cnnTightBudgetKeepsLayersInFloat() throws Exception {
    MixedPrecision.Report rep = fixture("cnn.onnx", 0.1);
    assertTrue("int8 drop " + rep.int8DropPp(), rep.int8DropPp() > 0.1);
    assertTrue("final drop " + rep.finalDropPp(), rep.finalDropPp() <= 0.1 + 1e-9);
    assertTrue(!rep.keptFloat().isEmpty() && rep.keptFloat().size() < rep.sensitivity().size());
  }

  @Test
  public void mlpWithinPointThreePercent() throws Exception {
    MixedPrecision.Report rep = fixture("mlp.onnx", 0.3);
    assertTrue("final drop " + rep.finalDropPp(), rep.finalDropPp() <= 0.3 + 1e-9);
  }
}
