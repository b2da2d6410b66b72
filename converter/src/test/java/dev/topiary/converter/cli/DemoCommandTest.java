package dev.topiary.converter.cli;

import static dev.topiary.converter.cli.CliTestSupport.run;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.converter.cli.CliTestSupport.Result;
import dev.topiary.internal.ops.OpRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class DemoCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** The repository's Fashion-MNIST fixtures, or a skipped test (with the reason on stderr) when missing. */
  private static Path fixtures() throws Exception {
    Path dir = DemoCommand.home().resolve(DemoCommand.FIXTURES);
    boolean present = Files.isRegularFile(dir.resolve("cnn.onnx")) && Files.isRegularFile(dir.resolve("test_images.npy"))
        && Files.isRegularFile(dir.resolve("test_labels.npy")) && Files.isRegularFile(dir.resolve("fixtures.json"));
    if (!present) {
      System.err.println("DemoCommandTest: skipped, no Fashion-MNIST fixtures in " + dir + " (" + DemoCommand.GENERATOR
          + " makes them)");
    }
    assumeTrue("no Fashion-MNIST fixtures in " + dir, present);
    return dir;
  }

  @Test
  public void demoPrintsTheTableAndReachesTheAccuracy() throws Exception {
    Path dir = fixtures();
    Result r = run("demo", "--fixtures", dir.toString(), "--threads", "1").assertOk();
    assertEquals("", r.err());
    String o = r.out();
    assertTrue(o, o.startsWith("Fashion-MNIST demo: "));
    assertTrue(o, o.contains("converted and run on 1000 test images\n"));
    assertTrue(o, o.matches("(?s).*\\n\\s+topiary\\s+reference\\n.*"));
    for (String row : new String[] {"model", "size", "parameters", "conversion", "accuracy", "hardest class",
        "latency, batch 1", "first run", "threads"}) {
      assertTrue(row + " row in:\n" + o, o.matches("(?s).*\\n" + row + "  +\\S.*"));
    }
    assertTrue(o, o.matches("(?s).*\\naccuracy +\\d+\\.\\d% \\(\\d+/1000\\) +\\d+\\.\\d% PyTorch.*"));
    assertTrue(o, o.matches("(?s).*\\nlatency, batch 1 +median \\d+\\.\\d+ ms, p90 \\d+\\.\\d+ ms +1000 runs, warm\\n.*"));
    assertTrue(o, o.contains("\nthreads           1\n"));
    assertTrue(o, o.contains("./topiary convert "));
  }

  @Test
  @SuppressWarnings("unchecked")
  public void demoJson() throws Exception {
    Path dir = fixtures();
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(
        run("demo", "--fixtures", dir.toString(), "--json", "--threads", "1").assertOk().out());
    assertEquals("topiary.demo/1", j.get("schema"));
    double accuracy = (Double) j.get("accuracy");
    assertTrue("accuracy " + accuracy, accuracy >= 0.85);
    assertEquals(1000.0, j.get("images"));
    assertEquals(accuracy * 1000, (Double) j.get("correct"), 1e-9);
    List<Object> perClass = (List<Object>) j.get("per_class");
    assertEquals(10, perClass.size());
    assertEquals("T-shirt/top", ((Map<String, Object>) perClass.get(0)).get("label"));
    assertEquals(1000.0, j.get("runs"));
    double median = (Double) j.get("median_ms");
    assertTrue(median > 0 && median <= (Double) j.get("p90_ms"));
    assertTrue((Double) j.get("first_run_ms") > 0);
    assertTrue((Double) j.get("artifact_bytes") > 0 && (Double) j.get("onnx_bytes") > 0);
    Double reference = (Double) j.get("reference_accuracy");
    assertTrue("close to PyTorch's " + reference, reference == null || Math.abs(reference - accuracy) <= 0.01);
  }

  @Test
  public void missingFixturesSayHowToMakeThem() throws Exception {
    Path empty = tmp.newFolder("empty").toPath();
    run("demo", "--fixtures", empty.toString())
        .assertError(1, "the Fashion-MNIST fixtures are missing (" + empty.resolve("cnn.onnx") + " not found); "
            + "generate them with tools/fixtures/make_fixtures.sh");
  }

  @Test
  public void malformedFixturesJsonIsOneLine() throws Exception {
    Path dir = tmp.newFolder("fx").toPath();
    for (String f : new String[] {"cnn.onnx", "test_images.npy", "test_labels.npy"}) {
      Files.write(dir.resolve(f), new byte[] {1});
    }
    Files.writeString(dir.resolve("fixtures.json"), "{\"class_names\": [\"a\",]}");
    run("demo", "--fixtures", dir.toString()).assertError(1, "fixtures.json: invalid JSON at line 1, column 22: unexpected ']'");
    Files.writeString(dir.resolve("fixtures.json"), "{\"class_names\": \"a\"}");
    run("demo", "--fixtures", dir.toString()).assertError(1, "fixtures.json: class_names should be an array of strings");
    Files.writeString(dir.resolve("fixtures.json"), "{\"normalization\": {\"mean\": 0.5}}");
    run("demo", "--fixtures", dir.toString()).assertError(1, "normalization.mean and normalization.std should both be given");
  }

  @Test
  public void fixturesJsonFields() throws Exception {
    Path f = tmp.newFile("fixtures.json").toPath();
    Files.writeString(f, "{\"class_names\": [\"a\", \"b\"], \"normalization\": {\"mean\": [0.5, 0.25], \"std\": [2, 4]},"
        + " \"torch_version\": \"2.1\", \"models\": {\"cnn\": {\"test_accuracy_subset\": 0.9}}, \"other\": [1, {}]}");
    DemoFixtures fx = DemoFixtures.read(f);
    assertEquals(List.of("a", "b"), fx.classNames());
    assertEquals(0.25f, fx.mean()[1], 0f);
    assertEquals(4f, fx.std()[1], 0f);
    assertEquals(0.9, fx.referenceAccuracy(), 0);
    assertEquals("PyTorch 2.1", fx.reference());
    Files.writeString(f, "{}");
    fx = DemoFixtures.read(f);
    assertEquals(List.of(), fx.classNames());
    assertEquals(null, fx.mean());
    assertEquals(null, fx.referenceAccuracy());
  }
}
