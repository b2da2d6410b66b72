package dev.topiary.converter.cli;

import static dev.topiary.converter.cli.CliTestSupport.run;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import dev.topiary.Model;
import dev.topiary.converter.cli.CliTestSupport.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class InspectCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void printsLayoutMetadataNodesAndTotals() throws Exception {
    Path model = CliTestSupport.reluChain(tmp.getRoot().toPath());
    Result r = run("inspect", model.toString()).assertOk();
    assertEquals("", r.err());
    String o = r.out();
    long size = Files.size(model);
    try (Model m = Model.load(model)) {
      assertTrue(o, o.contains(InspectCommand.kv("sha256", m.sha256() + "\n")));
      assertTrue(o, o.contains(InspectCommand.kv("  arena", Fmt.grouped(m.arenaBytes()) + " bytes")));
    }
    assertTrue(o, o.contains(InspectCommand.kv("file", model + "\n")));
    assertTrue(o, o.contains(InspectCommand.kv("format", "1.0\n")));
    assertTrue(o, o.contains(InspectCommand.kv("size", Fmt.grouped(size) + " bytes")));
    assertTrue(o, o.contains(InspectCommand.kv("producer", "topiary-runtime GraphBuilder\n")));
    assertTrue(o, o.contains(InspectCommand.kv("  name", "tiny-relu\n")));
    assertTrue(o, o.contains(InspectCommand.kv("  labels", "4: cat, dog, bird, fish\n")));
    assertTrue(o, o.contains(InspectCommand.kv("  normalize", "mean [0.5], std [0.25]\n")));
    assertTrue(o, o.contains(InspectCommand.kv("  property", "author = topiary tests\n")));
    assertTrue(o, o.matches("(?s).*\\ninput\\s+x\\s+\\[1,4\\]\\s+FLOAT32\\n.*"));
    assertTrue(o, o.matches("(?s).*\\noutput\\s+scores\\s+\\[1,4\\]\\s+FLOAT32\\n.*"));
    assertTrue(o, o.contains("nodes (2, execution order)"));
    assertTrue(o, o.matches("(?s).*\\n\\s+0\\s+r1\\s+Relu\\s+x \\[1,4\\]\\s+h \\[1,4\\]\\n\\s+1\\s+r2\\s+Relu\\s+h \\[1,4\\]\\s+scores \\[1,4\\]\\n.*"));
    assertTrue(o, o.contains("constants (0)"));
    assertTrue(o, o.contains(InspectCommand.kv("  parameters", "0\n")));
    assertTrue(o, o.contains(InspectCommand.kv("  ops", "Relu 2\n")));
  }

  @Test
  @SuppressWarnings("unchecked")
  public void jsonIsValidAndComplete() throws Exception {
    Path model = CliTestSupport.reluChain(tmp.getRoot().toPath());
    Result r = run("inspect", model.toString(), "--json").assertOk();
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out());
    assertEquals("topiary.inspect/1", j.get("schema"));
    Map<String, Object> file = (Map<String, Object>) j.get("file");
    assertEquals((double) Files.size(model), file.get("size_bytes"));
    assertEquals("1.0", file.get("format_version"));
    assertEquals(Boolean.FALSE, file.get("header_compressed"));
    assertEquals(file.get("header_bytes"), file.get("header_raw_bytes"));
    assertEquals(Boolean.TRUE, j.get("planned"));
    assertNull(j.get("plan_error"));
    Map<String, Object> meta = (Map<String, Object>) j.get("metadata");
    assertEquals(4.0, meta.get("label_count"));
    assertEquals(CliTestSupport.LABELS, meta.get("labels"));
    assertEquals(Map.of("author", "topiary tests", "license", "Apache-2.0"), meta.get("properties"));
    List<Map<String, Object>> nodes = (List<Map<String, Object>>) j.get("nodes");
    assertEquals(2, nodes.size());
    assertEquals("r2", nodes.get(1).get("name"));
    Map<String, Object> in = ((List<Map<String, Object>>) nodes.get(1).get("inputs")).get(0);
    assertEquals(Map.of("name", "h", "dtype", "FLOAT32", "shape", List.of(1.0, 4.0)), in);
    Map<String, Object> totals = (Map<String, Object>) j.get("totals");
    assertEquals(Map.of("Relu", 2.0), totals.get("op_counts"));
    assertEquals(0.0, totals.get("parameters"));
    try (Model m = Model.load(model)) {
      assertEquals((double) m.arenaBytes(), totals.get("arena_bytes"));
      assertEquals((double) m.arenaLowerBoundBytes(), totals.get("arena_lower_bound_bytes"));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  public void modelTheRuntimeCannotPlanIsStillShown() throws Exception {
    Path model = CliTestSupport.unknownOp(tmp.getRoot().toPath());
    Result r = run("inspect", model.toString()).assertOk();
    assertTrue(r.err(), r.err().startsWith("topiary: warning: the runtime cannot plan this model: unsupported op types"));
    assertTrue(r.err(), r.err().contains("NoSuchOp in [mystery]"));
    String o = r.out();
    assertTrue(o, o.contains("nodes (1, topological order, not planned: shapes as declared)"));
    assertTrue(o, o.matches("(?s).*\\n\\s+0\\s+mystery\\s+NoSuchOp\\s+x \\[1,4\\], w \\[4,4\\], \\(none\\), q \\[2,2\\]\\s+y \\[1,4\\]\\s+alpha=0\\.5 pads=\\[1,2\\] mode=fast\\n.*"));
    assertTrue(o, o.matches("(?s).*\\n\\s+w\\s+FLOAT32\\s+\\[4,4\\]\\s+16\\s+64\\s*\\n.*"));
    assertTrue(o, o.matches("(?s).*\\n\\s+q\\s+INT8\\s+\\[2,2\\]\\s+4\\s+4\\s+per-axis 0, 2 scales \\(8-bit log codes\\)\\n.*"));
    assertTrue(o, o.matches("(?s).*\\n  header\\s+\\d+ bytes \\(DEFLATE; \\d+ bytes uncompressed\\)\\n.*"));
    assertTrue(o, o.contains(InspectCommand.kv("  parameters", "20  [FLOAT32 16, INT8 4]\n")));
    assertTrue(o, o.contains(InspectCommand.kv("  weights", "68 bytes (68 B)  [FLOAT32 64 B, INT8 4 B]\n")));
    assertTrue(o, o.contains(InspectCommand.kv("  arena", "(not planned: unsupported op types")));

    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(run("inspect", model.toString(), "--json").assertOk().out());
    assertEquals(Boolean.FALSE, j.get("planned"));
    assertTrue((String) j.get("plan_error"), ((String) j.get("plan_error")).contains("NoSuchOp"));
    Map<String, Object> node = ((List<Map<String, Object>>) j.get("nodes")).get(0);
    assertEquals(Map.of("alpha", 0.5, "pads", List.of(1.0, 2.0), "mode", "fast"), node.get("attributes"));
    Map<String, Object> w = ((List<Map<String, Object>>) j.get("constants")).get(0);
    assertEquals("w", w.get("name"));
    assertEquals(64.0, w.get("bytes"));
    assertEquals(16.0, w.get("elements"));
    assertNull(((List<Object>) node.get("inputs")).get(2));
    Map<String, Object> q = ((List<Map<String, Object>>) j.get("constants")).get(1);
    assertEquals(Map.of("axis", 0.0, "scale", List.of(0.5, 0.25), "zero_point", List.of(0.0, 0.0), "scale_encoding",
        "log8"), q.get("quantization"));
    Map<String, Object> file = (Map<String, Object>) j.get("file");
    assertEquals(Boolean.TRUE, file.get("header_compressed"));
    assertTrue((Double) file.get("header_raw_bytes") > (Double) file.get("header_bytes"));
    assertNull(w.get("quantization"));
    Map<String, Object> totals = (Map<String, Object>) j.get("totals");
    assertEquals(Map.of("FLOAT32", 64.0, "INT8", 4.0), totals.get("weight_bytes_by_dtype"));
    assertEquals(20.0, totals.get("parameters"));
    assertNull(totals.get("arena_bytes"));

    // run and bench need a plan: they fail with the runtime's message.
    run("bench", model.toString()).assertError(1, "unsupported op types (this runtime knows");
  }
}
