package dev.topiary.converter.cli;

import dev.topiary.ModelFormatException;
import dev.topiary.converter.cli.CommandSpec.Option;
import dev.topiary.internal.format.Artifact;
import dev.topiary.internal.format.ArtifactFormat;
import dev.topiary.internal.format.TopologicalOrder;
import dev.topiary.internal.format.Types;
import dev.topiary.internal.format.proto.Attribute;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.Metadata;
import dev.topiary.internal.format.proto.ModelHeader;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.format.proto.Quantization;
import dev.topiary.internal.format.proto.TensorDesc;
import dev.topiary.internal.plan.Plan;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code topiary inspect MODEL}: everything an artifact holds and what the runtime makes of it:
 * file layout and digest, metadata, inputs and outputs, every node in execution order with its
 * tensors' shapes and its attributes, the constants, and totals (parameters, weight bytes by type,
 * arena against its lower bound, op counts).
 */
final class InspectCommand implements Command {
  private static final CommandSpec SPEC =
      new CommandSpec(
          "inspect",
          "inspect MODEL [options]",
          "show an artifact's layout, metadata, graph, constants and memory plan",
          """
          Reads and verifies MODEL (SHA-256 trailer included) and prints its file layout
          (format version, sizes, digest, producer), its metadata (labels, normalization,
          properties), its inputs and outputs, every node in execution order with the shapes
          of its input and output tensors and its attributes, every constant tensor, and totals:
          parameter count, weight bytes by type, the session arena against its lower bound,
          and op counts.

          A model that this runtime cannot plan (for example an op it does not know) is still
          shown, from the file alone, with a warning on stderr.

          MODEL may be an ONNX model: the artifact 'topiary convert' would write, with the same
          --input-shape, --labels and --no-optimize options, is built in memory and inspected.""",
          List.of("MODEL"),
          Conversion.concat(
              List.of(Option.flag("--json", "print one JSON object (schema topiary.inspect/1) instead of tables")),
              Conversion.OPTIONS));

  @Override
  public CommandSpec spec() {
    return SPEC;
  }

  @Override
  public int run(Args args, Console console) throws Exception {
    ModelFile model = ModelFile.open(args, console);
    ArtifactFile file = model.read();
    Map<String, Object> report = report(model.path(), file);
    report.put("conversion", model.conversionReport());
    if (file.planError() != null) {
      console.err().println("topiary: warning: the runtime cannot plan this model: " + Main.oneLine(file.planError()));
    }
    if (args.has("--json")) {
      console.out().println(Json.pretty(report));
    } else {
      printText(console.out(), report);
    }
    return Main.OK;
  }

