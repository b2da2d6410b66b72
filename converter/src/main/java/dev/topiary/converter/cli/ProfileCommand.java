package dev.topiary.converter.cli;

import dev.topiary.Model;
import dev.topiary.SessionOptions;
import dev.topiary.converter.cli.CommandSpec.Option;
import dev.topiary.converter.report.HtmlReport;
import dev.topiary.converter.report.Layer;
import dev.topiary.converter.report.LayerMatch;
import dev.topiary.converter.report.ModelProfile;
import dev.topiary.converter.report.Profiler;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code topiary profile MODEL [AFTER]}: where a model's bytes, MACs, milliseconds and arena bytes
 * go, per layer and in total, as a table, JSON ({@code --json FILE}, schema {@code topiary.profile/1},
 * see {@link ProfileJson}) and a self-contained HTML report ({@code --html FILE}); with two models,
 * their layers matched side by side ({@link LayerMatch}).
 */
final class ProfileCommand implements Command {
  static final int DEFAULT_WARMUP = 10;
  static final int DEFAULT_ITERATIONS = 50;
  static final long DEFAULT_SEED = 42;

  private static final CommandSpec SPEC =
      new CommandSpec(
          "profile",
          "profile MODEL [AFTER] [options]",
          "show where a model's bytes, MACs, time and memory go, per layer (table, JSON, HTML)",
          """
          Profiles MODEL per layer (node of the artifact, in execution order): op, dtype, output
          shape, parameters, weight bytes and their share, sparsity, MACs, and the mean and p90
          time of the layer over --iterations runs with the share of the total; then totals:
          file size, weight bytes by dtype, header/padding overhead, the DEFLATE-compressed size
          (what the file adds to an app download), the arena of one session against its lower
          bound, load time, first-run latency and steady-state latency (median, mean, p90).
          Inputs are seeded random values, as 'topiary bench' feeds.

          MODEL may be an ONNX model, converted in memory with the conversion options given.

          With AFTER, both models are profiled and their layers matched by name through the
          converter's fusions; the comparison shows bytes, MACs and time before and after with
          ratios, and lists the layers that have no counterpart. An ONNX MODEL is then imported
          without optimisation or quantization (its ONNX nodes one for one, FLOAT32, run by
          Topiary's kernels): the "before"; the conversion options apply to an ONNX AFTER.

          Progress is shown on a terminal (stderr) unless --quiet.""",
          List.of("MODEL", "[AFTER]"),
          Conversion.concat(List.of(
              Option.value("--threads", "N", "threads to compute with, 1..256 (default: min(4, processors))"),
              Option.value("--warmup", "N", "untimed runs before measuring, 0..1000000 (default: at least " + DEFAULT_WARMUP
                  + " runs and 2 s, until the JIT settles)"),
              Option.value("--iterations", "N", "timed runs, 1..1000000, done twice: whole runs, then per-layer"
                  + " timed runs (default: " + DEFAULT_ITERATIONS + ")"),
              Option.value("--seed", "N", "seed of the random inputs (default: " + DEFAULT_SEED + ")"),
              Option.value("--sort", "KEY", "table order: order (execution), bytes, time or macs, largest first"
                  + " (default: order)"),
              Option.value("--top", "N", "show only the first N layers of the table, 1..1000000 (default: all)"),
              Option.value("--json", "FILE", "also write the profile as JSON (schema topiary.profile/1); - for stdout,"
                  + " instead of the table"),
              Option.value("--html", "FILE", "also write a self-contained HTML report (charts, totals, comparison)")),
              Conversion.OPTIONS));

  @Override
  public CommandSpec spec() {
    return SPEC;
  }

