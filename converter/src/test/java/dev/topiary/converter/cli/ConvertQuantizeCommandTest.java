package dev.topiary.converter.cli;

import static dev.topiary.converter.cli.CliTestSupport.assertOneLineError;
import static dev.topiary.converter.cli.CliTestSupport.run;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.converter.cli.CliTestSupport.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code convert --quantize}, {@code --report} and {@code --eval} on the Fashion-MNIST MLP. */
public class ConvertQuantizeCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static Path fixtures() throws Exception {
    Path dir = DemoCommand.home().resolve(DemoCommand.FIXTURES);
    assumeTrue("no Fashion-MNIST fixtures in " + dir, Files.isRegularFile(dir.resolve("mlp.onnx"))
        && Files.isRegularFile(dir.resolve("calibration_images.npy")));
    return dir;
  }

  @Test
  @SuppressWarnings("unchecked")
  public void int8ReportAndEvaluation() throws Exception {
    Path f = fixtures();
    Path out = tmp.getRoot().toPath().resolve("mlp8.topiary");
    Path report = tmp.getRoot().toPath().resolve("r/report.json");
    Result r = run("convert", f.resolve("mlp.onnx").toString(), "-o", out.toString(), "--quantize", "int8",
        "--calibration", f.resolve("calibration_images.npy").toString(), "--calibration-method", "percentile",
        "--eval", f.resolve("test_images.npy").toString(), f.resolve("test_labels.npy").toString(),
        "--report", report.toString()).assertOk();
    assertTrue(r.out(), r.out().contains("quantization   int8 (calibration percentile): 220,752 -> "));
    assertTrue(r.out(), r.out().contains("SQNR dB"));
    assertTrue(r.out(), r.out().contains("accuracy       88.00% -> "));
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(Files.readString(report));
    Map<String, Object> q = (Map<String, Object>) j.get("quantization");
    assertEquals("int8", q.get("mode"));
    assertEquals(220752L, ((Number) q.get("float_bytes")).longValue());
    assertEquals(Files.size(out), ((Number) q.get("bytes")).longValue());
    List<Object> layers = (List<Object>) q.get("layers");
    assertEquals(4, layers.size());
    Map<String, Object> fc1 = (Map<String, Object>) layers.get(1);
    assertEquals("FullyConnected", fc1.get("op"));
    assertEquals("FLOAT32", fc1.get("dtype_before"));
    assertEquals("INT8", fc1.get("dtype_after"));
    // 784·64 weights + 64 biases: 4 bytes each before; 1 byte per weight and 4 per INT32 bias after.
    assertEquals(50240L, ((Number) fc1.get("parameters")).longValue());
    assertEquals(200960L, ((Number) fc1.get("bytes_before")).longValue());
    assertEquals(50176L + 256, ((Number) fc1.get("bytes_after")).longValue());
    assertTrue(((Number) fc1.get("sqnr_db")).doubleValue() > 20);
    Map<String, Object> e = (Map<String, Object>) j.get("evaluation");
    // PyTorch measured 0.88 on the same 1000 images (fixtures.json).
    assertEquals(0.88, ((Number) e.get("accuracy_before")).doubleValue(), 1e-9);
    double after = ((Number) e.get("accuracy_after")).doubleValue();
    assertTrue("int8 accuracy " + after, 0.88 - after <= 0.005 + 1e-9);
    assertEquals(10, ((List<Object>) e.get("per_class")).size());
    assertNull(e.get("error"));
  }

  @Test
  @SuppressWarnings("unchecked")
  public void fp16JsonHasTheSizeRatio() throws Exception {
    Path f = fixtures();
    Path out = tmp.getRoot().toPath().resolve("mlp16.topiary");
    Result r = run("convert", f.resolve("mlp.onnx").toString(), "-o", out.toString(), "--quantize", "fp16", "--json")
        .assertOk();
    Map<String, Object> q = (Map<String, Object>) ((Map<String, Object>) JsonReader.parse(r.out())).get("quantization");
    assertEquals("fp16", q.get("mode"));
    assertTrue(q.toString(), ((Number) q.get("size_ratio")).doubleValue() <= 0.51);
    assertNull(q.get("calibration_method"));
    assertNotNull(q.get("layers"));
  }

  @Test
  public void usageErrors() throws Exception {
    Path f = fixtures();
    String m = f.resolve("mlp.onnx").toString();
    String o = tmp.getRoot().toPath().resolve("x.topiary").toString();
    Result r = run("convert", m, "-o", o, "--quantize", "int4");
    assertEquals(2, r.exit());
    assertOneLineError(r.err(), "--quantize int4: expected fp16, dynamic or int8");
    r = run("convert", m, "-o", o, "--quantize", "int8");
    assertEquals(2, r.exit());
    assertOneLineError(r.err(), "--quantize int8 needs --calibration X.npy");
    r = run("convert", m, "-o", o, "--quantize", "fp16", "--calibration", "c.npy");
    assertEquals(2, r.exit());
    assertOneLineError(r.err(), "--calibration applies to --quantize int8");
    r = run("convert", m, "-o", o, "--eval", "x.npy");
    assertEquals(2, r.exit());
    assertOneLineError(r.err(), "option --eval needs two values X.npy Y.npy");
    r = run("convert", m, "-o", o, "--quantize", "int8", "--calibration", f.resolve("test_labels.npy").toString());
    assertEquals(1, r.exit());
    assertOneLineError(r.err(), "calibration data (--calibration): expected samples of [1,28,28] FLOAT32");
    String cal = f.resolve("calibration_images.npy").toString();
    r = run("convert", m, "-o", o, "--quantize", "int8", "--calibration", cal, "--max-accuracy-drop", "0.3");
    assertEquals(2, r.exit());
    assertOneLineError(r.err(), "--max-accuracy-drop needs --eval X.npy Y.npy");
    r = run("convert", m, "-o", o, "--quantize", "int8", "--calibration", cal, "--max-accuracy-drop", "-1",
        "--eval", "x.npy", "y.npy");
    assertEquals(2, r.exit());
    assertOneLineError(r.err(), "--max-accuracy-drop: expected percentage points (a number >= 0), got -1");
    r = run("convert", m, "-o", o, "--quantize", "fp16", "--max-accuracy-drop", "0.3");
    assertEquals(2, r.exit());
    assertOneLineError(r.err(), "--max-accuracy-drop applies to --quantize int8");
  }

  @Test
  @SuppressWarnings("unchecked")
  public void maxAccuracyDropReport() throws Exception {
    Path f = fixtures();
    Path out = tmp.getRoot().toPath().resolve("mlp-amp.topiary");
    String x = f.resolve("test_images.npy").toString();
    String y = f.resolve("test_labels.npy").toString();
    Result r = run("convert", f.resolve("mlp.onnx").toString(), "-o", out.toString(), "--quantize", "int8",
        "--calibration", f.resolve("calibration_images.npy").toString(), "--max-accuracy-drop", "0.3",
        "--eval", x, y).assertOk();
    assertTrue(r.out(), r.out().contains("mixed prec.    budget 0.30 pp drop; float 88.00%, all-int8 87.90% (-0.10 pp), final 87.90% (-0.10 pp);"));
    assertTrue(r.out(), r.out().contains("mixed precision: int8 drops top-1 accuracy by 0.10 pp"));
    r = run("convert", f.resolve("mlp.onnx").toString(), "-o", out.toString(), "--quantize", "int8",
        "--calibration", f.resolve("calibration_images.npy").toString(), "--max-accuracy-drop", "0.3",
        "--eval", x, y, "--json").assertOk();
    Map<String, Object> q = (Map<String, Object>) ((Map<String, Object>) JsonReader.parse(r.out())).get("quantization");
    Map<String, Object> mp = (Map<String, Object>) q.get("mixed_precision");
    assertEquals(0.3, ((Number) mp.get("max_accuracy_drop_pp")).doubleValue(), 0);
    assertEquals(0.88, ((Number) mp.get("accuracy_float")).doubleValue(), 1e-9);
    assertEquals(true, mp.get("within_budget"));
    assertEquals(List.of(), mp.get("kept_float"));
    assertEquals(List.of(), mp.get("sensitivity"));
    assertEquals(1000L, ((Number) mp.get("images")).longValue());
  }
}
