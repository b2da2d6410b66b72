package dev.topiary.converter.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The profile as one self-contained HTML page: inline CSS and inline SVG, no script, no external
 * reference. Shows, per model, the totals, the composition of the file, bytes and time per layer as
 * sorted bar charts (largest first; the rest summed in one bar), and the full layer table; with two
 * models, the before/after totals with ratios, paired bars per matched layer and the unmatched
 * layers. Every string from a model (node names, op types, paths) is escaped.
 */
public final class HtmlReport {
  /** Bars per chart before the rest is summed into one bar. */
  static final int MAX_BARS = 24;

  private static final String[] PALETTE = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"
  };

  private final StringBuilder sb = new StringBuilder();
  private final Map<String, String> opColors = new LinkedHashMap<>();

  private HtmlReport() {}

  /** The report of {@code profiles} (one, or before and after with their {@code match}, else null). */
  public static String render(List<ModelProfile> profiles, LayerMatch.Result match) {
    HtmlReport r = new HtmlReport();
    for (ModelProfile p : profiles) {
      for (Layer l : p.layers()) {
        r.color(l.op());
      }
    }
    r.page(profiles, match);
    return r.sb.toString();
  }

  private void page(List<ModelProfile> profiles, LayerMatch.Result match) {
    sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Topiary profile: ")
        .append(esc(names(profiles))).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<main>\n");
    sb.append("<header><h1>Topiary profile</h1><p class=\"sub\">").append(esc(names(profiles))).append("</p></header>\n");
    if (match != null) {
      comparison(profiles.get(0), profiles.get(1), match);
    }
    for (int i = 0; i < profiles.size(); i++) {
      model(profiles.get(i), profiles.size() == 1 ? null : i == 0 ? "Before" : "After");
    }
    sb.append("<footer>Weight bytes are the constants' stored bytes (sparse tensors at their encoded size), credited to"
        + " the first layer reading them. MACs count multiply-accumulates of Conv2D, FullyConnected and MatMul. Times"
        + " are wall-clock means of each layer over the profiled runs, measured by the runtime around each planned step."
        + " DEFLATE is level 9, as zip, APK and JAR files store a file.</footer>\n");
    sb.append("</main>\n</body>\n</html>\n");
  }

  private static String names(List<ModelProfile> profiles) {
    List<String> l = new ArrayList<>();
    for (ModelProfile p : profiles) {
      l.add(p.path());
    }
    return String.join(" \u2192 ", l);
  }

  // ---- one model ----

  private void model(ModelProfile p, String role) {
    sb.append("<section>\n<h2>").append(role == null ? "" : esc(role) + ": ").append(esc(p.path()))
        .append(p.onnx() ? " <span class=\"tag\">ONNX, converted in memory" + (p.optimized() ? "" : ", not optimised")
            + "</span>" : " <span class=\"tag\">artifact " + esc(p.formatVersion()) + "</span>")
        .append("</h2>\n<div class=\"cards\">\n");
    if (p.onnx()) {
      card("ONNX file", bytes(p.fileBytes()), "DEFLATE " + bytes(p.fileDeflateBytes()));
    }
    card("Artifact", bytes(p.artifactBytes()), "DEFLATE " + bytes(p.artifactDeflateBytes()) + " ("
        + pct(p.artifactDeflateBytes(), p.artifactBytes()) + ")");
    card("Weights", bytes(p.constantBytes()), grouped(p.parameters()) + " parameters");
    card("Overhead", bytes(p.overheadBytes()), "header " + bytes(p.headerBytes()) + ", padding " + bytes(p.paddingBytes()));
    card("MACs", si(p.macs()), grouped(p.macs()) + " per run");
    card("Arena", bytes(p.arenaBytes()), "lower bound " + bytes(p.arenaLowerBoundBytes()) + (p.arenaLowerBoundBytes() > 0
        ? String.format(Locale.ROOT, " (+%.1f%%)", 100.0 * (p.arenaBytes() - p.arenaLowerBoundBytes()) / p.arenaLowerBoundBytes()) : ""));
    card("Load", ms(p.loadNanos()), "verify, plan, pack");
    card("First run", ms(p.firstRunNanos()), "fresh session");
    card("Steady state", ms(p.steadyMedianNanos()), "median; p90 " + ms(p.steadyP90Nanos()) + ", "
        + p.iterations() + " runs, " + p.threads() + (p.threads() == 1 ? " thread" : " threads"));
    sb.append("</div>\n");
    composition(p);

    List<Layer> byBytes = new ArrayList<>(p.layers());
    byBytes.removeIf(l -> l.weightBytes() == 0);
    byBytes.sort(Comparator.comparingLong(Layer::weightBytes).reversed().thenComparingInt(Layer::position));
    sb.append("<h3>Weight bytes per layer</h3>\n");
    legend(p.layers());
    if (byBytes.isEmpty()) {
      sb.append("<p class=\"note\">No layer has weights.</p>\n");
    } else {
      barChart(byBytes, l -> l.weightBytes(), null, p.constantBytes(), v -> bytes((long) v));
    }
    List<Layer> byTime = new ArrayList<>(p.layers());
    byTime.sort(Comparator.comparingDouble(Layer::meanNanos).reversed().thenComparingInt(Layer::position));
    sb.append("<h3>Time per layer <span class=\"hint\">mean, with p90 as a tick; ")
        .append(esc(ms(p.layersNanos()))).append(" in all</span></h3>\n");
    barChart(byTime, Layer::meanNanos, l -> (double) l.p90Nanos(), p.layersNanos(), HtmlReport::ms);
    layerTable(p);
    sb.append("</section>\n");
  }

  private void card(String title, String value, String detail) {
    sb.append("<div class=\"card\"><div class=\"k\">").append(esc(title)).append("</div><div class=\"v\">")
        .append(esc(value)).append("</div><div class=\"d\">").append(esc(detail)).append("</div></div>\n");
  }

  /** One stacked bar: weights per dtype, header, padding, preamble and trailer. */
  private void composition(ModelProfile p) {
    Map<String, Long> parts = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : p.weightBytesByDtype().entrySet()) {
      parts.put("weights " + e.getKey(), e.getValue());
    }
    parts.put("header", p.headerBytes());
    parts.put("padding", p.paddingBytes());
    parts.put("preamble + trailer", p.artifactBytes() - p.headerBytes() - p.dataBytes());
    String[] colors = {"#4e79a7", "#a0cbe8", "#59a14f", "#8cd17d"};
    String[] other = {"#f28e2b", "#bab0ac", "#79706e"};
    double total = Math.max(1, p.artifactBytes());
    int width = 1100;
    sb.append("<h3>What the artifact is made of</h3>\n<svg class=\"chart\" width=\"").append(width)
        .append("\" height=\"36\" viewBox=\"0 0 ").append(width).append(" 36\" role=\"img\">\n");
    double x = 0;
    int k = 0;
    int o = 0;
    StringBuilder legend = new StringBuilder();
    for (Map.Entry<String, Long> e : parts.entrySet()) {
      String c = e.getKey().startsWith("weights") ? colors[k++ % colors.length] : other[o++ % other.length];
      double w = e.getValue() / total * width;
      sb.append("<rect x=\"").append(f(x)).append("\" y=\"4\" width=\"").append(f(Math.max(w, e.getValue() > 0 ? 1 : 0)))
          .append("\" height=\"28\" fill=\"").append(c).append("\"><title>").append(esc(e.getKey() + ": " + grouped(e.getValue())
              + " bytes (" + pct(e.getValue(), total) + ")")).append("</title></rect>\n");
      x += w;
      legend.append("<span class=\"sw\" style=\"background:").append(c).append("\"></span>").append(esc(e.getKey()))
          .append(" ").append(esc(bytes(e.getValue()))).append(" (").append(esc(pct(e.getValue(), total))).append(")&nbsp;&nbsp; ");
    }
    sb.append("</svg>\n<p class=\"legend\">").append(legend).append("</p>\n");
  }

  private void legend(List<Layer> layers) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (Layer l : layers) {
      counts.merge(l.op(), 1, Integer::sum);
    }
    sb.append("<p class=\"legend\"><b>Layers by op</b>&nbsp;&nbsp; ");
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      sb.append("<span class=\"sw\" style=\"background:").append(color(e.getKey())).append("\"></span>")
          .append(esc(e.getKey())).append(" \u00d7").append(e.getValue()).append("&nbsp;&nbsp; ");
    }
    sb.append("</p>\n");
  }

  /** Horizontal bars, largest first, with the layers past {@link #MAX_BARS} summed in one grey bar. */
  private void barChart(List<Layer> sorted, ToDoubleFunction<Layer> value, ToDoubleFunction<Layer> tick, double total,
      java.util.function.DoubleFunction<String> fmt) {
    int shown = Math.min(MAX_BARS, sorted.size());
    double rest = 0;
    for (Layer l : sorted.subList(shown, sorted.size())) {
      rest += value.applyAsDouble(l);
    }
    double max = 0;
    for (Layer l : sorted.subList(0, shown)) {
      max = Math.max(max, Math.max(value.applyAsDouble(l), tick == null ? 0 : tick.applyAsDouble(l)));
    }
    if (max <= 0) {
      max = 1;
    }
    int rows = shown + (rest > 0 ? 1 : 0);
    int rowH = 22;
    int labelW = 420;
    int barW = 400;
    int width = 1100;
    int height = rows * rowH + 8;
    sb.append("<svg class=\"chart\" width=\"").append(width).append("\" height=\"").append(height).append("\" viewBox=\"0 0 ")
        .append(width).append(' ').append(height).append("\" role=\"img\">\n");
    for (int i = 0; i < rows; i++) {
      boolean isRest = i == shown;
      Layer l = isRest ? null : sorted.get(i);
      double v = isRest ? rest : value.applyAsDouble(l);
      String label = isRest ? (sorted.size() - shown) + " more layers" : l.name();
      String c = isRest ? "#c9c9c9" : color(l.op());
      int y = 4 + i * rowH;
      String tip = isRest ? label + ": " + fmt.apply(v)
          : l.name() + " (" + l.op() + ", #" + l.position() + "): " + fmt.apply(v) + ", " + pct(v, total) + " of all";
      sb.append("<g><title>").append(esc(tip)).append("</title>");
      sb.append("<text x=\"").append(labelW - 8).append("\" y=\"").append(y + 15).append("\" class=\"lbl\">")
          .append(esc(ellipsize(label, 58))).append("</text>");
      if (!isRest) {
        sb.append("<text x=\"").append(labelW + 4).append("\" y=\"").append(y + 15).append("\" class=\"op\">")
            .append(esc(ellipsize(l.op(), 14))).append("</text>");
      }
      int x0 = labelW + 104;
      double w = Math.min(v / max, isRest ? 1.15 : 1) * barW;
      sb.append("<rect x=\"").append(x0).append("\" y=\"").append(y + 3).append("\" width=\"").append(f(Math.max(w, 1)))
          .append("\" height=\"").append(rowH - 6).append("\" rx=\"2\" fill=\"").append(c).append("\"/>");
      double end = w;
      if (tick != null && !isRest) {
        double t = tick.applyAsDouble(l) / max * barW;
        sb.append("<line x1=\"").append(f(x0 + t)).append("\" x2=\"").append(f(x0 + t)).append("\" y1=\"").append(y + 1)
            .append("\" y2=\"").append(y + rowH - 1).append("\" class=\"tick\"/>");
        end = Math.max(end, t);
      }
      sb.append("<text x=\"").append(f(x0 + end + 6)).append("\" y=\"").append(y + 15).append("\" class=\"val\">")
          .append(esc(fmt.apply(v) + "  " + pct(v, total))).append("</text></g>\n");
    }
    sb.append("</svg>\n");
  }

  private void layerTable(ModelProfile p) {
    sb.append("<details><summary>All ").append(p.layers().size()).append(" layers</summary>\n<table>\n<thead><tr>")
        .append("<th>#</th><th>name</th><th>op</th><th>dtype</th><th>output</th><th>params</th><th>weight bytes</th>")
        .append("<th>zeros</th><th>MACs</th><th>mean</th><th>p90</th><th>time</th></tr></thead>\n<tbody>\n");
    double time = p.layersNanos();
    for (Layer l : p.layers()) {
      sb.append("<tr><td>").append(l.position()).append("</td><td class=\"name\">").append(esc(l.name())).append("</td><td>")
          .append(esc(l.op())).append("</td><td>").append(esc(l.dtype())).append("</td><td>").append(esc(shape(l.outputShape())))
          .append("</td><td>").append(l.parameters() == 0 ? "" : grouped(l.parameters())).append("</td><td>")
          .append(l.weightBytes() == 0 ? "" : grouped(l.weightBytes())).append("</td><td>")
          .append(Double.isNaN(l.sparsity()) ? "" : pct(l.sparsity(), 1)).append("</td><td>")
          .append(l.macs() == 0 ? "" : grouped(l.macs())).append("</td><td>").append(esc(ms(l.meanNanos())))
          .append("</td><td>").append(esc(ms(l.p90Nanos()))).append("</td><td>").append(esc(pct(l.meanNanos(), time)))
          .append("</td></tr>\n");
    }
    sb.append("</tbody>\n</table>\n</details>\n");
  }

  // ---- before / after ----

  private void comparison(ModelProfile a, ModelProfile b, LayerMatch.Result m) {
    sb.append("<section>\n<h2>Before \u2192 after</h2>\n<p class=\"note\">Before: ").append(esc(a.path()))
        .append(a.onnx() && !a.optimized() ? " (the ONNX graph as imported: unoptimised, FLOAT32, run by Topiary)" : "")
        .append(". After: ").append(esc(b.path())).append(".</p>\n<table class=\"cmp\">\n<thead><tr><th></th><th>before</th>")
        .append("<th>after</th><th>after / before</th><th class=\"barcol\"></th></tr></thead>\n<tbody>\n");
    cmpRow("file", a.fileBytes(), b.artifactBytes(), bytes(a.fileBytes()), bytes(b.artifactBytes()));
    cmpRow("download (DEFLATE)", a.fileDeflateBytes(), b.artifactDeflateBytes(), bytes(a.fileDeflateBytes()),
        bytes(b.artifactDeflateBytes()));
    cmpRow("weights", a.constantBytes(), b.constantBytes(), bytes(a.constantBytes()), bytes(b.constantBytes()));
    cmpRow("MACs", a.macs(), b.macs(), si(a.macs()), si(b.macs()));
    cmpRow("layers", a.layers().size(), b.layers().size(), "" + a.layers().size(), "" + b.layers().size());
    cmpRow("arena", a.arenaBytes(), b.arenaBytes(), bytes(a.arenaBytes()), bytes(b.arenaBytes()));
    cmpRow("load", a.loadNanos(), b.loadNanos(), ms(a.loadNanos()), ms(b.loadNanos()));
    cmpRow("first run", a.firstRunNanos(), b.firstRunNanos(), ms(a.firstRunNanos()), ms(b.firstRunNanos()));
    cmpRow("steady (median)", a.steadyMedianNanos(), b.steadyMedianNanos(), ms(a.steadyMedianNanos()), ms(b.steadyMedianNanos()));
    sb.append("</tbody>\n</table>\n");

    List<LayerMatch.Group> groups = new ArrayList<>(m.groups());
    groups.removeIf(g -> g.beforeBytes() == 0 && g.after().weightBytes() == 0);
    sb.append("<h3>Weight bytes per matched layer <span class=\"hint\"><span class=\"sw\" style=\"background:#bab0ac\"></span>")
        .append("before, then after (coloured by op)</span></h3>\n");
    groups.sort(Comparator.comparingLong((LayerMatch.Group g) -> Math.max(g.beforeBytes(), g.after().weightBytes())).reversed());
    pairChart(groups, LayerMatch.Group::beforeBytes, g -> g.after().weightBytes(), v -> bytes((long) v));
    sb.append("<h3>Time per matched layer <span class=\"hint\">mean</span></h3>\n");
    groups = new ArrayList<>(m.groups());
    groups.sort(Comparator.comparingDouble((LayerMatch.Group g) -> Math.max(g.beforeNanos(), g.after().meanNanos())).reversed());
    pairChart(groups, LayerMatch.Group::beforeNanos, g -> g.after().meanNanos(), HtmlReport::ms);

    sb.append("<details><summary>").append(m.groups().size()).append(" matched layers, ").append(m.unmatchedBefore().size())
        .append(" removed, ").append(m.unmatchedAfter().size()).append(" added</summary>\n<table>\n<thead><tr><th>after layer</th>")
        .append("<th>op</th><th>before</th><th>bytes before</th><th>after</th><th>MACs before</th><th>after</th>")
        .append("<th>time before</th><th>after</th></tr></thead>\n<tbody>\n");
    for (LayerMatch.Group g : m.groups()) {
      StringBuilder before = new StringBuilder();
      for (Layer l : g.before()) {
        before.append(before.length() > 0 ? "<br>" : "").append(esc(l.op())).append(" <span class=\"name\">")
            .append(esc(l.name())).append("</span>");
      }
      sb.append("<tr><td class=\"name\">").append(esc(g.after().name())).append("</td><td>").append(esc(g.after().op()))
          .append("</td><td>").append(before).append("</td><td>").append(grouped(g.beforeBytes())).append("</td><td>")
          .append(grouped(g.after().weightBytes())).append("</td><td>").append(grouped(g.beforeMacs())).append("</td><td>")
          .append(grouped(g.after().macs())).append("</td><td>").append(esc(ms(g.beforeNanos()))).append("</td><td>")
          .append(esc(ms(g.after().meanNanos()))).append("</td></tr>\n");
    }
    unmatchedRows("removed (before only)", m.unmatchedBefore());
    unmatchedRows("added (after only)", m.unmatchedAfter());
    sb.append("</tbody>\n</table>\n</details>\n</section>\n");
  }

  private void unmatchedRows(String what, List<Layer> layers) {
    for (Layer l : layers) {
      sb.append("<tr class=\"um\"><td class=\"name\">").append(esc(l.name())).append("</td><td>").append(esc(l.op()))
          .append("</td><td>").append(esc(what)).append("</td><td colspan=\"6\">").append(grouped(l.weightBytes()))
          .append(" bytes, ").append(esc(ms(l.meanNanos()))).append("</td></tr>\n");
    }
  }

  private void cmpRow(String what, double before, double after, String bText, String aText) {
    double r = before == 0 ? Double.NaN : after / before;
    double w = Double.isNaN(r) ? 0 : Math.min(r, 2) / 2 * 200;
    String c = Double.isNaN(r) ? "#bab0ac" : r <= 1 ? "#59a14f" : "#e15759";
    sb.append("<tr><th>").append(esc(what)).append("</th><td>").append(esc(bText)).append("</td><td>").append(esc(aText))
        .append("</td><td>").append(Double.isNaN(r) ? "\u2013" : String.format(Locale.ROOT, "%.3f\u00d7", r))
        .append("</td><td class=\"barcol\"><svg width=\"210\" height=\"14\" viewBox=\"0 0 210 14\"><rect x=\"0\" y=\"2\" width=\"")
        .append(f(w)).append("\" height=\"10\" rx=\"2\" fill=\"").append(c)
        .append("\"/><line x1=\"100\" x2=\"100\" y1=\"0\" y2=\"14\" class=\"tick\"/></svg></td></tr>\n");
  }

  private void pairChart(List<LayerMatch.Group> sorted, ToDoubleFunction<LayerMatch.Group> before,
      ToDoubleFunction<LayerMatch.Group> after, java.util.function.DoubleFunction<String> fmt) {
    int shown = Math.min(MAX_BARS, sorted.size());
    double max = 1e-9;
    for (LayerMatch.Group g : sorted.subList(0, shown)) {
      max = Math.max(max, Math.max(before.applyAsDouble(g), after.applyAsDouble(g)));
    }
    int rowH = 30;
    int labelW = 420;
    int barW = 400;
    int width = 1100;
    int height = shown * rowH + 8;
    sb.append("<svg class=\"chart\" width=\"").append(width).append("\" height=\"").append(height).append("\" viewBox=\"0 0 ")
        .append(width).append(' ').append(height).append("\" role=\"img\">\n");
    for (int i = 0; i < shown; i++) {
      LayerMatch.Group g = sorted.get(i);
      double b = before.applyAsDouble(g);
      double a = after.applyAsDouble(g);
      int y = 4 + i * rowH;
      String ratio = b == 0 ? "" : String.format(Locale.ROOT, "  %.2f\u00d7", a / b);
      sb.append("<g><title>").append(esc(g.after().name() + ": before " + fmt.apply(b) + " (" + g.before().size()
          + " layers), after " + fmt.apply(a) + ratio)).append("</title>");
      sb.append("<text x=\"").append(labelW - 8).append("\" y=\"").append(y + 17).append("\" class=\"lbl\">")
          .append(esc(ellipsize(g.after().name(), 58))).append("</text>");
      sb.append("<text x=\"").append(labelW + 4).append("\" y=\"").append(y + 17).append("\" class=\"op\">")
          .append(esc(ellipsize(g.after().op(), 14))).append("</text>");
      int x0 = labelW + 104;
      double wb = b / max * barW;
      double wa = a / max * barW;
      sb.append("<rect x=\"").append(x0).append("\" y=\"").append(y + 2).append("\" width=\"").append(f(Math.max(wb, 1)))
          .append("\" height=\"11\" rx=\"2\" fill=\"#bab0ac\"/>");
      sb.append("<rect x=\"").append(x0).append("\" y=\"").append(y + 14).append("\" width=\"").append(f(Math.max(wa, 1)))
          .append("\" height=\"11\" rx=\"2\" fill=\"").append(color(g.after().op())).append("\"/>");
      sb.append("<text x=\"").append(f(x0 + Math.max(wa, wb) + 6)).append("\" y=\"").append(y + 17).append("\" class=\"val\">")
          .append(esc(fmt.apply(b) + " \u2192 " + fmt.apply(a) + ratio)).append("</text></g>\n");
    }
    sb.append("</svg>\n");
  }

  // ---- formatting ----

  private String color(String op) {
    return opColors.computeIfAbsent(op, k -> PALETTE[opColors.size() % PALETTE.length]);
  }

  /** {@code s} safe in HTML text and attribute values (and so in inline SVG). */
  static String esc(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> {
          if (c < 0x20 && c != '\n' && c != '\t') {
            out.append('\ufffd');
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  private static String ellipsize(String s, int max) {
    return s.length() <= max ? s : "\u2026" + s.substring(s.length() - max + 1);
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String grouped(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, units[u]);
  }

  static String ms(double nanos) {
    double ms = nanos / 1e6;
    return String.format(Locale.ROOT, ms >= 100 ? "%.1f ms" : ms >= 1 ? "%.2f ms" : ms >= 0.01 ? "%.3f ms" : "%.4f ms", ms);
  }

  /** {@code 12.3 M}: MAC counts for people. */
  static String si(long n) {
    if (n < 1000) {
      return Long.toString(n);
    }
    String[] units = {"k", "M", "G", "T"};
    double v = n;
    int u = -1;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
  }

  private static String pct(double part, double whole) {
    return whole == 0 ? "\u2013" : String.format(Locale.ROOT, "%.1f%%", 100 * part / whole);
  }

  private static String shape(int[] dims) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      s.append(i > 0 ? "," : "").append(dims[i]);
    }
    return s.append(']').toString();
  }

  private static final String CSS =
      """
      :root { color-scheme: light; }
      body { margin: 0; background: #f4f5f7; color: #1f2328; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
      main { max-width: 1160px; margin: 0 auto; padding: 24px 28px 40px; }
      header h1 { margin: 0; font-size: 26px; letter-spacing: -0.01em; }
      header .sub { margin: 2px 0 18px; color: #57606a; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; word-break: break-all; }
      section { background: #fff; border: 1px solid #d8dee4; border-radius: 10px; padding: 18px 22px 20px; margin: 0 0 22px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
      h2 { margin: 0 0 14px; font-size: 18px; word-break: break-all; }
      h3 { margin: 22px 0 8px; font-size: 15px; }
      .tag { font-size: 12px; font-weight: 500; color: #0969da; background: #ddf4ff; border-radius: 999px; padding: 2px 9px; margin-left: 6px; vertical-align: middle; }
      .hint { font-weight: 400; color: #57606a; font-size: 12px; margin-left: 8px; }
      .note { color: #57606a; margin: 0 0 12px; word-break: break-all; }
      .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(165px, 1fr)); gap: 10px; }
      .card { border: 1px solid #e1e4e8; border-radius: 8px; padding: 10px 12px; background: #fafbfc; }
      .card .k { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: #57606a; }
      .card .v { font-size: 21px; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums; }
      .card .d { font-size: 12px; color: #57606a; }
      .legend { margin: 6px 0 0; font-size: 12px; color: #424a53; line-height: 1.9; }
      .sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 5px 0 0; vertical-align: -1px; }
      svg.chart { display: block; max-width: 100%; height: auto; }
      svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #1f2328; }
      svg text.lbl { text-anchor: end; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 11.5px; }
      svg text.op { fill: #57606a; font-size: 11px; }
      svg text.val { fill: #424a53; font-variant-numeric: tabular-nums; }
      .tick { stroke: #1f2328; stroke-width: 1.5; }
      table { border-collapse: collapse; width: 100%; font-size: 12.5px; font-variant-numeric: tabular-nums; margin-top: 8px; }
      th, td { padding: 4px 8px; border-bottom: 1px solid #eaeef2; text-align: right; vertical-align: top; }
      th { background: #f6f8fa; font-weight: 600; position: sticky; top: 0; }
      td.name, th:nth-child(2), td:nth-child(2), td:nth-child(3) { text-align: left; }
      td.name, span.name { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 11.5px; word-break: break-all; }
      table.cmp { width: auto; min-width: 640px; font-size: 13.5px; }
      table.cmp th:first-child { text-align: left; background: none; }
      table.cmp td:nth-child(2), table.cmp td:nth-child(3) { text-align: right; }
      tr.um td { color: #8c959f; }
      details { margin-top: 18px; }
      summary { cursor: pointer; color: #0969da; font-weight: 600; }
      footer { color: #6e7781; font-size: 12px; margin-top: 8px; }
      """;
}
