package dev.topiary.converter.cli;

import dev.topiary.converter.report.Layer;
import dev.topiary.converter.report.LayerMatch;
import dev.topiary.converter.report.ModelProfile;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The text form of {@code topiary profile}: totals, the layer table and the before/after comparison. */
final class ProfileText {
  private ProfileText() {}

  static void printTotals(PrintStream out, ModelProfile p) {
    String kv = "%-15s%s%n";
    if (p.onnx()) {
      out.printf(Locale.ROOT, kv, "model", p.path() + "  (ONNX " + Fmt.grouped(p.fileBytes()) + " bytes, converted in memory"
          + (p.optimized() ? "" : " without optimisation") + ")");
      out.printf(Locale.ROOT, kv, "onnx file", Fmt.grouped(p.fileBytes()) + " bytes (" + Fmt.bytes(p.fileBytes())
          + "); DEFLATE " + Fmt.grouped(p.fileDeflateBytes()) + " bytes (" + ratio(p.fileDeflateBytes(), p.fileBytes()) + ")");
    } else {
      out.printf(Locale.ROOT, kv, "model", p.path());
    }
    out.printf(Locale.ROOT, kv, "artifact", Fmt.grouped(p.artifactBytes()) + " bytes (" + Fmt.bytes(p.artifactBytes())
        + "), format " + p.formatVersion() + "; DEFLATE " + Fmt.grouped(p.artifactDeflateBytes()) + " bytes ("
        + ratio(p.artifactDeflateBytes(), p.artifactBytes()) + ")");
    StringBuilder byType = new StringBuilder();
    for (Map.Entry<String, Long> e : p.weightBytesByDtype().entrySet()) {
      byType.append(byType.length() > 0 ? ", " : "").append(e.getKey()).append(' ').append(Fmt.grouped(e.getValue()));
    }
    out.printf(Locale.ROOT, kv, "  weights", Fmt.grouped(p.constantBytes()) + " bytes (" + share(p.constantBytes(), p.artifactBytes())
        + " of the file)" + (byType.length() > 0 ? "  [" + byType + "]" : "") + ", " + Fmt.grouped(p.parameters()) + " parameters");
    out.printf(Locale.ROOT, kv, "  overhead", Fmt.grouped(p.overheadBytes()) + " bytes: header " + Fmt.grouped(p.headerBytes())
        + ", alignment padding " + Fmt.grouped(p.paddingBytes()) + ", preamble and trailer "
        + Fmt.grouped(p.artifactBytes() - p.headerBytes() - p.dataBytes()));
    out.printf(Locale.ROOT, kv, "MACs", Fmt.grouped(p.macs()) + " per run");
    long lb = p.arenaLowerBoundBytes();
    out.printf(Locale.ROOT, kv, "arena", Fmt.grouped(p.arenaBytes()) + " bytes (" + Fmt.bytes(p.arenaBytes()) + ") per session;"
        + " lower bound " + Fmt.grouped(lb) + (lb > 0 ? String.format(Locale.ROOT, " (%.1f%% over)", 100.0 * (p.arenaBytes() - lb) / lb) : "")
        + (p.sessionArenaBytes() != p.arenaBytes() ? "; allocated " + Fmt.grouped(p.sessionArenaBytes())
            + " (" + Fmt.bytes(p.sessionArenaBytes()) + "), placed on cache lines" : ""));
    out.printf(Locale.ROOT, kv, "load", Fmt.ms(p.loadNanos()) + "  (verify, plan, pack weights)");
    out.printf(Locale.ROOT, kv, "first run", Fmt.ms(p.firstRunNanos()) + "  (fresh session)");
    out.printf(Locale.ROOT, kv, "steady", "median " + Fmt.ms(p.steadyMedianNanos()) + ", mean " + Fmt.ms(p.steadyMeanNanos())
        + ", p90 " + Fmt.ms(p.steadyP90Nanos()) + "  (" + p.iterations() + " runs after " + p.warmup() + " warm-up, "
        + Fmt.count(p.threads(), "thread") + ")");
    out.printf(Locale.ROOT, kv, "layers", Fmt.count(p.layers().size(), "layer") + ", per-layer means sum to "
        + Fmt.ms(p.layersNanos()));
  }

  static void printLayers(PrintStream out, ModelProfile p, List<Layer> layers) {
    TextTable t = new TextTable(">#", "name", "op", "dtype", "output", ">params", ">weight bytes", ">%", ">% zero",
        ">MACs", ">mean ms", ">p90 ms", ">% time");
    long bytes = p.constantBytes();
    double time = p.layersNanos();
    for (Layer l : layers) {
      t.row(l.position(), Main.oneLine(l.name()), l.op(), l.dtype(), Fmt.shape(l.outputShape()),
          l.parameters() == 0 ? "" : Fmt.grouped(l.parameters()), l.weightBytes() == 0 ? "" : Fmt.grouped(l.weightBytes()),
          l.weightBytes() == 0 ? "" : pct(l.weightBytes(), bytes), Double.isNaN(l.sparsity()) ? "" : pct(l.sparsity()),
          l.macs() == 0 ? "" : Fmt.grouped(l.macs()), msNumber(l.meanNanos()), msNumber(l.p90Nanos()), pct(l.meanNanos(), time));
    }
    t.print(out, "  ");
  }

