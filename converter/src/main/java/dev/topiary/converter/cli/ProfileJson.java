package dev.topiary.converter.cli;

import dev.topiary.converter.report.Layer;
import dev.topiary.converter.report.LayerMatch;
import dev.topiary.converter.report.ModelProfile;
import dev.topiary.converter.report.Profiler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of {@code topiary profile}, schema {@code topiary.profile/1}: documented in
 * docs/CLI.md and described by {@code docs/profile.schema.json} (JSON Schema draft 2020-12).
 */
final class ProfileJson {
  static final String SCHEMA = "topiary.profile/1";

  private ProfileJson() {}

  static Map<String, Object> report(List<ModelProfile> profiles, List<ModelFile> files, LayerMatch.Result match,
      Profiler.Options options) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("schema", SCHEMA);
    r.put("threads", options.threads());
    r.put("warmup", options.warmup());
    r.put("iterations", options.iterations());
    r.put("seed", options.seed());
    r.put("java", Runtime.version().toString());
    r.put("processors", Runtime.getRuntime().availableProcessors());
    List<Object> models = new ArrayList<>();
    for (int i = 0; i < profiles.size(); i++) {
      models.add(model(profiles.get(i), files.get(i)));
    }
    r.put("models", models);
    r.put("comparison", match == null ? null : comparison(profiles.get(0), profiles.get(1), match));
    return r;
  }

  private static Map<String, Object> model(ModelProfile p, ModelFile file) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("path", p.path());
    m.put("kind", p.onnx() ? "onnx" : "topiary");
    m.put("optimized", p.optimized());
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("bytes", p.fileBytes());
    f.put("deflate_bytes", p.fileDeflateBytes());
    m.put("file", f);
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("format_version", p.formatVersion());
    a.put("bytes", p.artifactBytes());
    a.put("header_bytes", p.headerBytes());
    a.put("data_bytes", p.dataBytes());
    a.put("weight_bytes", p.constantBytes());
    a.put("padding_bytes", p.paddingBytes());
    a.put("preamble_trailer_bytes", p.artifactBytes() - p.headerBytes() - p.dataBytes());
    a.put("overhead_bytes", p.overheadBytes());
    a.put("deflate_bytes", p.artifactDeflateBytes());
    m.put("artifact", a);
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("parameters", p.parameters());
    t.put("weight_bytes", p.constantBytes());
    t.put("weight_bytes_by_dtype", new LinkedHashMap<>(p.weightBytesByDtype()));
    t.put("unattributed_weight_bytes", p.unattributedBytes());
    t.put("macs", p.macs());
    t.put("arena_bytes", p.arenaBytes());
    t.put("arena_lower_bound_bytes", p.arenaLowerBoundBytes());
    t.put("session_arena_bytes", p.sessionArenaBytes());
    t.put("load_ms", ms(p.loadNanos()));
    t.put("first_run_ms", ms(p.firstRunNanos()));
    t.put("median_ms", ms(p.steadyMedianNanos()));
    t.put("mean_ms", ms(p.steadyMeanNanos()));
    t.put("p90_ms", ms(p.steadyP90Nanos()));
    t.put("min_ms", ms(p.steadyMinNanos()));
    t.put("layers_ms", ms(p.layersNanos()));
    m.put("totals", t);
    List<Object> layers = new ArrayList<>();
    double time = p.layersNanos();
    for (Layer l : p.layers()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("position", l.position());
      x.put("node_index", l.nodeIndex());
      x.put("name", l.name());
      x.put("op", l.op());
      x.put("dtype", l.dtype());
      x.put("output_shape", l.outputShape());
      x.put("parameters", l.parameters());
      x.put("weight_bytes", l.weightBytes());
      x.put("weight_share", p.constantBytes() == 0 ? 0.0 : (double) l.weightBytes() / p.constantBytes());
      x.put("sparsity", Double.isNaN(l.sparsity()) ? null : l.sparsity());
      x.put("macs", l.macs());
      x.put("mean_ms", ms(l.meanNanos()));
      x.put("p90_ms", ms(l.p90Nanos()));
      x.put("time_share", time == 0 ? 0.0 : l.meanNanos() / time);
      layers.add(x);
    }
    m.put("layers", layers);
    m.put("conversion", file.conversionReport());
    return m;
  }

  private static Map<String, Object> comparison(ModelProfile a, ModelProfile b, LayerMatch.Result match) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("before", a.path());
    c.put("after", b.path());
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("file_bytes", pair(a.fileBytes(), b.artifactBytes()));
    t.put("deflate_bytes", pair(a.fileDeflateBytes(), b.artifactDeflateBytes()));
    t.put("weight_bytes", pair(a.constantBytes(), b.constantBytes()));
    t.put("parameters", pair(a.parameters(), b.parameters()));
    t.put("macs", pair(a.macs(), b.macs()));
    t.put("layers", pair(a.layers().size(), b.layers().size()));
    t.put("arena_bytes", pair(a.arenaBytes(), b.arenaBytes()));
    t.put("load_ms", pair(ms(a.loadNanos()), ms(b.loadNanos())));
    t.put("first_run_ms", pair(ms(a.firstRunNanos()), ms(b.firstRunNanos())));
    t.put("median_ms", pair(ms(a.steadyMedianNanos()), ms(b.steadyMedianNanos())));
    c.put("totals", t);
    List<Object> groups = new ArrayList<>();
    for (LayerMatch.Group g : match.groups()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("after", g.after().name());
      x.put("after_op", g.after().op());
      x.put("how", g.how() == LayerMatch.How.NAME ? "name" : "base_name");
      List<Object> before = new ArrayList<>();
      for (Layer l : g.before()) {
        Map<String, Object> y = new LinkedHashMap<>();
        y.put("name", l.name());
        y.put("op", l.op());
        before.add(y);
      }
      x.put("before", before);
      x.put("weight_bytes", pair(g.beforeBytes(), g.after().weightBytes()));
      x.put("macs", pair(g.beforeMacs(), g.after().macs()));
      x.put("mean_ms", pair(ms(g.beforeNanos()), ms(g.after().meanNanos())));
      groups.add(x);
    }
    c.put("groups", groups);
    c.put("unmatched_before", unmatched(match.unmatchedBefore()));
    c.put("unmatched_after", unmatched(match.unmatchedAfter()));
    return c;
  }

  private static List<Object> unmatched(List<Layer> layers) {
    List<Object> l = new ArrayList<>();
    for (Layer x : layers) {
      Map<String, Object> y = new LinkedHashMap<>();
      y.put("name", x.name());
      y.put("op", x.op());
      y.put("weight_bytes", x.weightBytes());
      y.put("macs", x.macs());
      y.put("mean_ms", ms(x.meanNanos()));
      l.add(y);
    }
    return l;
  }

  /** {@code {"before": a, "after": b, "ratio": b/a or null}}. */
  private static Map<String, Object> pair(Number before, Number after) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("before", before);
    m.put("after", after);
    double d = before.doubleValue();
    m.put("ratio", d == 0 ? null : after.doubleValue() / d);
    return m;
  }

  private static double ms(double nanos) {
    return nanos / 1e6;
  }
}
