package dev.topiary.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Entry point of {@code benchmarks.jar}: runs JMH with its usual command line, then prints a
 * summary of the linear-op benchmarks: GFLOP/s of the mean time and of the best measured iteration
 * (on a shared machine the best iteration is the least disturbed one) and, where both were
 * measured, the speed-ups of the means over the reference kernels ({@code x/ref}) and, for the
 * Vector API kernels, over the C2 kernels ({@code x/fast}). Listing and help options go straight to JMH.
 * Sparse FullyConnected runs get a second table: the sparse kernel's time as a fraction of the
 * dense kernel's per shape and sparsity. {@code side-by-side [options]} runs {@link SideBySide}
 * (Topiary against ONNX Runtime) instead, {@code int8-vs-fp32 [options]} runs {@link Int8VsFp32},
 * {@code load-probe [models]} runs {@link LoadBenchmark#probe} (cold and warm load, retained heap,
 * first run against steady state).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && (args[0].equals("--help") || args[0].equals("help"))) {
      System.out.print(usage());
      return;
    }
    if (args.length > 0 && args[0].equals("side-by-side")) {
      SideBySide.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("load-probe")) {
      LoadBenchmark.probe(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("int8-vs-fp32")) {
      Int8VsFp32.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    CommandLineOptions cmd = new CommandLineOptions(args);
    if (cmd.shouldHelp() || cmd.shouldList() || cmd.shouldListWithParams() || cmd.shouldListProfilers()
        || cmd.shouldListResultFormats()) {
      org.openjdk.jmh.Main.main(args);
      return;
    }
    Collection<RunResult> results = new Runner(cmd).run();
    System.out.println();
    System.out.print(summary(results));
    System.out.print(sparseSummary(results));
  }

  /** What {@code --help} prints: the subcommands, then where JMH's own options are listed. */
  static String usage() {
    return "usage: java [--add-modules jdk.incubator.vector] -jar benchmarks.jar COMMAND\n"
        + "\n"
        + "  side-by-side [options]   Topiary against ONNX Runtime on the same models and inputs,\n"
        + "                           alternating rounds; medians and ratios (side-by-side --help)\n"
        + "  int8-vs-fp32 [options]   int8 against fp32 Topiary on the same model (int8-vs-fp32 --help)\n"
        + "  load-probe [options]     cold and warm load, retained heap, first run against steady state\n"
        + "  [JMH options] [REGEX]    the JMH kernel benchmarks (Gemm, Conv, LoadBenchmark,\n"
        + "                           SparseFullyConnected, ...), then a GFLOP/s summary; -h lists\n"
        + "                           JMH's options, -l the benchmarks\n"
        + "\n"
        + "docs/BENCHMARKS.md gives each command with the figures it measured.\n";
  }

  /**
   * Sparse against dense FullyConnected: mean and best-iteration µs of each kernel and the ratio
   * sparse / dense of the means (below 1 the sparse kernel is faster); empty without such runs.
   */
  static String sparseSummary(Collection<RunResult> results) {
    Map<String, double[]> byKey = new LinkedHashMap<>(); // shape sparsity threads -> dense mean, best, sparse mean, best
    for (RunResult r : results) {
      BenchmarkParams p = r.getParams();
      if (!p.getBenchmark().contains("SparseFullyConnectedBenchmark") || p.getParam("kernel") == null) {
        continue;
      }
      String key = String.format(Locale.ROOT, "%-14s %8s %7s", p.getParam("shape"), p.getParam("sparsity"),
          p.getParam("threads") == null ? "1" : p.getParam("threads"));
      double[] v = byKey.computeIfAbsent(key, k -> new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN});
      int at = p.getParam("kernel").equals("sparse") ? 2 : 0;
      v[at] = r.getPrimaryResult().getScore();
      v[at + 1] = r.getPrimaryResult().getStatistics().getMin();
    }
    if (byKey.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%n%-14s %8s %7s %12s %12s %12s %12s %13s%n",
        "Shape", "Sparsity", "Threads", "dense us", "dense best", "sparse us", "sparse best", "sparse/dense"));
    for (Map.Entry<String, double[]> e : byKey.entrySet()) {
      double[] v = e.getValue();
      sb.append(String.format(Locale.ROOT, "%s %12.1f %12.1f %12.1f %12.1f %13.2f%n", e.getKey(), v[0], v[1], v[2],
          v[3], v[2] / v[0]));
    }
    return sb.toString();
  }

  /** GFLOP/s per run and fast/reference ratios, as a table. */
  static String summary(Collection<RunResult> results) {
    Map<String, Double> micros = new LinkedHashMap<>();
    List<String[]> rows = new ArrayList<>();
    for (RunResult r : results) {
      BenchmarkParams p = r.getParams();
      String name = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.', p.getBenchmark().lastIndexOf('.') - 1) + 1);
      String size = p.getParam("shape") != null ? p.getParam("shape") : p.getParam("layer");
      double flops = flops(name, size);
      if (flops <= 0 || !"us/op".equals(r.getPrimaryResult().getScoreUnit())) {
        continue;
      }
      String kernel = p.getParam("kernel") == null ? "fast" : p.getParam("kernel");
      String threads = p.getParam("threads") == null ? "1" : p.getParam("threads");
      double us = r.getPrimaryResult().getScore();
      double best = r.getPrimaryResult().getStatistics().getMin();
      String key = name + " " + size + " t" + threads;
      micros.put(key + " " + kernel, us);
      rows.add(new String[] {name, size, kernel, threads, String.format(Locale.ROOT, "%.1f", us),
          String.format(Locale.ROOT, "%.2f", flops / us / 1e3), String.format(Locale.ROOT, "%.2f", flops / best / 1e3),
          key});
    }
    if (rows.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-26s %-12s %-9s %7s %12s %9s %9s %9s %9s%n", "Benchmark", "Size", "Kernel",
        "Threads", "mean us/op", "GFLOP/s", "best", "x/ref", "x/fast"));
    for (String[] row : rows) {
      String ratio = "";
      String overFast = "";
      Double self = micros.get(row[7] + " " + row[2]);
      Double fast = micros.get(row[7] + " fast");
      Double ref = micros.get(row[7] + " reference");
      if (!row[2].equals("reference") && ref != null) {
        ratio = String.format(Locale.ROOT, "%.1fx", ref / self);
      }
      if (row[2].equals("vector") && fast != null) {
        overFast = String.format(Locale.ROOT, "%.2fx", fast / self);
      }
      sb.append(String.format(Locale.ROOT, "%-26s %-12s %-9s %7s %12s %9s %9s %9s %9s%n", row[0], row[1], row[2], row[3],
          row[4], row[5], row[6], ratio, overFast));
    }
    return sb.toString();
  }

  private static double flops(String benchmark, String size) {
    if (size == null) {
      return 0;
    }
    if (benchmark.startsWith("GemmBenchmark") || benchmark.startsWith("GemmEngineBenchmark")) {
      return GemmBenchmark.flops(size);
    }
    if (benchmark.startsWith("ConvBenchmark")) {
      return ConvBenchmark.flops(size);
    }
    return 0;
  }
}
