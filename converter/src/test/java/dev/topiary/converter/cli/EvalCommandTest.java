package dev.topiary.converter.cli;

import static dev.topiary.converter.cli.CliTestSupport.assertOneLineError;
import static dev.topiary.converter.cli.CliTestSupport.run;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.cli.CliTestSupport.Result;
import dev.topiary.converter.npy.Npy;
import dev.topiary.internal.build.GraphBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class EvalCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private Path model;
  private Path x;
  private Path y;

  /**
   * A batch-2 "classifier" whose scores are its input (x [2,3] → Relu → scores [2,3]), labels
   * a, b, c. Five samples, so the last batch is padded. By hand, argmax per sample:
   * s0 [3,1,0] → 0, s1 [0,5,1] → 1, s2 [1,0,2] → 2, s3 [4,2,9] → 2, s4 [0,1,0.5] → 1.
   * Labels 0,1,0,2,2: s0 right, s1 right, s2 wrong (label 0, ranked 2nd), s3 right, s4 wrong
   * (label 2, ranked 2nd). Top-1 3/5; top-2 5/5. Per class: 0 → 1/2, 1 → 1/1, 2 → 1/2.
   */
  @Before
  public void setUp() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int in = g.input("x", DataType.FLOAT32, Shape.of(2, 3));
    g.output(g.node("Relu", "r", in).output("scores"));
    g.labels(List.of("a", "b", "c"));
    model = CliTestSupport.write(tmp.getRoot().toPath().resolve("m.topiary"), g);
    x = npy("x.npy", Tensor.ofFloats(Shape.of(5, 3), 3, 1, 0, 0, 5, 1, 1, 0, 2, 4, 2, 9, 0, 1, 0.5f));
    y = npy("y.npy", Tensor.ofLongs(Shape.of(5), 0, 1, 0, 2, 2));
  }

  private Path npy(String name, Tensor t) throws Exception {
    Path p = tmp.getRoot().toPath().resolve(name);
    Npy.write(t, p);
    return p;
  }

  @Test
  @SuppressWarnings("unchecked")
  public void countsMatchTheHandCountedCase() throws Exception {
    Result r = run("eval", model.toString(), "--inputs", x.toString(), "--labels", y.toString(), "--top", "2", "--json")
        .assertOk();
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out());
    assertEquals("topiary.eval/1", j.get("schema"));
    assertEquals(0.6, ((Number) j.get("accuracy")).doubleValue(), 1e-12);
    assertEquals(3L, ((Number) j.get("correct")).longValue());
    assertEquals(1.0, ((Number) j.get("top_k_accuracy")).doubleValue(), 1e-12);
    assertEquals(2L, ((Number) j.get("batch")).longValue());
    List<Object> pc = (List<Object>) j.get("per_class");
    double[] want = {0.5, 1.0, 0.5};
    long[] images = {2, 1, 2};
    for (int c = 0; c < 3; c++) {
      Map<String, Object> m = (Map<String, Object>) pc.get(c);
      assertEquals(want[c], ((Number) m.get("accuracy")).doubleValue(), 1e-12);
      assertEquals(images[c], ((Number) m.get("images")).longValue());
      assertEquals(String.valueOf((char) ('a' + c)), m.get("label"));
    }
    assertNull(j.get("compare"));
  }

  @Test
  public void textTableShowsOverallAndPerClass() {
    Result r = run("eval", model.toString(), "--inputs", x.toString(), "--labels", y.toString()).assertOk();
    assertTrue(r.out(), r.out().contains("60.00% (3/5)"));
    assertTrue(r.out(), r.out().contains("top-3"));
    assertTrue(r.out(), r.out().matches("(?s).*\\n\\s+1\\s+b\\s+1\\s+1\\s+100.00%.*"));
  }

  @Test
  @SuppressWarnings("unchecked")
  public void compareShowsThePerClassChange() throws Exception {
    // A second model that scores the negated input: argmax is the smallest value.
    GraphBuilder g = new GraphBuilder();
    int in = g.input("x", DataType.FLOAT32, Shape.of(1, 3));
    int m1 = g.constant("m", Shape.of(1), new float[] {-1f});
    g.output(g.node("Mul", "neg", in, m1).output("scores"));
    Path other = CliTestSupport.write(tmp.getRoot().toPath().resolve("neg.topiary"), g);
    // By hand, argmin: s0 → 2, s1 → 0, s2 → 1, s3 → 1, s4 → 0; labels 0,1,0,2,2: none right.
    Result r = run("eval", model.toString(), "--inputs", x.toString(), "--labels", y.toString(), "--compare",
        other.toString(), "--json").assertOk();
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out());
    Map<String, Object> c = (Map<String, Object>) j.get("compare");
    assertEquals(0.0, ((Number) c.get("accuracy")).doubleValue(), 0);
    assertEquals(-0.6, ((Number) c.get("accuracy_change")).doubleValue(), 1e-12);
    assertEquals(1L, ((Number) c.get("batch")).longValue());
    Result t = run("eval", model.toString(), "--inputs", x.toString(), "--labels", y.toString(), "--compare",
        other.toString()).assertOk();
    assertTrue(t.out(), t.out().contains("-100.00 pp"));
  }

  @Test
  public void wrongSampleShapeIsAFailureNamingInputs() throws Exception {
    Path bad = npy("bad.npy", Tensor.ofFloats(Shape.of(5, 4), new float[20]));
    Result r = run("eval", model.toString(), "--inputs", bad.toString(), "--labels", y.toString());
    assertEquals(1, r.exit());
    assertOneLineError(r.err(), "--inputs " + bad + ": ");
    assertOneLineError(r.err(), "expected samples of [3] FLOAT32");
  }

  @Test
  public void labelOutOfRangeIsAFailureNamingLabels() throws Exception {
    Path bad = npy("bad.npy", Tensor.ofLongs(Shape.of(5), 0, 1, 3, 2, 2));
    Result r = run("eval", model.toString(), "--inputs", x.toString(), "--labels", bad.toString());
    assertEquals(1, r.exit());
    assertOneLineError(r.err(), "--labels " + bad + ": label 3 at index 2 is outside the model's 3 classes (0..2)");
  }

  @Test
  public void labelCountMismatchIsAFailure() throws Exception {
    Path bad = npy("bad.npy", Tensor.ofInts(Shape.of(4), 0, 1, 2, 2));
    Result r = run("eval", model.toString(), "--inputs", x.toString(), "--labels", bad.toString());
    assertEquals(1, r.exit());
    assertOneLineError(r.err(), "4 labels but --inputs " + x + " has 5 samples");
  }

  @Test
  public void usageErrors() {
    Result r = run("eval", model.toString(), "--labels", y.toString());
    assertEquals(2, r.exit());
    assertOneLineError(r.err(), "missing --inputs X.npy");
    r = run("eval", model.toString(), "--inputs", x.toString(), "--labels", y.toString(), "--top", "4");
    assertEquals(2, r.exit());
    assertOneLineError(r.err(), "--top 4: " + model + " has only 3 classes");
    r = run("eval", model.toString(), "--inputs", x.toString(), "--labels", y.toString(), "--quantize", "fp16");
    assertEquals(2, r.exit());
    assertOneLineError(r.err(), "--quantize applies to ONNX models");
  }
}
