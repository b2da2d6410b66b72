package dev.topiary.converter.cli;

import static dev.topiary.converter.cli.CliTestSupport.run;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.cli.CliTestSupport.Result;
import dev.topiary.converter.npy.Npy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class RunCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path dir;
  private Path model;

  @Before
  public void setUp() throws Exception {
    dir = tmp.getRoot().toPath();
    model = CliTestSupport.reluChain(dir);
  }

  @Test
  public void runsAndWritesOutputsWithTopKLabels() throws Exception {
    Path x = npy("x.npy", Tensor.ofFloats(Shape.of(1, 4), -1f, 0.25f, 2f, 3f));
    Path out = dir.resolve("out/nested");
    Result r = run("run", model.toString(), "--input", "x=" + x, "--output-dir", out.toString(), "--threads", "1").assertOk();
    assertEquals("", r.err());
    Tensor scores = Npy.read(out.resolve("scores.npy")).tensor();
    assertEquals(Shape.of(1, 4), scores.shape());
    assertArrayEquals(new float[] {0f, 0.25f, 2f, 3f}, scores.toFloatArray(), 0f);
    String o = r.out();
    assertTrue(o, o.contains("input    x  [1,4] FLOAT32  <- " + x));
    assertTrue(o, o.matches("(?s).*scores\\s+\\[1,4\\]\\s+FLOAT32\\s+0\\s+3\\s+1\\.3125\\s+" + java.util.regex.Pattern.quote(out.resolve("scores.npy").toString()) + ".*"));
    assertTrue(o, o.contains("top-4 of scores"));
    assertTrue(o, o.matches("(?s).*\\n\\s+1\\s+3\\s+3\\s+fish\\n\\s+2\\s+2\\s+2\\s+bird\\n\\s+3\\s+1\\s+0\\.25\\s+dog\\n\\s+4\\s+0\\s+0\\s+cat\\n.*"));
    assertTrue(o, o.matches("(?s).*\\nlatency  \\d+\\.\\d+ ms  \\(first run of a fresh session, 1 thread\\)\\n"));
  }

  @Test
  public void singleInputModelTakesABareFileAndDefaultsToTheCurrentDirectory() throws Exception {
    Path x = npy("in.npy", Tensor.ofFloats(Shape.of(1, 4), 1, 2, 3, 4));
    Result r = run("run", model.toString(), "--input", x.toString(), "--json", "--output-dir", dir.resolve("o").toString()).assertOk();
    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) JsonReader.parse(r.out());
    assertEquals("topiary.run/1", json.get("schema"));
    assertEquals(model.toString(), json.get("model"));
    assertTrue(((Double) json.get("latency_ms")) >= 0);
    @SuppressWarnings("unchecked")
    Map<String, Object> output = (Map<String, Object>) ((List<Object>) json.get("outputs")).get(0);
    assertEquals("scores", output.get("name"));
    assertEquals(List.of(1.0, 4.0), output.get("shape"));
    assertEquals(4.0, output.get("max"));
    assertEquals(2.5, output.get("mean"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> top = (List<Map<String, Object>>) output.get("top");
    assertEquals("fish", top.get(0).get("label"));
    assertEquals(3.0, top.get(0).get("index"));
    assertTrue(Files.exists(dir.resolve("o/scores.npy")));
  }

  @Test
  public void float64InputIsConvertedWithANote() throws Exception {
    ByteBuffer d = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    d.putDouble(-1).putDouble(0.5).putDouble(7).putDouble(-0.0);
    byte[] f8 = dev.topiary.converter.npy.NpyTestFiles.file("<f8", "(1, 4)", d.array());
    Path x = Files.write(dir.resolve("x64.npy"), f8);
    Result r = run("run", model.toString(), "--input", "x=" + x, "--output-dir", dir.toString()).assertOk();
    assertTrue(r.err(), r.err().startsWith("topiary: note: " + x + ": converted float64 to FLOAT32"));
    assertArrayEquals(new float[] {0, 0.5f, 7, 0}, Npy.read(dir.resolve("scores.npy")).tensor().toFloatArray(), 0f);
  }

  @Test
  public void wrongInputShapeOrTypeExitsOneWithExpectedAndActual() throws Exception {
    Path x = npy("x.npy", Tensor.ofFloats(Shape.of(2, 2), 1, 2, 3, 4));
    run("run", model.toString(), "--input", "x=" + x, "--output-dir", dir.toString())
        .assertError(1, "input 'x' from " + x + ": expected [1,4] FLOAT32, got [2,2] FLOAT32 (<f4)");
    Path i = npy("i.npy", Tensor.ofInts(Shape.of(1, 4), 1, 2, 3, 4));
    run("run", model.toString(), "--input", i.toString(), "--output-dir", dir.toString())
        .assertError(1, "expected [1,4] FLOAT32, got [1,4] INT32 (<i4)");
    Path bad = Files.write(dir.resolve("bad.npy"), "\u0093NUMPY nonsense".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    run("run", model.toString(), "--input", bad.toString()).assertError(1, bad + ": unsupported .npy format version");
    run("run", model.toString(), "--input", dir.resolve("nope.npy").toString())
        .assertError(1, "no such .npy file: " + dir.resolve("nope.npy"));
    run("run", model.toString(), "--input", x.toString(), "--output-dir", x.toString())
        .assertError(1, "--output-dir " + x + " is not a directory");
  }

  @Test
  public void inputNamingMistakesAreUsageErrors() throws Exception {
    Path two = CliTestSupport.twoInputs(dir);
    Path a = npy("a.npy", Tensor.ofFloats(Shape.of(2, 3), 1, -2, 3, -4, 5, -6));
    run("run", two.toString(), "--input", "a=" + a)
        .assertError(2, "missing input 'b' [3] FLOAT32: pass --input b=FILE.npy (see 'topiary run --help')");
    run("run", two.toString(), "--input", "c=" + a).assertError(2, "the model has no input 'c'; its inputs are a [2,3] FLOAT32, b [3] FLOAT32");
    run("run", two.toString(), "--input", a.toString()).assertError(2, "name the input as NAME=FILE.npy");
    run("run", two.toString(), "--input", "a=" + a, "--input", "a=" + a).assertError(2, "input 'a' given more than once");
    run("run", two.toString(), "--input", "a=").assertError(2, "missing file name after '='");
    run("run", model.toString()).assertError(2, "missing input 'x' [1,4] FLOAT32: pass --input FILE.npy");
  }

  @Test
  public void multipleInputsAndUnsafeOutputNames() throws Exception {
    Path two = CliTestSupport.twoInputs(dir);
    Path a = npy("a.npy", Tensor.ofFloats(Shape.of(2, 3), 1, -2, 3, -4, 5, -6));
    Path b = npy("b.npy", Tensor.ofFloats(Shape.of(3), -1, 0, 1));
    Path out = dir.resolve("outs");
    Result r = run("run", two.toString(), "--input", "b=" + b, "--input", "a=" + a, "--output-dir", out.toString()).assertOk();
    assertArrayEquals(new float[] {1, 0, 3, 0, 5, 0}, Npy.read(out.resolve("out_a_0.npy")).tensor().toFloatArray(), 0f);
    assertArrayEquals(new float[] {0, 0, 1}, Npy.read(out.resolve("_._b.npy")).tensor().toFloatArray(), 0f);
    assertTrue(r.out(), !r.out().contains("top-"));
    try (var files = Files.list(out)) {
      assertEquals(2, files.count());
    }
  }

  @Test
  public void outputFileNamesAreSafeAndUnique() throws Exception {
    Set<String> taken = new HashSet<>();
    assertEquals("logits.npy", CliFiles.npyFileName("logits", taken));
    assertEquals("Logits_2.npy", CliFiles.npyFileName("Logits", taken));
    assertEquals("a_b_c.npy", CliFiles.npyFileName("a/b:c", taken));
    assertEquals("a_b_c_2.npy", CliFiles.npyFileName("a\\b c", taken));
    assertEquals("_..npy", CliFiles.npyFileName("..", taken));
    assertEquals("output.npy", CliFiles.npyFileName("", taken));
    assertEquals("__.npy", CliFiles.npyFileName("\u00e9\u4e2d", taken));
    assertEquals(120 + 4, CliFiles.npyFileName("x".repeat(500), taken).length());
  }

  private Path npy(String name, Tensor t) throws Exception {
    Path p = dir.resolve(name);
    Npy.write(t, p);
    return p;
  }
}
