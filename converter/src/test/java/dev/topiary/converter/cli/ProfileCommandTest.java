package dev.topiary.converter.cli;

import static dev.topiary.converter.cli.CliTestSupport.run;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.topiary.converter.cli.CliTestSupport.Result;
import dev.topiary.converter.report.ProfileModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ProfileCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final String[] FAST = {"--warmup", "1", "--iterations", "3", "--threads", "1"};

  private Path model() throws Exception {
    return CliTestSupport.write(tmp.getRoot().toPath().resolve("chain.topiary"), ProfileModels.linearChain());
  }

  private static String[] args(String... a) {
    String[] all = Arrays.copyOf(a, a.length + FAST.length);
    System.arraycopy(FAST, 0, all, a.length, FAST.length);
    return all;
  }

  @SuppressWarnings("unchecked")
  static void assertValid(String json) throws Exception {
    Path schemaFile = DemoCommand.home().resolve("docs/profile.schema.json");
    Map<String, Object> schema = (Map<String, Object>) JsonReader.read(schemaFile, 1 << 20);
    List<String> errors = new SchemaValidator(schema).validate(JsonReader.parse(json));
    assertTrue(String.join("\n", errors), errors.isEmpty());
  }

  @Test
  public void printsTotalsAndEveryLayer() throws Exception {
    Path m = model();
    Result r = run(args("profile", m.toString())).assertOk();
    assertEquals("", r.err());
    String out = r.out();
    assertTrue(out, out.startsWith("model          " + m + "\n"));
    assertTrue(out, out.contains("\nMACs           5,154 per run\n"));
    assertTrue(out, out.matches("(?s).*\\nartifact       [0-9,]+ bytes \\(.*\\), format 1\\.[0-9]; DEFLATE [0-9,]+ bytes.*"));
    assertTrue(out, out.matches("(?s).*\\n  overhead     [0-9,]+ bytes: header [0-9,]+, alignment padding [0-9,]+.*"));
    assertTrue(out, out.matches("(?s).*\\narena          [0-9,]+ bytes .* per session; lower bound .*"));
    assertTrue(out, out.matches("(?s).*\\nload           \\d+\\.\\d+ ms.*\\nfirst run      \\d+\\.\\d+ ms.*"));
    assertTrue(out, out.matches("(?s).*\\nsteady         median \\d+\\.\\d+ ms, mean \\d+\\.\\d+ ms, p90 \\d+\\.\\d+ ms"
        + "  \\(3 runs after 1 warm-up, 1 thread\\).*"));
    assertTrue(out, out.contains("layers (6, execution order)"));
    for (String name : new String[] {"conv", "dw", "flat", "fc", "mm", ProfileModels.HOSTILE_NAME}) {
      assertTrue(name, out.contains("  " + name + "  "));
    }
    assertTrue(out, out.matches("(?s).*\\n +0  conv +Conv2D +FLOAT32 +\\[1,6,6,4\\] +112 +448 .* 3,888 .*"));
  }

  @Test
  public void sortsAndCutsTheTable() throws Exception {
    Result r = run(args("profile", model().toString(), "--sort", "macs", "--top", "2")).assertOk();
    String table = r.out().substring(r.out().indexOf("layers (6, by macs, top 2)"));
    String[] lines = table.split("\n");
    assertTrue(table, lines[2].matches(" +0  conv .*"));
    assertTrue(table, lines[3].matches(" +4  fc .*"));
    assertEquals("  ... 4 more layers (see --top, --json)", lines[4]);
  }

  @Test
  public void jsonFileFollowsTheSchema() throws Exception {
    Path json = tmp.getRoot().toPath().resolve("out/p.json");
    Path m = model();
    Result r = run(args("profile", m.toString(), "--json", json.toString())).assertOk();
    assertTrue(r.out(), r.out().contains("\njson           " + json + "\n"));
    String text = Files.readString(json, StandardCharsets.UTF_8);
    assertValid(text);
    @SuppressWarnings("unchecked")
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(text);
    assertEquals("topiary.profile/1", j.get("schema"));
    assertEquals(null, j.get("comparison"));
    @SuppressWarnings("unchecked")
    Map<String, Object> model = ((List<Map<String, Object>>) j.get("models")).get(0);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> layers = (List<Map<String, Object>>) model.get("layers");
    assertEquals(6, layers.size());
    double sum = 0;
    for (Map<String, Object> l : layers) {
      sum += (Double) l.get("weight_bytes");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> artifact = (Map<String, Object>) model.get("artifact");
    assertEquals((Double) artifact.get("weight_bytes"), sum, 0);
    assertTrue((Double) artifact.get("data_bytes") - sum < 64 * 8);

    Result stdout = run(args("profile", m.toString(), "--json", "-")).assertOk();
    assertTrue(stdout.out(), stdout.out().startsWith("{\n  \"schema\": \"topiary.profile/1\""));
    assertValid(stdout.out());
  }

  @Test
  public void comparesAnOnnxModelAsImportedWithItsArtifact() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path onnx = CliTestSupport.write(dir.resolve("m.onnx"), CliTestSupport.onnxAddRelu());
    Path artifact = dir.resolve("m.topiary");
    run("convert", onnx.toString(), "-o", artifact.toString()).assertOk();
    Path json = dir.resolve("cmp.json");
    Path html = dir.resolve("cmp.html");
    Result r = run(args("profile", onnx.toString(), artifact.toString(), "--json", json.toString(), "--html", html.toString()))
        .assertOk();
    String out = r.out();
    assertTrue(out, out.contains("== before ==\nmodel          " + onnx + "  (ONNX "));
    assertTrue(out, out.contains("converted in memory without optimisation)"));
    assertTrue(out, out.contains("== after ==\nmodel          " + artifact + "\n"));
    assertTrue(out, out.contains("== comparison: " + onnx + " (as imported) -> " + artifact + " =="));
    assertTrue(out, out.matches("(?s).*\\n  file bytes +[0-9,]+ +[0-9,]+ +\\d\\.\\d{3}x\\n.*"));
    assertTrue(out, out.contains("matched layers ("));
    assertTrue(out, out.contains("before layers without a counterpart (removed): "));
    assertTrue(out, out.contains("after layers without a counterpart (added): "));
    String text = Files.readString(json, StandardCharsets.UTF_8);
    assertValid(text);
    assertTrue(text, text.contains("\"kind\": \"onnx\",\n      \"optimized\": false"));
    String page = Files.readString(html, StandardCharsets.UTF_8);
    assertTrue(page.contains("Before \u2192 after"));
  }

  @Test
  public void writesTheHtmlReport() throws Exception {
    Path html = tmp.getRoot().toPath().resolve("r/report.html");
    Result r = run(args("profile", model().toString(), "--html", html.toString(), "--quiet")).assertOk();
    assertEquals("", r.err());
    String page = Files.readString(html, StandardCharsets.UTF_8);
    assertTrue(page.startsWith("<!DOCTYPE html>"));
    assertTrue(page.contains("<svg"));
    assertFalse(page.contains("<script"));
  }

  @Test
  public void truncatedArtifactIsAOneLineError() throws Exception {
    byte[] bytes = ProfileModels.linearChain();
    Path m = CliTestSupport.write(tmp.getRoot().toPath().resolve("cut.topiary"), Arrays.copyOf(bytes, bytes.length / 2));
    Result r = run(args("profile", m.toString()));
    assertEquals(Main.FAILURE, r.exit());
    CliTestSupport.assertOneLineError(r.err(), m.toString());
    assertEquals("", r.out());
  }

  @Test
  public void corruptedArtifactIsAOneLineError() throws Exception {
    byte[] bytes = ProfileModels.linearChain();
    bytes[bytes.length / 2] ^= 0x5A;
    Path m = CliTestSupport.write(tmp.getRoot().toPath().resolve("bad.topiary"), bytes);
    Result r = run(args("profile", m.toString()));
    assertEquals(Main.FAILURE, r.exit());
    CliTestSupport.assertOneLineError(r.err(), m.toString());
  }

  @Test
  public void truncatedOnnxIsAOneLineError() throws Exception {
    byte[] onnx = CliTestSupport.onnxAddRelu();
    Path m = CliTestSupport.write(tmp.getRoot().toPath().resolve("cut.onnx"), Arrays.copyOf(onnx, onnx.length - 7));
    Result r = run(args("profile", m.toString()));
    assertEquals(Main.FAILURE, r.exit());
    CliTestSupport.assertOneLineError(r.err(), "cut.onnx");
    Result after = run(args("profile", model().toString(), m.toString()));
    assertEquals(Main.FAILURE, after.exit());
    CliTestSupport.assertOneLineError(after.err(), "cut.onnx");
  }

  @Test
  public void usageErrors() throws Exception {
    String m = model().toString();
    Result sort = run("profile", m, "--sort", "size");
    assertEquals(Main.USAGE, sort.exit());
    CliTestSupport.assertOneLineError(sort.err(), "--sort: expected order, bytes, time or macs, got 'size'");
    Result three = run("profile", m, m, m);
    assertEquals(Main.USAGE, three.exit());
    CliTestSupport.assertOneLineError(three.err(), "unexpected argument '" + m + "'");
    Result none = run("profile");
    assertEquals(Main.USAGE, none.exit());
    CliTestSupport.assertOneLineError(none.err(), "missing MODEL argument");
    Result top = run("profile", m, "--top", "0");
    assertEquals(Main.USAGE, top.exit());
    Result missing = run("profile", tmp.getRoot().toPath().resolve("nope.topiary").toString());
    assertEquals(Main.FAILURE, missing.exit());
  }

  @Test
  public void helpDescribesTheCommand() {
    Result r = run("profile", "--help").assertOk();
    assertTrue(r.out(), r.out().startsWith("Usage: topiary profile MODEL [AFTER] [options]"));
    for (String o : new String[] {"--sort KEY", "--top N", "--threads N", "--iterations N", "--json FILE", "--html FILE", "--quiet"}) {
      assertTrue(o, r.out().contains(o));
    }
    assertTrue(run("--help").out().contains("  profile "));
  }
}