  /** The whole inspection as a JSON-ready tree; the text form is printed from the same tree. */
  static Map<String, Object> report(Path path, ArtifactFile file) {
    Artifact a = file.artifact();
    Plan plan = file.plan();
    ModelHeader h = a.header();
    Graph g = h.getGraph();

    Map<String, Object> r = new LinkedHashMap<>();
    r.put("schema", "topiary.inspect/1");
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("path", path.toString());
    f.put("format_version", a.majorVersion() + "." + a.minorVersion());
    f.put("size_bytes", a.fileSize());
    f.put("header_bytes", (long) a.headerSize());
    f.put("header_raw_bytes", (long) a.rawHeaderSize());
    f.put("header_compressed", a.headerCompressed());
    f.put("data_offset", a.dataOffset());
    f.put("data_bytes", a.dataSize());
    f.put("trailer_bytes", (long) ArtifactFormat.TRAILER_SIZE);
    f.put("sha256", a.digestHex());
    r.put("file", f);
    r.put("producer", h.getProducer());
    r.put("source_sha256", h.getSourceSha256());

    Metadata m = h.getMetadata();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("name", m.getName());
    meta.put("description", m.getDescription());
    meta.put("label_count", m.getLabelsCount());
    meta.put("labels", new ArrayList<>(m.getLabelsList()));
    meta.put("normalization_mean", new ArrayList<>(m.getNormalizationMeanList()));
    meta.put("normalization_std", new ArrayList<>(m.getNormalizationStdList()));
    meta.put("properties", new TreeMap<>(m.getPropertiesMap()));
    r.put("metadata", meta);

    r.put("inputs", tensorRefs(g, plan, g.getInputsList()));
    r.put("outputs", tensorRefs(g, plan, g.getOutputsList()));
    r.put("planned", plan != null);
    r.put("plan_error", file.planError());

    List<Object> nodes = new ArrayList<>();
    Map<String, Long> opCounts = new TreeMap<>();
    int position = 0;
    for (int n : executionOrder(g, plan)) {
      Node node = g.getNodes(n);
      Map<String, Object> nr = new LinkedHashMap<>();
      nr.put("position", position++);
      nr.put("node_index", n);
      nr.put("name", node.getName());
      nr.put("op", node.getOpType());
      nr.put("inputs", tensorRefs(g, plan, node.getInputsList()));
      nr.put("outputs", tensorRefs(g, plan, node.getOutputsList()));
      Map<String, Object> attrs = new LinkedHashMap<>();
      for (Attribute at : node.getAttributesList()) {
        attrs.put(at.getName(), attributeValue(at));
      }
      nr.put("attributes", attrs);
      nodes.add(nr);
      opCounts.merge(node.getOpType(), 1L, Long::sum);
    }
    r.put("nodes", nodes);

    List<Object> constants = new ArrayList<>();
    Map<String, Long> paramsByType = new TreeMap<>();
    Map<String, Long> bytesByType = new TreeMap<>();
    long params = 0;
    long weightBytes = 0;
    for (int i = 0; i < g.getTensorsCount(); i++) {
      TensorDesc t = g.getTensors(i);
      if (!t.getConstant()) {
        continue;
      }
      Map<String, Object> c = tensorRef(g, plan, i);
      long count = elementCount(t.getShapeList());
      c.put("elements", count);
      c.put("bytes", t.getDataLength());
      c.put("data_offset", t.getDataOffset());
      c.put("stored_width", t.getStoredWidth() == 0 ? null : (long) t.getStoredWidth());
      c.put("quantization", t.hasQuantization() ? quantization(t.getQuantization(), a.scalesStoredAsCodes(i)) : null);
      constants.add(c);
      String type = typeName(t);
      params += count;
      weightBytes += t.getDataLength();
      paramsByType.merge(type, count, Long::sum);
      bytesByType.merge(type, t.getDataLength(), Long::sum);
    }
    r.put("constants", constants);

    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("nodes", (long) g.getNodesCount());
    totals.put("tensors", (long) g.getTensorsCount());
    totals.put("constants", (long) constants.size());
    totals.put("parameters", params);
    totals.put("parameters_by_dtype", paramsByType);
    totals.put("weight_bytes", weightBytes);
    totals.put("weight_bytes_by_dtype", bytesByType);
    totals.put("arena_bytes", plan == null ? null : plan.arenaBytes());
    totals.put("arena_lower_bound_bytes", plan == null ? null : plan.arenaLowerBoundBytes());
    List<Map.Entry<String, Long>> ops = new ArrayList<>(opCounts.entrySet());
    ops.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
    Map<String, Object> opMap = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : ops) {
      opMap.put(e.getKey(), e.getValue());
    }
    totals.put("op_counts", opMap);
    r.put("totals", totals);
    return r;
  }

  private static int[] executionOrder(Graph g, Plan plan) {
    if (plan != null) {
      // the plan's steps, each followed by the nodes fused into it (a residual Add)
      List<Integer> order = new ArrayList<>();
      for (Plan.Step step : plan.steps()) {
        order.add(step.nodeIndex);
        for (int f : step.fusedNodes) {
          order.add(f);
        }
      }
      return order.stream().mapToInt(Integer::intValue).toArray();
    }
    try {
      return TopologicalOrder.of(g);
    } catch (ModelFormatException | RuntimeException e) {
      int[] order = new int[g.getNodesCount()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      return order;
    }
  }

  private static List<Object> tensorRefs(Graph g, Plan plan, List<Integer> ids) {
    List<Object> l = new ArrayList<>();
    for (int id : ids) {
      l.add(id < 0 ? null : tensorRef(g, plan, id));
    }
    return l;
  }

  /** Name, type and shape of tensor {@code id}; the plan's resolved shape when there is a plan. */
  private static Map<String, Object> tensorRef(Graph g, Plan plan, int id) {
    TensorDesc t = g.getTensors(id);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", t.getName());
    r.put("dtype", typeName(t));
    if (plan != null) {
      int[] dims = plan.tensorShape(id);
      List<Long> shape = new ArrayList<>();
      for (int d : dims) {
        shape.add((long) d);
      }
      r.put("shape", shape);
    } else {
      r.put("shape", new ArrayList<>(t.getShapeList()));
    }
    return r;
  }

  private static String typeName(TensorDesc t) {
    try {
      return Types.fromProto(t.getDataType()).name();
    } catch (IllegalArgumentException e) {
      return t.getDataType().name();
    }
  }

  private static long elementCount(List<Long> dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  private static Object attributeValue(Attribute a) {
    return switch (a.getValueCase()) {
      case I -> a.getI();
      case F -> a.getF();
      case S -> a.getS();
      case INTS -> new ArrayList<>(a.getInts().getValuesList());
      case FLOATS -> new ArrayList<>(a.getFloats().getValuesList());
      case VALUE_NOT_SET -> null;
    };
  }

  private static Map<String, Object> quantization(Quantization q, boolean codes) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("axis", q.getScaleCount() > 1 ? q.getAxis() : null);
    r.put("scale", new ArrayList<>(q.getScaleList()));
    r.put("zero_point", new ArrayList<>(q.getZeroPointList()));
    r.put("scale_encoding", codes ? "log8" : "float32");
    return r;
  }

  // ---- text form ----

  @SuppressWarnings("unchecked")
  private static void printText(PrintStream out, Map<String, Object> r) {
    Map<String, Object> f = (Map<String, Object>) r.get("file");
    Map<String, Object> meta = (Map<String, Object>) r.get("metadata");
    Map<String, Object> totals = (Map<String, Object>) r.get("totals");
    long size = (Long) f.get("size_bytes");

    out.println(kv("file", f.get("path")));
    out.println(kv("format", f.get("format_version")));
    out.println(kv("size", Fmt.grouped(size) + " bytes (" + Fmt.bytes(size) + ")"));
    out.println(kv("  header", Fmt.grouped((Long) f.get("header_bytes")) + " bytes"
        + (Boolean.TRUE.equals(f.get("header_compressed"))
            ? " (DEFLATE; " + Fmt.grouped((Long) f.get("header_raw_bytes")) + " bytes uncompressed)" : "")));
    out.println(kv("  data", Fmt.grouped((Long) f.get("data_bytes")) + " bytes at offset "
        + Fmt.grouped((Long) f.get("data_offset"))));
    out.println(kv("  trailer", f.get("trailer_bytes") + " bytes (SHA-256 + end marker)"));
    out.println(kv("sha256", f.get("sha256")));
    out.println(kv("producer", r.get("producer")));
    String source = (String) r.get("source_sha256");
    out.println(kv("source", (source.isEmpty() ? "(not recorded)" : "sha256 " + source)));
    Map<String, Object> conversion = (Map<String, Object>) r.get("conversion");
    if (conversion != null) {
      out.println(kv("converted", "in memory from ONNX opset " + conversion.get("source_opset") + ", "
          + Fmt.bytes((Long) conversion.get("bytes_in")) + ", in " + Fmt.ms((Double) conversion.get("convert_ms") * 1e6)
          + (Boolean.TRUE.equals(conversion.get("optimized")) ? "" : " (--no-optimize)")));
    }

    out.println();
    out.println("metadata");
    printIfSet(out, "  name", (String) meta.get("name"));
    printIfSet(out, "  description", (String) meta.get("description"));
    List<String> labels = (List<String>) meta.get("labels");
    out.println(kv("  labels", labels.size()
        + (labels.isEmpty() ? "" : ": " + String.join(", ", labels.subList(0, Math.min(10, labels.size())))
            + (labels.size() > 10 ? ", ..." : ""))));
    List<Float> mean = (List<Float>) meta.get("normalization_mean");
    List<Float> std = (List<Float>) meta.get("normalization_std");
    out.println(kv("  normalize", (mean.isEmpty() && std.isEmpty() ? "(none)" : "mean " + floats(mean) + ", std " + floats(std))));
    Map<String, String> props = (Map<String, String>) meta.get("properties");
    if (props.isEmpty()) {
      out.println(kv("  properties", "(none)"));
    }
    for (Map.Entry<String, String> e : props.entrySet()) {
      out.println(kv("  property", e.getKey() + " = " + Main.oneLine(e.getValue())));
    }

    out.println();
    TextTable io = new TextTable("", "name", "shape", "dtype");
    for (Object o : (List<Object>) r.get("inputs")) {
      Map<String, Object> t = (Map<String, Object>) o;
      io.row("input", t.get("name"), Fmt.shape((List<Long>) t.get("shape")), t.get("dtype"));
    }
    for (Object o : (List<Object>) r.get("outputs")) {
      Map<String, Object> t = (Map<String, Object>) o;
      io.row("output", t.get("name"), Fmt.shape((List<Long>) t.get("shape")), t.get("dtype"));
    }
    io.print(out, "");

    out.println();
    List<Object> nodes = (List<Object>) r.get("nodes");
    boolean planned = (Boolean) r.get("planned");
    out.println("nodes (" + nodes.size() + ", " + (planned ? "execution order" : "topological order, not planned: shapes as declared") + ")");
    TextTable nt = new TextTable(">#", "name", "op", "inputs", "outputs", "attributes");
    for (Object o : nodes) {
      Map<String, Object> n = (Map<String, Object>) o;
      nt.row(n.get("position"), n.get("name"), n.get("op"), refs((List<Object>) n.get("inputs")),
          refs((List<Object>) n.get("outputs")), attributes((Map<String, Object>) n.get("attributes")));
    }
    nt.print(out, "  ");

    out.println();
    List<Object> constants = (List<Object>) r.get("constants");
    out.println("constants (" + constants.size() + ")");
    if (!constants.isEmpty()) {
      TextTable ct = new TextTable("name", "dtype", "shape", ">elements", ">bytes", "quantization");
      for (Object o : constants) {
        Map<String, Object> c = (Map<String, Object>) o;
        Long width = (Long) c.get("stored_width");
        ct.row(c.get("name"), c.get("dtype") + (width == null ? "" : " as int" + 8 * width), Fmt.shape((List<Long>) c.get("shape")), Fmt.grouped((Long) c.get("elements")),
            Fmt.grouped((Long) c.get("bytes")), quantizationText((Map<String, Object>) c.get("quantization")));
      }
      ct.print(out, "  ");
    }

    out.println();
    out.println("totals");
    out.println(kv("  nodes", totals.get("nodes") + "  (tensors " + totals.get("tensors") + ", constants "
        + totals.get("constants") + ")"));
    out.println(kv("  parameters", Fmt.grouped((Long) totals.get("parameters"))
        + byType((Map<String, Long>) totals.get("parameters_by_dtype"), false)));
    long wb = (Long) totals.get("weight_bytes");
    out.println(kv("  weights", Fmt.grouped(wb) + " bytes (" + Fmt.bytes(wb) + ")"
        + byType((Map<String, Long>) totals.get("weight_bytes_by_dtype"), true)));
    Long arena = (Long) totals.get("arena_bytes");
    if (arena == null) {
      out.println(kv("  arena", "(not planned: " + Main.oneLine((String) r.get("plan_error")) + ")"));
    } else {
      long lb = (Long) totals.get("arena_lower_bound_bytes");
      out.println(kv("  arena", Fmt.grouped(arena) + " bytes (" + Fmt.bytes(arena) + ") per session; lower bound "
          + Fmt.grouped(lb) + " bytes" + (lb > 0 ? String.format(java.util.Locale.ROOT, " (%.1f%% over)", 100.0 * (arena - lb) / lb) : "")));
    }
    StringBuilder ops = new StringBuilder();
    for (Map.Entry<String, Object> e : ((Map<String, Object>) totals.get("op_counts")).entrySet()) {
      ops.append(ops.length() > 0 ? ", " : "").append(e.getKey()).append(" ").append(e.getValue());
    }
    out.println(kv("  ops", (ops.length() == 0 ? "(none)" : ops)));
  }

  private static void printIfSet(PrintStream out, String label, String value) {
    if (!value.isEmpty()) {
      out.println(kv(label, Main.oneLine(value)));
    }
  }

  /** One "key  value" line with the values of a section aligned. */
  static String kv(String key, Object value) {
    return String.format(java.util.Locale.ROOT, "%-15s%s", key, value);
  }

  private static String floats(List<Float> l) {
    List<String> s = new ArrayList<>();
    for (float v : l) {
      s.add(Fmt.num(v));
    }
    return "[" + String.join(", ", s) + "]";
  }

  @SuppressWarnings("unchecked")
  private static String refs(List<Object> refs) {
    List<String> s = new ArrayList<>();
    for (Object o : refs) {
      if (o == null) {
        s.add("(none)");
      } else {
        Map<String, Object> t = (Map<String, Object>) o;
        s.add(t.get("name") + " " + Fmt.shape((List<Long>) t.get("shape")));
      }
    }
    return String.join(", ", s);
  }

  @SuppressWarnings("unchecked")
  private static String attributes(Map<String, Object> attrs) {
    List<String> s = new ArrayList<>();
    for (Map.Entry<String, Object> e : attrs.entrySet()) {
      Object v = e.getValue();
      String text;
      if (v instanceof Float x) {
        text = Fmt.num(x);
      } else if (v instanceof List<?> l) {
        List<String> items = new ArrayList<>();
        for (Object x : l) {
          items.add(x instanceof Float fl ? Fmt.num(fl) : String.valueOf(x));
        }
        text = "[" + String.join(",", items) + "]";
      } else {
        text = String.valueOf(v);
      }
      s.add(e.getKey() + "=" + Main.oneLine(text));
    }
    return String.join(" ", s);
  }

  @SuppressWarnings("unchecked")
  private static String quantizationText(Map<String, Object> q) {
    if (q == null) {
      return "";
    }
    List<Float> scales = (List<Float>) q.get("scale");
    List<Long> zps = (List<Long>) q.get("zero_point");
    if (scales.size() == 1) {
      return "scale " + Fmt.num(scales.get(0)) + ", zero point " + (zps.isEmpty() ? 0 : zps.get(0));
    }
    return "per-axis " + q.get("axis") + ", " + scales.size() + " scales"
        + ("log8".equals(q.get("scale_encoding")) ? " (8-bit log codes)" : "");
  }

  private static String byType(Map<String, Long> m, boolean bytes) {
    if (m.size() <= 1 && !bytes) {
      return "";
    }
    List<String> s = new ArrayList<>();
    for (Map.Entry<String, Long> e : m.entrySet()) {
      s.add(e.getKey() + " " + (bytes ? Fmt.bytes(e.getValue()) : Fmt.grouped(e.getValue())));
    }
    return s.isEmpty() ? "" : "  [" + String.join(", ", s) + "]";
  }
}