  static void printComparison(PrintStream out, ModelProfile a, ModelProfile b, LayerMatch.Result m, int top) {
    out.println("== comparison: " + a.path() + (a.onnx() && !a.optimized() ? " (as imported)" : "") + " -> " + b.path() + " ==");
    TextTable t = new TextTable("", ">before", ">after", ">after/before");
    t.row("file bytes", Fmt.grouped(a.fileBytes()), Fmt.grouped(b.artifactBytes()), ratio(b.artifactBytes(), a.fileBytes()));
    t.row("DEFLATE bytes", Fmt.grouped(a.fileDeflateBytes()), Fmt.grouped(b.artifactDeflateBytes()),
        ratio(b.artifactDeflateBytes(), a.fileDeflateBytes()));
    t.row("weight bytes", Fmt.grouped(a.constantBytes()), Fmt.grouped(b.constantBytes()), ratio(b.constantBytes(), a.constantBytes()));
    t.row("parameters", Fmt.grouped(a.parameters()), Fmt.grouped(b.parameters()), ratio(b.parameters(), a.parameters()));
    t.row("MACs", Fmt.grouped(a.macs()), Fmt.grouped(b.macs()), ratio(b.macs(), a.macs()));
    t.row("layers", a.layers().size(), b.layers().size(), ratio(b.layers().size(), a.layers().size()));
    t.row("arena bytes", Fmt.grouped(a.arenaBytes()), Fmt.grouped(b.arenaBytes()), ratio(b.arenaBytes(), a.arenaBytes()));
    t.row("load ms", msNumber(a.loadNanos()), msNumber(b.loadNanos()), ratio(b.loadNanos(), a.loadNanos()));
    t.row("first run ms", msNumber(a.firstRunNanos()), msNumber(b.firstRunNanos()), ratio(b.firstRunNanos(), a.firstRunNanos()));
    t.row("median ms", msNumber(a.steadyMedianNanos()), msNumber(b.steadyMedianNanos()),
        ratio(b.steadyMedianNanos(), a.steadyMedianNanos()));
    t.print(out, "  ");

    out.println();
    List<LayerMatch.Group> groups = new ArrayList<>(m.groups());
    groups.sort((x, y) -> Long.compare(y.beforeBytes() + y.after().weightBytes(), x.beforeBytes() + x.after().weightBytes()));
    List<LayerMatch.Group> shown = new ArrayList<>(groups.subList(0, Math.min(top, groups.size())));
    shown.sort((x, y) -> Integer.compare(x.after().position(), y.after().position()));
    out.println("matched layers (" + m.groups().size() + " after layers standing for "
        + m.groups().stream().mapToInt(g -> g.before().size()).sum() + " before layers"
        + (shown.size() < groups.size() ? "; the " + shown.size() + " with most bytes" : "") + ")");
    TextTable lt = new TextTable("after layer", "op", "before", ">bytes before", ">after", ">ratio", ">MACs before", ">after",
        ">ms before", ">after", ">ratio");
    for (LayerMatch.Group g : shown) {
      Layer l = g.after();
      lt.row(Main.oneLine(l.name()), l.op(), beforeText(g), Fmt.grouped(g.beforeBytes()), Fmt.grouped(l.weightBytes()),
          ratio(l.weightBytes(), g.beforeBytes()), Fmt.grouped(g.beforeMacs()), Fmt.grouped(l.macs()),
          msNumber(g.beforeNanos()), msNumber(l.meanNanos()), ratio(l.meanNanos(), g.beforeNanos()));
    }
    lt.print(out, "  ");
    printUnmatched(out, "before layers without a counterpart (removed)", m.unmatchedBefore());
    printUnmatched(out, "after layers without a counterpart (added)", m.unmatchedAfter());
  }

  /** {@code "Conv2D +2 fused (Relu6, Transpose)"}: what a group's before side holds. */
  static String beforeText(LayerMatch.Group g) {
    Layer first = g.before().get(0);
    String s = first.op() + (first.name().equals(g.after().name()) ? "" : " '" + Main.oneLine(first.name()) + "'");
    if (g.before().size() > 1) {
      List<String> ops = new ArrayList<>();
      for (Layer l : g.before().subList(1, g.before().size())) {
        if (!ops.contains(l.op())) {
          ops.add(l.op());
        }
      }
      s += " +" + (g.before().size() - 1) + " fused (" + String.join(", ", ops) + ")";
    }
    return s;
  }

  private static void printUnmatched(PrintStream out, String title, List<Layer> layers) {
    out.println();
    out.println(title + ": " + (layers.isEmpty() ? "none" : layers.size()));
    for (Layer l : layers) {
      out.println("  " + Main.oneLine(l.name()) + "  " + l.op() + (l.weightBytes() > 0 ? ", " + Fmt.grouped(l.weightBytes()) + " bytes" : "")
          + ", " + msNumber(l.meanNanos()) + " ms");
    }
  }

  static String ratio(double num, double den) {
    return den == 0 ? "-" : String.format(Locale.ROOT, "%.3fx", num / den);
  }

  private static String share(double part, double whole) {
    return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * part / whole);
  }

  private static String pct(double part, double whole) {
    return whole == 0 ? "" : pct(part / whole);
  }

  private static String pct(double fraction) {
    return String.format(Locale.ROOT, "%.1f", 100 * fraction);
  }

  static String msNumber(double nanos) {
    double ms = nanos / 1e6;
    return String.format(Locale.ROOT, ms >= 100 ? "%.1f" : ms >= 1 ? "%.3f" : "%.4f", ms);
  }
}
