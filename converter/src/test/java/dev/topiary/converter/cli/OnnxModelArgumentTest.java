package dev.topiary.converter.cli;

import static dev.topiary.converter.cli.CliTestSupport.run;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.cli.CliTestSupport.Result;
import dev.topiary.converter.npy.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code run}, {@code inspect} and {@code bench} given an ONNX model, converted in memory. */
public class OnnxModelArgumentTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final String BATCH_NOTE = "batch dimension of 'x' fixed to 1 (use --input-shape to change it)";

  private Path dir;
  private Path onnx;

  @Before
  public void setUp() throws Exception {
    dir = tmp.getRoot().toPath();
    onnx = CliTestSupport.write(dir.resolve("add_relu.onnx"), CliTestSupport.onnxAddRelu());
  }

  @Test
  public void runConvertsInMemory() throws Exception {
    Path x = dir.resolve("x.npy");
    Npy.write(Tensor.ofFloats(Shape.of(1, 4), -2, 3, -1, 5), x);
    Path labels = Files.writeString(dir.resolve("labels.txt"), "a\nb\nc\nd\n");
    Result r = run("run", onnx.toString(), "--input", x.toString(), "--output-dir", dir.toString(),
        "--labels", labels.toString()).assertOk();
    assertEquals("topiary: note: " + onnx + ": " + BATCH_NOTE + "\n", r.err());
    assertTrue(r.out(), r.out().startsWith("model    " + onnx + "  (ONNX opset 13, OnnxBuilder 1, "));
    assertTrue(r.out(), r.out().contains(", converted in memory in "));
    assertTrue(r.out(), r.out().matches("(?s).*\\n\\s+1\\s+3\\s+3\\s+d\\n.*"));
    assertArrayEquals(new float[] {0, 2, 1, 3}, Npy.read(dir.resolve("y.npy")).tensor().toFloatArray(), 0f);
  }

  @Test
  @SuppressWarnings("unchecked")
  public void runJsonHasTheConversionAndAcceptsAnInputShape() throws Exception {
    Path x = dir.resolve("x.npy");
    Npy.write(Tensor.ofFloats(Shape.of(2, 4), -2, 3, -1, 5, 0, 0, 0, 0), x);
    Result r = run("run", onnx.toString(), "--input", "x=" + x, "--output-dir", dir.toString(), "--json",
        "--input-shape", "x=2,4", "--no-optimize").assertOk();
    assertEquals("", r.err());
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out());
    assertEquals("topiary.run/1", j.get("schema"));
    Map<String, Object> c = (Map<String, Object>) j.get("conversion");
    assertEquals(onnx.toString(), c.get("source"));
    assertEquals(false, c.get("optimized"));
    assertEquals((double) Files.size(onnx), c.get("bytes_in"));
    assertEquals(List.of(), c.get("notes"));
    assertArrayEquals(new float[] {0, 2, 1, 3, 1, 0, 2, 0}, Npy.read(dir.resolve("y.npy")).tensor().toFloatArray(), 0f);
  }

  @Test
  @SuppressWarnings("unchecked")
  public void inspectDetectsOnnxByContentWhateverTheExtension() throws Exception {
    Path renamed = Files.copy(onnx, dir.resolve("model.topiary"));
    Result r = run("inspect", renamed.toString()).assertOk();
    assertEquals("topiary: note: " + renamed + ": " + BATCH_NOTE + "\n", r.err());
    assertTrue(r.out(), r.out().contains("\nconverted      in memory from ONNX opset 13, "));
    assertTrue(r.out(), r.out().contains("\nproducer       topiary-converter "));
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(run("inspect", renamed.toString(), "--json").assertOk().out());
    assertEquals("topiary.inspect/1", j.get("schema"));
    assertEquals(renamed.toString(), ((Map<String, Object>) j.get("file")).get("path"));
    assertEquals(List.of(BATCH_NOTE), ((Map<String, Object>) j.get("conversion")).get("notes"));
    assertNull(JsonReader.parse(run("inspect", CliTestSupport.reluChain(dir).toString(), "--json").assertOk().out()) instanceof Map<?, ?> m
        ? m.get("conversion") : "not an object");
    Path noExtension = Files.copy(onnx, dir.resolve("model"));
    run("inspect", noExtension.toString()).assertOk();
  }

  @Test
  @SuppressWarnings("unchecked")
  public void benchReportsConversionApartFromLoad() throws Exception {
    Result r = run("bench", onnx.toString(), "--iterations", "3", "--warmup", "1").assertOk();
    assertTrue(r.out(), r.out().matches("(?s).*\\nconvert +\\d+\\.\\d+ ms  \\(read, import, optimize, write the artifact\\)\\nload +\\d+\\.\\d+ ms\\n.*"));
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(
        run("bench", onnx.toString(), "--iterations", "3", "--json").assertOk().out());
    assertTrue((Double) j.get("convert_ms") > 0);
    assertTrue((Double) j.get("load_ms") > 0);
    assertEquals(j.get("convert_ms"), ((Map<String, Object>) j.get("conversion")).get("convert_ms"));
    Map<String, Object> artifact = (Map<String, Object>) JsonReader.parse(
        run("bench", CliTestSupport.reluChain(dir).toString(), "--iterations", "3", "--json").assertOk().out());
    assertTrue(artifact.containsKey("convert_ms"));
    assertNull(artifact.get("convert_ms"));
    assertFalse(run("bench", CliTestSupport.reluChain(dir).toString(), "--iterations", "3").out().contains("\nconvert "));
  }

  @Test
  public void sniffsOnnxFromTheFirstBytes() {
    byte[] model = CliTestSupport.onnxAddRelu();
    assertTrue(ModelFile.looksLikeOnnx(model, 16, model.length));
    assertTrue("graph first", ModelFile.looksLikeOnnx(new byte[] {0x3a, 0x05, 0, 0, 0, 0, 0}, 7, 7));
    assertFalse("graph longer than the file", ModelFile.looksLikeOnnx(new byte[] {0x3a, 0x7f, 0, 0}, 4, 4));
    assertFalse("text", ModelFile.looksLikeOnnx("this is text".getBytes(), 12, 12));
    assertFalse("artifact magic", ModelFile.looksLikeOnnx(dev.topiary.internal.format.ArtifactFormat.MAGIC, 8, 100));
    assertFalse("one byte", ModelFile.looksLikeOnnx(new byte[] {0x08}, 1, 1));
    assertFalse("ir_version as a string", ModelFile.looksLikeOnnx(new byte[] {0x0a, 0x01, 0}, 3, 3));
  }
}
