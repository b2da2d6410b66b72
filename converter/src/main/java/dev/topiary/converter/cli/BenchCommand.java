package dev.topiary.converter.cli;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.TensorInfo;
import dev.topiary.converter.cli.CommandSpec.Option;
import dev.topiary.converter.report.RunBuffers;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code topiary bench MODEL}: times model load, the first run of a fresh session, then
 * {@code --warmup} untimed runs and {@code --iterations} timed runs on seeded random inputs, and
 * reports median, p90, min, mean and max. Runs use caller-owned buffers
 * ({@link Session#run(Map, Map)}), so nothing is allocated per run and the numbers are the
 * kernels' alone.
 */
final class BenchCommand implements Command {
  static final int DEFAULT_WARMUP = 10;
  /**
   * Without {@code --warmup}, warm-up goes on for at least this long (and {@link #DEFAULT_WARMUP}
   * runs): ten runs of a small model do not reach the JIT's steady state (0.27 ms vs 2.5 ms).
   */
  static final long DEFAULT_WARMUP_NANOS = 2_000_000_000L;
  static final int DEFAULT_ITERATIONS = 100;
  static final long DEFAULT_SEED = 42;

  private static final CommandSpec SPEC =
      new CommandSpec(
          "bench",
          "bench MODEL [options]",
          "measure load time, first-run latency and steady-state latency",
          """
          Loads MODEL (timed: reading, SHA-256 check, planning, weight packing), opens a session,
          times its first run separately, then warms up (by default for at least 2 s and 10
          runs, so that the JIT settles; --warmup N for exactly N runs) and does N timed runs
          on random inputs from a seeded generator: floats uniform in [-1, 1), int32/int64/bool inputs 0
          or 1 (valid as indices and flags), int8/uint8 inputs uniform over their range.
          Reports the median, 90th percentile (nearest rank), minimum, mean and maximum of the
          timed runs. On a shared machine compare medians measured in the same session.

          MODEL may be an ONNX model: it is converted in memory first (with the same
          --input-shape, --labels and --no-optimize options as 'topiary convert'), and the
          conversion time is reported apart from the load time.""",
          List.of("MODEL"),
          Conversion.concat(List.of(
              Option.value("--threads", "N", "threads to compute with, 1..256 (default: min(4, processors))"),
              Option.value("--warmup", "N", "untimed runs before measuring, 0..1000000 (default: at least "
                  + DEFAULT_WARMUP + " runs and " + DEFAULT_WARMUP_NANOS / 1_000_000_000L + " s, until the JIT settles)"),
              Option.value("--iterations", "N", "timed runs, 1..10000000 (default: " + DEFAULT_ITERATIONS + ")"),
              Option.value("--seed", "N", "seed of the random inputs (default: " + DEFAULT_SEED + ")"),
              Option.flag("--json", "print one JSON object (schema topiary.bench/1) instead of text")),
              Conversion.OPTIONS));

  @Override
  public CommandSpec spec() {
    return SPEC;
  }

  @Override
  public int run(Args args, Console console) throws Exception {
    int threads = args.intValue("--threads", SessionOptions.defaults().threads(), 1, 256);
    boolean timedWarmup = !args.has("--warmup");
    int warmup = args.intValue("--warmup", DEFAULT_WARMUP, 0, 1_000_000);
    int iterations = args.intValue("--iterations", DEFAULT_ITERATIONS, 1, 10_000_000);
    long seed = args.longValue("--seed", DEFAULT_SEED, Long.MIN_VALUE, Long.MAX_VALUE);
    ModelFile file = ModelFile.open(args, console);
    Path path = file.path();

    long t0 = System.nanoTime();
    try (Model model = file.load()) {
      long loadNanos = System.nanoTime() - t0;
      Map<String, ByteBuffer> inputs = RunBuffers.random(model.inputs(), new Random(seed));
      Map<String, ByteBuffer> outputs = RunBuffers.buffers(model.outputs());

      long[] times = new long[iterations];
      long sessionNanos;
      long firstNanos;
      Progress progress = new Progress(console, "bench", warmup + iterations);
      long t1 = System.nanoTime();
      try (Session session = model.newSession(SessionOptions.builder().threads(threads).build())) {
        long t2 = System.nanoTime();
        sessionNanos = t2 - t1;
        session.run(inputs, outputs);
        firstNanos = System.nanoTime() - t2;
        long warmStart = System.nanoTime();
        int done = 0;
        while (done < warmup || (timedWarmup && done < 1_000_000
            && System.nanoTime() - warmStart < DEFAULT_WARMUP_NANOS)) {
          session.run(inputs, outputs);
          done++;
          progress.update("warm-up", Math.min(done, warmup), warmup);
        }
        warmup = done;
        for (int i = 0; i < iterations; i++) {
          long s = System.nanoTime();
          session.run(inputs, outputs);
          times[i] = System.nanoTime() - s;
          progress.update("measuring", i + 1, iterations);
        }
      } finally {
        progress.clear();
      }

      long[] sorted = times.clone();
      Arrays.sort(sorted);
      double sum = 0;
      for (long t : times) {
        sum += t;
      }
      double mean = sum / iterations;
      double var = 0;
      for (long t : times) {
        var += (t - mean) * (t - mean);
      }
      double median = median(sorted);

      Map<String, Object> r = new LinkedHashMap<>();
      r.put("schema", "topiary.bench/1");
      r.put("model", path.toString());
      r.put("sha256", model.sha256());
      r.put("file_bytes", model.fileSize());
      r.put("threads", threads);
      r.put("warmup", warmup);
      r.put("iterations", iterations);
      r.put("seed", seed);
      List<Object> ins = new ArrayList<>();
      for (TensorInfo info : model.inputs()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", info.name());
        m.put("dtype", info.dataType().name());
        m.put("shape", info.shape().dims());
        ins.add(m);
      }
      r.put("inputs", ins);
      r.put("arena_bytes", model.arenaBytes());
      r.put("convert_ms", file.converted() ? file.convertNanos() / 1e6 : null);
      r.put("load_ms", loadNanos / 1e6);
      r.put("session_ms", sessionNanos / 1e6);
      r.put("first_run_ms", firstNanos / 1e6);
      r.put("median_ms", median / 1e6);
      r.put("p90_ms", percentile(sorted, 0.90) / 1e6);
      r.put("min_ms", sorted[0] / 1e6);
      r.put("mean_ms", mean / 1e6);
      r.put("max_ms", sorted[iterations - 1] / 1e6);
      r.put("stddev_ms", Math.sqrt(var / iterations) / 1e6);
      r.put("java", Runtime.version().toString());
      r.put("processors", Runtime.getRuntime().availableProcessors());
      r.put("conversion", file.conversionReport());
      if (args.has("--json")) {
        console.out().println(Json.pretty(r));
      } else {
        printText(console.out(), r, model, file);
      }
      return Main.OK;
    }
  }

  /** The median of sorted values: the middle one, or the mean of the two middle ones. */
  static double median(long[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
  }

  /** Nearest-rank percentile of sorted values: the smallest value with at least {@code p} of them at or below it. */
  static long percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static void printText(PrintStream out, Map<String, Object> r, Model model, ModelFile file) {
    if (file.converted()) {
      out.println("model        " + r.get("model") + "  (ONNX, " + Fmt.bytes(file.conversion().summary().bytesIn())
          + "; artifact " + Fmt.bytes(model.fileSize()) + " in memory)");
    } else {
      out.println("model        " + r.get("model") + "  (" + Fmt.bytes(model.fileSize()) + ")");
    }
    for (TensorInfo info : model.inputs()) {
      out.println("input        " + info + "  (random, seed " + r.get("seed") + ")");
    }
    out.println("threads      " + r.get("threads"));
    if (file.converted()) {
      out.println("convert      " + msText(r, "convert_ms") + "  (read, import, optimize, write the artifact)");
    }
    out.println("load         " + msText(r, "load_ms"));
    out.println("session      " + msText(r, "session_ms") + "  (arena " + Fmt.bytes(model.arenaBytes()) + ")");
    out.println("first run    " + msText(r, "first_run_ms"));
    out.println("runs         " + r.get("iterations") + " timed after " + r.get("warmup") + " warm-up");
    out.println("  median     " + msText(r, "median_ms"));
    out.println("  p90        " + msText(r, "p90_ms"));
    out.println("  min        " + msText(r, "min_ms"));
    out.println("  mean       " + msText(r, "mean_ms") + "  (stddev " + msText(r, "stddev_ms") + ")");
    out.println("  max        " + msText(r, "max_ms"));
  }

  private static String msText(Map<String, Object> r, String key) {
    return Fmt.ms((Double) r.get(key) * 1e6);
  }
}
