package dev.topiary.converter.cli;

import static dev.topiary.converter.cli.CliTestSupport.run;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.converter.cli.CliTestSupport.Result;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class BenchCommandTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void printsLatencySummary() throws Exception {
    Path model = CliTestSupport.reluChain(tmp.getRoot().toPath());
    Result r = run("bench", model.toString(), "--warmup", "2", "--iterations", "7", "--threads", "1").assertOk();
    assertEquals("", r.err());
    for (String line : new String[] {"load", "session", "first run", "  median", "  p90", "  min", "  mean", "  max"}) {
      assertTrue(r.out(), r.out().matches("(?s).*\\n" + line + " +\\d+\\.\\d+ ms.*"));
    }
    assertTrue(r.out(), r.out().contains("runs         7 timed after 2 warm-up\n"));
    assertTrue(r.out(), r.out().contains("input        x [1,4] FLOAT32  (random, seed 42)\n"));
  }

  @Test
  @SuppressWarnings("unchecked")
  public void jsonIsOneValidObject() throws Exception {
    Path model = CliTestSupport.twoInputs(tmp.getRoot().toPath());
    Result r = run("bench", model.toString(), "--json", "--warmup", "0", "--iterations", "10", "--seed", "7").assertOk();
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out());
    assertEquals("topiary.bench/1", j.get("schema"));
    assertEquals(10.0, j.get("iterations"));
    assertEquals(0.0, j.get("warmup"));
    assertEquals(7.0, j.get("seed"));
    assertEquals(2, ((List<Object>) j.get("inputs")).size());
    double min = (Double) j.get("min_ms");
    double median = (Double) j.get("median_ms");
    double p90 = (Double) j.get("p90_ms");
    double max = (Double) j.get("max_ms");
    double mean = (Double) j.get("mean_ms");
    assertTrue(min > 0 && min <= median && median <= p90 && p90 <= max && min <= mean && mean <= max);
    for (String k : new String[] {"load_ms", "session_ms", "first_run_ms", "stddev_ms"}) {
      assertTrue(k, (Double) j.get(k) >= 0);
    }
  }

  @Test
  public void nearestRankPercentile() throws Exception {
    long[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assertEquals(9, BenchCommand.percentile(v, 0.9));
    assertEquals(5, BenchCommand.percentile(v, 0.5));
    assertEquals(10, BenchCommand.percentile(v, 1.0));
    assertEquals(1, BenchCommand.percentile(v, 0.0));
    assertEquals(42, BenchCommand.percentile(new long[] {42}, 0.9));
  }

  /** Without --warmup the warm-up lasts at least 2 s and 10 runs (at most a million): far more runs on a tiny model. */
  @Test
  @SuppressWarnings("unchecked")
  public void defaultWarmupIsTimeBased() throws Exception {
    Path model = CliTestSupport.reluChain(tmp.getRoot().toPath());
    long t0 = System.nanoTime();
    Result r = run("bench", model.toString(), "--json", "--iterations", "3", "--threads", "1").assertOk();
    long elapsed = System.nanoTime() - t0;
    Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out());
    long warmup = ((Number) j.get("warmup")).longValue();
    assertTrue("warm-up runs " + warmup, warmup > BenchCommand.DEFAULT_WARMUP);
    // a million runs is the cap (this model runs in about a microsecond)
    assertTrue("elapsed " + elapsed + ", " + warmup + " runs",
        elapsed >= BenchCommand.DEFAULT_WARMUP_NANOS || warmup == 1_000_000);
  }
}
