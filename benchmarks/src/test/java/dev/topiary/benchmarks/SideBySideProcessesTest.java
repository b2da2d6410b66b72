package dev.topiary.benchmarks;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.Test;

public class SideBySideProcessesTest {
  /** A result of {@code rounds} rounds of {@code k} runs per engine, times drawn from the given ranges. */
  private static SideBySide.Result result(String model, int batch, int threads, double topiaryMs, double ortMs) {
    SideBySide.Result r = new SideBySide.Result();
    r.model = model;
    r.batch = batch;
    r.threads = threads;
    r.inputShapes.put("input", new int[] {batch, 1, 28, 28});
    r.runsPerBlock = 3;
    r.rounds = 4;
    r.topiary.runsMs = new double[12];
    r.ort.runsMs = new double[12];
    for (int i = 0; i < 12; i++) {
      // Every round a little different, so that the interval is not a point.
      r.topiary.runsMs[i] = topiaryMs * (1 + 0.01 * (i % 5));
      r.ort.runsMs[i] = ortMs * (1 + 0.013 * (i % 4));
    }
    return r;
  }

  private static String document(SideBySide.Result... results) {
    return SideBySide.json("1.2.3", new SideBySide.Options(), "2026-11-23T00:00:00Z", 0.5, 0.7,
        Arrays.asList(results), new LinkedHashMap<>());
  }

  @Test
  public void readsBackWhatTheHarnessWrites() {
    SideBySide.Result a = result("cnn", 1, 1, 0.042, 0.051);
    SideBySide.Result b = result("my \"odd\" model\u0001", 32, 2, 1.5, 1.2);
    List<SideBySideProcesses.Row> rows = SideBySideProcesses.parse(document(a, b));
    assertEquals(2, rows.size());
    SideBySide.Result[] expected = {a, b};
    for (int i = 0; i < 2; i++) {
      SideBySide.Result e = expected[i];
      SideBySideProcesses.Row r = rows.get(i);
      assertEquals(e.model, r.model);
      assertEquals(e.batch, r.batch);
      assertEquals(e.threads, r.threads);
      // The JSON keeps six significant digits.
      assertEquals(e.topiary.quantile(0.5), r.topiaryMs, 1e-5 * e.topiary.quantile(0.5));
      assertEquals(e.ort.quantile(0.5), r.ortMs, 1e-5 * e.ort.quantile(0.5));
      assertEquals(e.ratio(), r.ratio, 1e-5 * e.ratio());
      double[] ci = e.ratioInterval();
      assertEquals(ci[0], r.ratioLow, 1e-5 * ci[0]);
      assertEquals(ci[1], r.ratioHigh, 1e-5 * ci[1]);
      assertTrue(r.ratioLow < r.ratioHigh);
    }
  }

  @Test
  public void readsADocumentWithoutResults() {
    assertEquals(Collections.emptyList(), SideBySideProcesses.parse(document()));
  }

  @Test
  public void rejectsWhatIsNotTheHarnessesDocument() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SideBySideProcesses.parse("{\"schema\": \"topiary.bench/1\"}"));
    assertTrue(e.getMessage(), e.getMessage().contains("not a topiary.side-by-side/1 document"));
    // A result whose fields are not all there (a truncated or edited document) is not silently dropped.
    String doc = document(result("cnn", 1, 1, 0.04, 0.05));
    String broken = doc.replace("\"ratioMedianInterval95\"", "\"interval\"");
    e = assertThrows(IllegalArgumentException.class, () -> SideBySideProcesses.parse(broken));
    assertTrue(e.getMessage(), e.getMessage().contains("read 0 of 1 results"));
    String truncated = doc.substring(0, doc.indexOf("\"skipped\""));
    e = assertThrows(IllegalArgumentException.class, () -> SideBySideProcesses.parse(truncated));
    assertTrue(e.getMessage(), e.getMessage().contains("no results list"));
  }

  @Test
  public void poolsEachMeasurementOverTheProcessesThatReportedIt() {
    List<SideBySideProcesses.Row> p1 = Arrays.asList(row("cnn", 1, 0.80), row("mlp", 1, 0.40));
    List<SideBySideProcesses.Row> p2 = Arrays.asList(row("cnn", 1, 0.90));
    List<SideBySideProcesses.Row> p3 = Arrays.asList(row("mlp", 1, 0.50), row("cnn", 1, 0.70));
    List<SideBySideProcesses.Pooled> pooled = SideBySideProcesses.pool(Arrays.asList(p1, p2, p3));
    assertEquals(2, pooled.size());
    SideBySideProcesses.Pooled cnn = pooled.get(0);
    assertEquals("cnn", cnn.model);
    assertArrayEquals(new double[] {0.80, 0.90, 0.70}, cnn.ratios(), 0);
    assertEquals(0.80, cnn.medianRatio(), 1e-12);
    assertEquals(0.70, cnn.minRatio(), 0);
    assertEquals(0.90, cnn.maxRatio(), 0);
    // An even count takes the mean of the middle two.
    SideBySideProcesses.Pooled mlp = pooled.get(1);
    assertEquals(0.45, mlp.medianRatio(), 1e-12);
    String table = SideBySideProcesses.table(pooled, 3);
    assertTrue(table, table.contains("0.80   0.70   0.90"));
  }

  private static SideBySideProcesses.Row row(String model, int threads, double ratio) {
    return new SideBySideProcesses.Row(model, 1, threads, ratio, 1.0, ratio, ratio - 0.01, ratio + 0.01);
  }

  @Test
  public void childrenRunTheSameOptionsWithJsonAndWithoutProcesses() {
    List<String> cmd = SideBySideProcesses.childCommand("/jdk/bin/java",
        Arrays.asList("--add-modules=jdk.incubator.vector", "-Xmx2g"), "b.jar",
        new String[] {"--models", "cnn", "--processes", "5", "--json", "--threads", "1"});
    assertEquals(Arrays.asList("/jdk/bin/java", "--add-modules=jdk.incubator.vector", "-Xmx2g", "-cp", "b.jar",
        SideBySide.class.getName(), "--models", "cnn", "--threads", "1", "--json"), cmd);
  }

  @Test
  public void optionIsChecked() {
    assertEquals(4, SideBySide.parse(new String[] {"--processes", "4"}).processes);
    assertEquals(1, SideBySide.parse(new String[0]).processes);
    assertThrows(IllegalArgumentException.class, () -> SideBySide.parse(new String[] {"--processes", "0"}));
    assertThrows(IllegalArgumentException.class, () -> SideBySide.parse(new String[] {"--processes", "65"}));
    assertThrows(IllegalArgumentException.class, () -> SideBySide.parse(new String[] {"--processes", "x"}));
  }
}