  @Override
  public int run(Args args, Console console) throws Exception {
    int threads = args.intValue("--threads", SessionOptions.defaults().threads(), 1, 256);
    int warmup = args.intValue("--warmup", DEFAULT_WARMUP, 0, 1_000_000);
    int iterations = args.intValue("--iterations", DEFAULT_ITERATIONS, 1, 1_000_000);
    long seed = args.longValue("--seed", DEFAULT_SEED, Long.MIN_VALUE, Long.MAX_VALUE);
    String sort = args.value("--sort", "order");
    if (!List.of("order", "bytes", "time", "macs").contains(sort)) {
      throw new UsageException("--sort: expected order, bytes, time or macs, got '" + sort + "'");
    }
    int top = args.intValue("--top", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
    String json = args.value("--json", null);
    String html = args.value("--html", null);
    Profiler.Options options = new Profiler.Options(threads, warmup,
        args.has("--warmup") ? 0 : BenchCommand.DEFAULT_WARMUP_NANOS, iterations, seed);

    boolean compare = args.positionalCount() > 1;
    List<ModelFile> files = new ArrayList<>();
    List<ModelProfile> profiles = new ArrayList<>();
    for (int i = 0; i < args.positionalCount(); i++) {
      ModelFile file = compare && i == 0
          ? ModelFile.openImported(args.positional(0), args, console)
          : ModelFile.open(args.positional(i), args, console, "--labels");
      files.add(file);
    }
    for (ModelFile file : files) {
      try (Model model = file.load()) {
        Profiler.prime(model, options);
      }
    }
    for (ModelFile file : files) {
      profiles.add(profile(file, options, console));
    }
    LayerMatch.Result match = compare ? LayerMatch.match(profiles.get(0).layers(), profiles.get(1).layers()) : null;

    Map<String, Object> report = ProfileJson.report(profiles, files, match, options);
    if (json != null) {
      String text = Json.pretty(report) + "\n";
      if (json.equals("-")) {
        console.out().print(text);
      } else {
        write(json, text);
      }
    }
    if (html != null) {
      write(html, HtmlReport.render(profiles, match));
    }
    if (!"-".equals(json)) {
      PrintStream out = console.out();
      for (int i = 0; i < profiles.size(); i++) {
        if (i > 0) {
          out.println();
        }
        if (compare) {
          out.println(i == 0 ? "== before ==" : "== after ==");
        }
        printProfile(out, profiles.get(i), sort, top);
      }
      if (match != null) {
        out.println();
        ProfileText.printComparison(out, profiles.get(0), profiles.get(1), match, top);
      }
      if (json != null) {
        out.println();
        out.println("json           " + json);
      }
      if (html != null) {
        out.println((json != null ? "" : "\n") + "html           " + html);
      }
    }
    return Main.OK;
  }

  private static ModelProfile profile(ModelFile file, Profiler.Options options, Console console) throws IOException {
    byte[] fileBytes = Files.readAllBytes(file.path());
    byte[] artifactBytes = file.converted() ? file.artifactBytes() : fileBytes;
    long t0 = System.nanoTime();
    try (Model model = file.load()) {
      long loadNanos = System.nanoTime() - t0;
      Progress progress = new Progress(console, "profile", 0);
      try {
        return Profiler.profile(file.path().toString(), file.converted(), file.optimized(), fileBytes, artifactBytes,
            model, loadNanos, options, (what, done, total) -> progress.update(file.path().getFileName() + ": run", done, total));
      } finally {
        progress.clear();
      }
    }
  }

  private static void write(String file, String text) throws IOException {
    Path p = Path.of(file);
    if (p.getParent() != null) {
      Files.createDirectories(p.getParent());
    }
    Files.writeString(p, text, StandardCharsets.UTF_8);
  }

  private static void printProfile(PrintStream out, ModelProfile p, String sort, int top) {
    ProfileText.printTotals(out, p);
    out.println();
    List<Layer> layers = new ArrayList<>(p.layers());
    Comparator<Layer> order = switch (sort) {
      case "bytes" -> Comparator.comparingLong(Layer::weightBytes).reversed();
      case "time" -> Comparator.comparingDouble(Layer::meanNanos).reversed();
      case "macs" -> Comparator.comparingLong(Layer::macs).reversed();
      default -> Comparator.comparingInt(Layer::position);
    };
    layers.sort(order.thenComparingInt(Layer::position));
    int shown = Math.min(top, layers.size());
    out.println("layers (" + layers.size() + (sort.equals("order") ? ", execution order" : ", by " + sort)
        + (shown < layers.size() ? ", top " + shown : "") + ")");
    ProfileText.printLayers(out, p, layers.subList(0, shown));
    if (shown < layers.size()) {
      out.println(String.format(Locale.ROOT, "  ... %d more layers (see --top, --json)", layers.size() - shown));
    }
  }
}
