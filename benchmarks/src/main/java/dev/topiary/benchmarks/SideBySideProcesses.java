package dev.topiary.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code side-by-side --processes N}: the same side-by-side measurement in N fresh JVMs, one after
 * another, and each ratio's spread over them.
 *
 * <p>Why: one process's ratio is known to about ±0.01 (its bootstrap interval), but separate
 * processes of the same build differ by several hundredths, because what is fixed for the life of a
 * process differs between processes: where the heap arrays start relative to cache lines, what the
 * JIT compiled from the profile it happened to see, where ORT's buffers landed. A single process
 * therefore samples one of these states; the median over processes does not depend on which.
 *
 * <p>Each child runs {@link SideBySide} with the parent's JVM options and class path and the same
 * options minus {@code --processes}, plus {@code --json}; its progress and table go to the parent's
 * stderr, its JSON is read back ({@link #parse}). The summary table (stdout, or stderr with
 * {@code --json}) gives per model, batch and thread count the median, smallest and largest of the
 * processes' median ratios and each process's ratio; {@code --json} prints schema
 * {@value #SCHEMA} with those figures and every child's own JSON document.
 */
final class SideBySideProcesses {
  static final String SCHEMA = "topiary.side-by-side-processes/1";
  static final int MAX_PROCESSES = 64;

  private SideBySideProcesses() {}

  /** One model, batch and thread count as one process reported it. */
  static final class Row {
    final String model;
    final int batch;
    final int threads;
    final double topiaryMs;
    final double ortMs;
    final double ratio;
    final double ratioLow;
    final double ratioHigh;

    Row(String model, int batch, int threads, double topiaryMs, double ortMs, double ratio, double ratioLow,
        double ratioHigh) {
      this.model = model;
      this.batch = batch;
      this.threads = threads;
      this.topiaryMs = topiaryMs;
      this.ortMs = ortMs;
      this.ratio = ratio;
      this.ratioLow = ratioLow;
      this.ratioHigh = ratioHigh;
    }

    String key() {
      return model + " batch " + batch + " threads " + threads;
    }
  }

  /** The rows of one measurement over all processes that reported it, in process order. */
  static final class Pooled {
    final String model;
    final int batch;
    final int threads;
    final List<Row> rows = new ArrayList<>();

    Pooled(Row first) {
      this.model = first.model;
      this.batch = first.batch;
      this.threads = first.threads;
    }

    double[] ratios() {
      return rows.stream().mapToDouble(r -> r.ratio).toArray();
    }

    /** The median of the processes' ratios (the mean of the middle two for an even count). */
    double medianRatio() {
      return RoundStatistics.median(ratios());
    }

    double minRatio() {
      return Arrays.stream(ratios()).min().orElse(Double.NaN);
    }

    double maxRatio() {
      return Arrays.stream(ratios()).max().orElse(Double.NaN);
    }

    double medianTopiaryMs() {
      return RoundStatistics.median(rows.stream().mapToDouble(r -> r.topiaryMs).toArray());
    }

    double medianOrtMs() {
      return RoundStatistics.median(rows.stream().mapToDouble(r -> r.ortMs).toArray());
    }
  }

  /** Runs {@code o.processes} children and prints the pooled result; the exit status (0: all children ran). */
  static int run(String[] args, SideBySide.Options o) throws IOException, InterruptedException {
    List<String> command = childCommand(currentJava(), ManagementFactory.getRuntimeMXBean().getInputArguments(),
        System.getProperty("java.class.path"), args);
    List<String> documents = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (int p = 1; p <= o.processes; p++) {
      System.err.println("=== process " + p + " of " + o.processes + " ===");
      ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
          .redirectInput(ProcessBuilder.Redirect.INHERIT);
      Process child = pb.start();
      String out;
      try (InputStream in = child.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      int status = child.waitFor();
      if (status != 0) {
        failures.add("process " + p + " exited with status " + status);
        System.err.println("process " + p + " exited with status " + status);
        continue;
      }
      documents.add(out.trim());
    }
    List<List<Row>> perProcess = new ArrayList<>();
    for (String d : documents) {
      perProcess.add(parse(d));
    }
    List<Pooled> pooled = pool(perProcess);
    java.io.PrintStream tableOut = o.json ? System.err : System.out;
    if (o.json) {
      System.out.println(json(command, o.processes, pooled, documents, failures));
    }
    tableOut.print(table(pooled, documents.size()));
    failures.forEach(f -> tableOut.println("failed: " + f));
    return failures.isEmpty() ? 0 : 1;
  }

  private static String currentJava() {
    return ProcessHandle.current().info().command()
        .orElse(System.getProperty("java.home") + java.io.File.separator + "bin" + java.io.File.separator + "java");
  }

  /**
   * The child's command line: this JVM's executable and options, the class path, {@link SideBySide}
   * and the parent's arguments without {@code --processes N} and with exactly one {@code --json}.
   */
  static List<String> childCommand(String java, List<String> jvmArgs, String classPath, String[] args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(SideBySide.class.getName());
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--processes")) {
        i++;
      } else if (!args[i].equals("--json")) {
        cmd.add(args[i]);
      }
    }
    cmd.add("--json");
    return cmd;
  }

  private static final Pattern RESULT = Pattern.compile(
      "\\{\"model\": \"((?:[^\"\\\\]|\\\\.)*)\", \"batch\": (\\d+), \"threads\": (\\d+),"
          + ".*?\"topiary\": \\{[^}]*?\"medianMs\": ([^,}]+)[,}]"
          + ".*?\"ort\": \\{[^}]*?\"medianMs\": ([^,}]+)[,}]"
          + ".*?\"ratioMedian\": ([^,]+), \"ratioMedianInterval95\": \\[([^,\\]]+), ([^\\]]+)\\]",
      Pattern.DOTALL);

  /**
   * The results of one {@link SideBySide#json} document (schema {@value SideBySide#SCHEMA}); a
   * document that is not one, or has a result without the expected fields, is an error.
   */
  static List<Row> parse(String json) {
    if (!json.contains("\"schema\": \"" + SideBySide.SCHEMA + "\"")) {
      throw new IllegalArgumentException("not a " + SideBySide.SCHEMA + " document: "
          + (json.length() > 80 ? json.substring(0, 80) + "..." : json));
    }
    int results = json.indexOf("\"results\": [");
    int skipped = json.lastIndexOf("\"skipped\": [");
    if (results < 0 || skipped < results) {
      throw new IllegalArgumentException("no results list in the document");
    }
    String body = json.substring(results, skipped);
    List<Row> rows = new ArrayList<>();
    Matcher m = RESULT.matcher(body);
    while (m.find()) {
      rows.add(new Row(unescape(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
          number(m.group(4)), number(m.group(5)), number(m.group(6)), number(m.group(7)), number(m.group(8))));
    }
    int objects = countOccurrences(body, "{\"model\": ");
    if (objects != rows.size()) {
      throw new IllegalArgumentException("read " + rows.size() + " of " + objects + " results");
    }
    return rows;
  }

  private static int countOccurrences(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  private static double number(String s) {
    s = s.trim();
    return s.equals("null") ? Double.NaN : Double.parseDouble(s);
  }

  private static String unescape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char e = s.charAt(++i);
        if (e == 'u' && i + 4 < s.length()) {
          sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
          i += 4;
        } else {
          sb.append(e);
        }
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Groups the processes' rows by model, batch and thread count, in the order they first appear. */
  static List<Pooled> pool(List<List<Row>> perProcess) {
    Map<String, Pooled> byKey = new LinkedHashMap<>();
    for (List<Row> rows : perProcess) {
      for (Row r : rows) {
        byKey.computeIfAbsent(r.key(), k -> new Pooled(r)).rows.add(r);
      }
    }
    return new ArrayList<>(byKey.values());
  }

  static String table(List<Pooled> pooled, int processes) {
    StringBuilder sb = new StringBuilder();
    String h = "%-12s %5s %3s | %9s %9s | %6s %6s %6s | %s%n";
    sb.append(String.format(Locale.ROOT, h, "model", "batch", "thr", "med top", "med ort", "ratio", "min", "max",
        "each process's ratio (its 95% interval over rounds)"));
    sb.append(String.format(Locale.ROOT, h, "", "", "", "ms", "ms", "T/O", "T/O", "T/O", ""));
    for (Pooled p : pooled) {
      StringBuilder each = new StringBuilder();
      for (Row r : p.rows) {
        each.append(each.length() == 0 ? "" : "  ")
            .append(String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", r.ratio, r.ratioLow, r.ratioHigh));
      }
      sb.append(String.format(Locale.ROOT, "%-12s %5d %3d | %9.4f %9.4f | %6.2f %6.2f %6.2f | %s%n", p.model, p.batch,
          p.threads, p.medianTopiaryMs(), p.medianOrtMs(), p.medianRatio(), p.minRatio(), p.maxRatio(), each));
    }
    sb.append(String.format(Locale.ROOT,
        "%d processes. med top, med ort, ratio = medians over processes of each process's median time and ratio; "
            + "min, max = the processes' extremes.%n",
        processes));
    return sb.toString();
  }

  static String json(List<String> command, int processes, List<Pooled> pooled, List<String> documents,
      List<String> failures) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\n  \"schema\": ").append(SideBySide.str(SCHEMA)).append(",\n");
    sb.append("  \"processes\": ").append(processes).append(", \"completed\": ").append(documents.size())
        .append(",\n");
    sb.append("  \"childCommand\": [");
    for (int i = 0; i < command.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(SideBySide.str(command.get(i)));
    }
    sb.append("],\n  \"pooled\": [");
    for (int i = 0; i < pooled.size(); i++) {
      Pooled p = pooled.get(i);
      sb.append(i == 0 ? "\n" : ",\n");
      sb.append("    {\"model\": ").append(SideBySide.str(p.model)).append(", \"batch\": ").append(p.batch)
          .append(", \"threads\": ").append(p.threads).append(", \"ratioMedian\": ").append(SideBySide.num(p.medianRatio()))
          .append(", \"ratioMin\": ").append(SideBySide.num(p.minRatio())).append(", \"ratioMax\": ")
          .append(SideBySide.num(p.maxRatio())).append(",\n     \"ratios\": ")
          .append(SideBySide.nums(p.ratios())).append(", \"topiaryMedianMs\": ")
          .append(SideBySide.nums(p.rows.stream().mapToDouble(r -> r.topiaryMs).toArray()))
          .append(", \"ortMedianMs\": ").append(SideBySide.nums(p.rows.stream().mapToDouble(r -> r.ortMs).toArray()))
          .append("}");
    }
    sb.append(pooled.isEmpty() ? "],\n" : "\n  ],\n");
    sb.append("  \"failures\": [");
    for (int i = 0; i < failures.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(SideBySide.str(failures.get(i)));
    }
    sb.append("],\n  \"runs\": [");
    for (int i = 0; i < documents.size(); i++) {
      sb.append(i == 0 ? "\n" : ",\n").append(documents.get(i));
    }
    sb.append(documents.isEmpty() ? "]\n}" : "\n  ]\n}");
    return sb.toString();
  }
}
