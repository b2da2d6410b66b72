package dev.topiary.converter.cli;

import static dev.topiary.converter.cli.CliTestSupport.run;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.Model;
import dev.topiary.Shape;
import dev.topiary.converter.cli.CliTestSupport.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ConvertCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path dir;
  private Path onnx;

  @Before
  public void setUp() throws Exception {
    dir = tmp.getRoot().toPath();
    onnx = CliTestSupport.write(dir.resolve("add_relu.onnx"), CliTestSupport.onnxAddRelu());
  }

  @Test
  public void convertsAndPrintsTheSummary() throws Exception {
    Path out = dir.resolve("sub/dir/add_relu.topiary");
    Result r = run("convert", onnx.toString(), "-o", out.toString()).assertOk();
    assertEquals("", r.err());
    String o = r.out();
    assertTrue(o, o.startsWith("converted      " + onnx + " -> " + out + "  in "));
    assertTrue(o, o.contains("\nsource         ONNX opset 13, OnnxBuilder 1, " + Fmt.grouped(Files.size(onnx)) + " bytes"));
    assertTrue(o, o.matches("(?s).*\\nartifact       [0-9,]+ bytes \\(.*\\), \\d+\\.\\d\\dx the ONNX file\\n.*"));
    assertTrue(o, o.contains("\nparameters     4\n"));
    assertTrue(o, o.contains("\ninput          x [1,4] FLOAT32\n"));
    assertTrue(o, o.contains("\noutput         y [1,4] FLOAT32\n"));
    assertTrue(o, o.contains("\nONNX op (before)  nodes    runtime op (after)  nodes\n"));
    assertTrue(o, o.matches("(?s).*\\nAdd\\s+1\\s+Add\\s+1\\n.*"));
    // The Relu is fused into the Add (activation fusion).
    assertTrue(o, o.matches("(?s).*\\nIdentity\\s+1\\nRelu\\s+1\\n.*"));
    assertTrue(o, o.matches("(?s).*\\ntotal\\s+3\\s+total\\s+1\\n.*"));
    assertTrue(o, o.endsWith("\nnotes\n  batch dimension of 'x' fixed to 1 (use --input-shape to change it)\n"));

    try (Model m = Model.load(out)) {
      assertEquals(Shape.of(1, 4), m.inputs().get(0).shape());
      assertEquals("y", m.outputs().get(0).name());
    }
    assertEquals("no temporary file left behind", 1, Files.list(out.getParent()).count());
  }

  @Test
  @SuppressWarnings("unchecked")
  public void jsonHasTheSchemaAndEveryField() throws Exception {
    Path labels = Files.write(dir.resolve("labels.txt"), "\uFEFFzero\r\none\r\ntwo\r\nthree\r\n".getBytes(StandardCharsets.UTF_8));
    Path out = dir.resolve("m.topiary");
    Result r = run("convert", onnx.toString(), "--output", out.toString(), "--json", "--input-shape", "x=3,4",
        "--labels", labels.toString(), "--name", "tiny", "--description", "adds and clamps",
        "--normalize-mean", "0.5", "--normalize-std", "0.25").assertOk();
    assertEquals("", r.err());
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out());
    assertEquals("topiary.convert/1", j.get("schema"));
    assertEquals(onnx.toString(), j.get("model"));
    assertEquals(out.toString(), j.get("output"));
    assertEquals((double) Files.size(onnx), j.get("bytes_in"));
    assertEquals((double) Files.size(out), j.get("bytes_out"));
    assertEquals((Double) j.get("bytes_out") / (Double) j.get("bytes_in"), (Double) j.get("size_ratio"), 1e-12);
    assertEquals(dev.topiary.converter.onnx.OnnxReader.sha256(Files.readAllBytes(onnx)), j.get("source_sha256"));
    assertEquals(13.0, j.get("source_opset"));
    assertEquals(true, j.get("optimized"));
    assertTrue((Double) j.get("convert_ms") > 0);
    assertEquals(4.0, j.get("parameters"));
    assertEquals(Map.of("Add", 1.0, "Identity", 1.0, "Relu", 1.0), j.get("ops_before"));
    assertEquals(Map.of("Add", 1.0), j.get("ops_after"));
    assertEquals(3.0, j.get("nodes_before"));
    assertEquals(1.0, j.get("nodes_after"));
    assertEquals(List.of(), j.get("notes"));
    assertEquals(List.of(3.0, 4.0), ((Map<String, Object>) ((List<Object>) j.get("inputs")).get(0)).get("shape"));
    Map<String, Object> meta = (Map<String, Object>) j.get("metadata");
    assertEquals("tiny", meta.get("name"));
    assertEquals("adds and clamps", meta.get("description"));
    assertEquals(List.of("zero", "one", "two", "three"), meta.get("labels"));
    assertEquals(List.of(0.5), meta.get("normalization_mean"));
    assertEquals(List.of(0.25), meta.get("normalization_std"));
    assertEquals(true, j.get("planned"));
    assertNull(j.get("plan_error"));
    try (Model m = Model.load(out)) {
      assertEquals(List.of("zero", "one", "two", "three"), m.metadata().labels());
      assertEquals(j.get("sha256"), m.sha256());
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  public void noOptimizeIsReported() throws Exception {
    Path out = dir.resolve("m.topiary");
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(
        run("convert", onnx.toString(), "-o", out.toString(), "--json", "--no-optimize").assertOk().out());
    assertEquals(false, j.get("optimized"));
    assertTrue((Double) j.get("patches_applied") >= 0);
    assertTrue(run("convert", onnx.toString(), "-o", out.toString(), "--no-optimize").assertOk().out()
        .contains("  (--no-optimize)\n"));
  }

  @Test
  public void labelsThatDoNotMatchTheClassesGetANote() throws Exception {
    Path labels = Files.write(dir.resolve("labels.txt"), "a\nb\n".getBytes(StandardCharsets.UTF_8));
    Result r = run("convert", onnx.toString(), "-o", dir.resolve("m.topiary").toString(), "--labels", labels.toString())
        .assertOk();
    assertTrue(r.out(), r.out().contains("\n  2 labels given but output 'y' [1,4] has 4 classes\n"));
  }

  @Test
  public void unsupportedOpsAreAllListedWithTheirNodes() throws Exception {
    Path bad = CliTestSupport.write(dir.resolve("custom.onnx"), CliTestSupport.onnxUnsupported());
    Path out = dir.resolve("custom.topiary");
    Result r = run("convert", bad.toString(), "-o", out.toString())
        .assertError(1, bad + ": cannot convert: 2 unsupported op types: ");
    assertTrue(r.err(), r.err().contains("FancyOp ('fancy_a', 'fancy_b')"));
    assertTrue(r.err(), r.err().contains("custom.domain:Magic ('magic')"));
    assertEquals("", r.out());
    assertFalse(Files.exists(out));
    for (String cmd : new String[] {"inspect", "bench"}) {
      run(cmd, bad.toString()).assertError(1, "FancyOp ('fancy_a', 'fancy_b')");
    }
  }

  @Test
  public void badOnnxFilesExitOneWithTheReadersMessage() throws Exception {
    byte[] good = CliTestSupport.onnxAddRelu();
    Path truncated = CliTestSupport.write(dir.resolve("truncated.onnx"), java.util.Arrays.copyOf(good, good.length - 7));
    Path text = CliTestSupport.write(dir.resolve("text.onnx"), "hello, not a model\n".getBytes(StandardCharsets.UTF_8));
    Path empty = CliTestSupport.write(dir.resolve("empty.onnx"), new byte[0]);
    Path out = dir.resolve("x.topiary");
    run("convert", truncated.toString(), "-o", out.toString()).assertError(1, truncated + ": not a valid ONNX protobuf");
    run("convert", text.toString(), "-o", out.toString()).assertError(1, text + ": not a valid ONNX protobuf");
    run("convert", empty.toString(), "-o", out.toString()).assertError(1, empty + ": empty file: not an ONNX model");
    run("convert", dir.resolve("nope.onnx").toString(), "-o", out.toString()).assertError(1, "no such ONNX model: ");
    run("inspect", truncated.toString()).assertError(1, truncated + ": not a valid ONNX protobuf");
    assertFalse(Files.exists(out));
  }

  @Test
  public void inputShapeParseErrorsExitTwoNamingTheArgument() throws Exception {
    String out = dir.resolve("x.topiary").toString();
    String[][] cases = {
      {"x", "--input-shape x: expected NAME=D0,D1,... (e.g. input=1,3,224,224)"},
      {"1,4", "--input-shape 1,4: expected NAME=D0,D1,..."},
      {"=1,4", "--input-shape =1,4: missing input name before '='"},
      {"x=", "--input-shape x=: missing dimensions after '='"},
      {"x=1,,4", "--input-shape x=1,,4: dimension 1 '' is not a positive whole number"},
      {"x=1,four", "--input-shape x=1,four: dimension 1 'four' is not a positive whole number"},
      {"x=0,4", "--input-shape x=0,4: dimension 0 '0' is not a positive whole number"},
      {"x=-1,4", "--input-shape x=-1,4: dimension 0 '-1' is not a positive whole number"},
      {"x=1.5,4", "--input-shape x=1.5,4: dimension 0 '1.5' is not a positive whole number"},
      {"x=3000000000,4", "--input-shape x=3000000000,4: dimension 0 '3000000000' is too large (at most 2147483647)"},
      {"x=99999999999999999999999,4", "is too large"},
      {"x=65536,65536", "--input-shape x=65536,65536: more than 2^31-1 elements"},
      {"nope=1,4", "--input-shape nope=1,4: the model has no input 'nope'; its inputs are 'x'"},
    };
    for (String[] c : cases) {
      for (String cmd : new String[] {"convert", "inspect"}) {
        List<String> args = new java.util.ArrayList<>(List.of(cmd, onnx.toString(), "--input-shape", c[0]));
        if (cmd.equals("convert")) {
          args.addAll(List.of("-o", out));
        }
        run(args.toArray(new String[0])).assertError(2, c[1]).assertError(2, "(see 'topiary " + cmd + " --help')");
      }
    }
    run("convert", onnx.toString(), "-o", out, "--input-shape", "x=1,4", "--input-shape=x=2,4")
        .assertError(2, "--input-shape given twice for input 'x'");
    run("convert", onnx.toString(), "-o", out, "--input-shape", "x=1,2,4")
        .assertError(1, "cannot convert: input 'x': the model declares [?,4], --input-shape gives [1,2,4]");
  }

  @Test
  public void otherUsageErrors() throws Exception {
    String out = dir.resolve("x.topiary").toString();
    run("convert", onnx.toString()).assertError(2, "missing -o OUT.topiary");
    run("convert", onnx.toString(), "-o", out, "--normalize-mean", "0.5")
        .assertError(2, "--normalize-mean needs --normalize-std");
    run("convert", onnx.toString(), "-o", out, "--normalize-mean", "0.5,1", "--normalize-std", "1")
        .assertError(2, "--normalize-mean has 2 values but --normalize-std has 1");
    run("convert", onnx.toString(), "-o", out, "--normalize-mean", "0.5", "--normalize-std", "0")
        .assertError(2, "--normalize-std 0: '0' is not a positive finite number");
    run("convert", onnx.toString(), "-o", out, "--normalize-mean", "NaN", "--normalize-std", "1")
        .assertError(2, "--normalize-mean NaN: 'NaN' is not a finite number");
    run("convert", onnx.toString(), "-o", onnx.toString()).assertError(2, "is the ONNX model itself");
    run("convert", onnx.toString(), "-o", dir.toString()).assertError(1, "-o " + dir + " is a directory");
    Path artifact = CliTestSupport.reluChain(dir);
    run("convert", artifact.toString(), "-o", out).assertError(1, "is already a .topiary artifact, not an ONNX model");
    run("inspect", artifact.toString(), "--no-optimize")
        .assertError(2, "--no-optimize applies to ONNX models; " + artifact + " is a .topiary artifact");
  }

  @Test
  public void labelsFiles() throws Exception {
    assertEquals(List.of("a", "b", "c"), labels("a\nb\nc\n"));
    assertEquals(List.of("a", "b", "c"), labels("a\nb\nc"));
    assertEquals(List.of("a", "", "c d ", "é"), labels("\uFEFFa\r\n\r\nc d \r\né\n"));
    assertEquals(List.of("a", ""), labels("a\n\n"));
    try {
      labels("");
      fail();
    } catch (CliException e) {
      assertTrue(e.getMessage(), e.getMessage().endsWith(" is empty; it should hold one label per line"));
    }
    Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
    run("convert", onnx.toString(), "-o", dir.resolve("x.topiary").toString(), "--labels", latin1.toString())
        .assertError(1, "labels file " + latin1 + " is not UTF-8 text");
    run("convert", onnx.toString(), "-o", dir.resolve("x.topiary").toString(), "--labels", dir.resolve("no.txt").toString())
        .assertError(1, "no such labels file: ");
  }

  private List<String> labels(String text) throws Exception {
    Path p = Files.write(dir.resolve("l.txt"), text.getBytes(StandardCharsets.UTF_8));
    return Conversion.readLabels(p.toString());
  }
}
