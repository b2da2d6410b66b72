package dev.topiary.converter.onnx;

import com.google.protobuf.ByteString;
import dev.topiary.converter.ConversionException;
import dev.topiary.converter.UnsupportedOpsException;
import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Op;
import dev.topiary.converter.ir.OpRule;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.TensorValue;
import dev.topiary.converter.onnx.proto.AttributeProto;
import dev.topiary.converter.onnx.proto.GraphProto;
import dev.topiary.converter.onnx.proto.NodeProto;
import dev.topiary.converter.onnx.proto.TensorProto;
import dev.topiary.converter.onnx.proto.TensorShapeProto;
import dev.topiary.converter.onnx.proto.TypeProto;
import dev.topiary.converter.onnx.proto.ValueInfoProto;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Imports an ONNX graph into the IR: initializers become {@code Const} nodes, graph inputs
 * {@code Input} nodes with their declared (possibly symbolic) shapes, and each node goes through
 * the importer of its op family, which normalises opset differences (attributes that later
 * opsets turned into inputs become constant inputs) so that one IR op has one meaning. A node
 * whose op type has no importer becomes a placeholder; {@link #checkSupported} then reports all
 * of them at once.
 */
public final class OnnxImporter {
  /** Imports one ONNX node. */
  @FunctionalInterface
  interface Importer {
    void importNode(NodeImport n) throws ConversionException;
  }

  private static final Map<String, Importer> IMPORTERS = new TreeMap<>();

  static {
    LinearImport.register(IMPORTERS);
    ActivationImport.register(IMPORTERS);
    PoolImport.register(IMPORTERS);
    ShapeImport.register(IMPORTERS);
    NormImport.register(IMPORTERS);
  }

  private static final OpRule PLACEHOLDER = new OpRule() {
    @Override
    public Dialect dialect() {
      return Dialect.PLACEHOLDER;
    }

    @Override
    public Fact[] facts(Op op, Fact[] inputs, int outputCount) throws ConversionException {
      throw new ConversionException("unsupported op");
    }
  };

  private OnnxImporter() {}

  /** The ONNX op types (default domain) this importer reads. */
  public static Set<String> supportedOpTypes() {
    return IMPORTERS.keySet();
  }

  /** Imports {@code model}; unknown ops become placeholders (see {@link #checkSupported}). */
  public static Graph importModel(OnnxModel model) throws IOException, ConversionException {
    GraphProto gp = model.proto().getGraph();
    Graph g = new Graph();
    Map<String, Outlet> values = new HashMap<>();
    Set<String> initNames = new HashSet<>();
    for (TensorProto t : gp.getInitializerList()) {
      String n = t.getName();
      if (n.isEmpty()) {
        throw new OnnxFormatException("an initializer has no name");
      }
      if (!initNames.add(n)) {
        throw new OnnxFormatException("initializer '" + n + "' is defined twice");
      }
      values.put(n, g.addConst(n, OnnxReader.tensor(t, "initializer '" + n + "'", model.baseDir())));
    }
    for (ValueInfoProto vi : gp.getInputList()) {
      if (initNames.contains(vi.getName())) {
        continue;
      }
      if (values.containsKey(vi.getName())) {
        throw new OnnxFormatException("graph input '" + vi.getName() + "' is declared twice");
      }
      int id = addInput(g, vi);
      values.put(vi.getName(), new Outlet(id, 0));
    }
    for (int k = 0; k < gp.getNodeCount(); k++) {
      importNode(g, values, gp.getNode(k), k, model);
    }
    if (gp.getOutputCount() == 0) {
      throw new OnnxFormatException("the graph has no outputs");
    }
    for (ValueInfoProto vi : gp.getOutputList()) {
      Outlet o = values.get(vi.getName());
      if (o == null) {
        throw new OnnxFormatException("graph output '" + vi.getName() + "' is not produced by any node");
      }
      g.addOutput(vi.getName(), o);
    }
    return g;
  }

  /** Throws one {@link UnsupportedOpsException} listing every placeholder's op type and node names. */
  public static void checkSupported(Graph g) throws UnsupportedOpsException {
    Map<String, List<String>> bad = new LinkedHashMap<>();
    for (Node n : g.nodes()) {
      if (n.op().dialect() == Dialect.PLACEHOLDER) {
        bad.computeIfAbsent(n.op().type(), k -> new ArrayList<>()).add(n.name());
      }
    }
    if (!bad.isEmpty()) {
      throw new UnsupportedOpsException(bad);
    }
  }

  private static int addInput(Graph g, ValueInfoProto vi) throws OnnxFormatException {
    String name = vi.getName();
    if (name.isEmpty()) {
      throw new OnnxFormatException("a graph input has no name");
    }
    TypeProto tp = vi.getType();
    if (!tp.hasTensorType()) {
      throw new OnnxFormatException("graph input '" + name + "' is not a tensor");
    }
    TypeProto.Tensor tt = tp.getTensorType();
    DType dt = OnnxReader.dtype(tt.getElemType());
    if (dt == null) {
      throw new OnnxFormatException("graph input '" + name + "': data type " + OnnxReader.typeName(tt.getElemType())
          + " is not supported");
    }
    int[] shape = null;
    if (tt.hasShape()) {
      TensorShapeProto sp = tt.getShape();
      if (sp.getDimCount() > OnnxReader.MAX_RANK) {
        throw new OnnxFormatException("graph input '" + name + "': rank " + sp.getDimCount() + " is too large");
      }
      shape = new int[sp.getDimCount()];
      for (int i = 0; i < shape.length; i++) {
        TensorShapeProto.Dimension d = sp.getDim(i);
        if (d.hasDimValue()) {
          long v = d.getDimValue();
          if (v < 0 || v > Integer.MAX_VALUE) {
            throw new OnnxFormatException("graph input '" + name + "': dimension " + i + " is " + v);
          }
          shape[i] = (int) v;
        } else {
          shape[i] = -1;
        }
      }
    }
    return g.addInput(name, dt, shape);
  }

  private static void importNode(Graph g, Map<String, Outlet> values, NodeProto np, int index, OnnxModel model)
      throws IOException, ConversionException {
    String type = np.getOpType();
    String name = np.getName().isEmpty() ? type + "_" + index : np.getName();
    List<Outlet> inputs = new ArrayList<>();
    for (String in : np.getInputList()) {
      if (in.isEmpty()) {
        inputs.add(Outlet.NONE);
        continue;
      }
      Outlet o = values.get(in);
      if (o == null) {
        throw new OnnxFormatException("node '" + name + "' (" + type + ") reads '" + in
            + "', which no earlier node, input or initializer defines");
      }
      inputs.add(o);
    }
    for (String out : np.getOutputList()) {
      if (!out.isEmpty() && values.containsKey(out)) {
        throw new OnnxFormatException("node '" + name + "' (" + type + ") redefines value '" + out + "'");
      }
    }
    String domain = np.getDomain();
    boolean standard = domain.isEmpty() || domain.equals("ai.onnx");
    Importer imp = standard ? IMPORTERS.get(type) : null;
    Attributes attrs = attributes(np, name, model);
    NodeImport ni = new NodeImport(g, values, np, name, model.opset(), attrs, inputs);
    if (imp == null) {
      ni.emit(new Op(standard ? type : domain + ":" + type, attrs, PLACEHOLDER), inputs);
      return;
    }
    imp.importNode(ni);
    if (!ni.emitted()) {
      throw new IllegalStateException("importer of " + type + " emitted nothing");
    }
  }

  private static Attributes attributes(NodeProto np, String node, OnnxModel model)
      throws OnnxFormatException {
    Attributes.Builder b = Attributes.builder();
    for (AttributeProto a : np.getAttributeList()) {
      String n = a.getName();
      if (!a.getRefAttrName().isEmpty()) {
        throw new OnnxFormatException("node '" + node + "': attribute '" + n + "' refers to a function attribute");
      }
      AttributeProto.AttributeType t = a.hasType() ? a.getType() : inferType(a);
      switch (t) {
        case FLOAT: b.set(n, a.getF()); break;
        case INT: b.set(n, a.getI()); break;
        case STRING: b.set(n, a.getS().toString(StandardCharsets.UTF_8)); break;
        case FLOATS: {
          float[] v = new float[a.getFloatsCount()];
          for (int i = 0; i < v.length; i++) {
            v[i] = a.getFloats(i);
          }
          b.set(n, v);
          break;
        }
        case INTS: {
          long[] v = new long[a.getIntsCount()];
          for (int i = 0; i < v.length; i++) {
            v[i] = a.getInts(i);
          }
          b.set(n, v);
          break;
        }
        case TENSOR:
          b.set(n, OnnxReader.tensor(a.getT(), "node '" + node + "' attribute '" + n + "'", model.baseDir()));
          break;
        case STRINGS: {
          StringBuilder sb = new StringBuilder();
          for (ByteString s : a.getStringsList()) {
            sb.append(sb.length() == 0 ? "" : ",").append(s.toString(StandardCharsets.UTF_8));
          }
          b.set(n, sb.toString());
          break;
        }
        default:
          // Graph-valued and sparse attributes belong to ops the importer does not support.
          b.set(n, "<" + t + ">");
      }
    }
    return b.build();
  }

  private static AttributeProto.AttributeType inferType(AttributeProto a) {
    if (a.hasT()) {
      return AttributeProto.AttributeType.TENSOR;
    }
    if (a.hasG()) {
      return AttributeProto.AttributeType.GRAPH;
    }
    if (a.getIntsCount() > 0) {
      return AttributeProto.AttributeType.INTS;
    }
    if (a.getFloatsCount() > 0) {
      return AttributeProto.AttributeType.FLOATS;
    }
    if (a.hasS()) {
      return AttributeProto.AttributeType.STRING;
    }
    if (a.hasF()) {
      return AttributeProto.AttributeType.FLOAT;
    }
    return AttributeProto.AttributeType.INT;
  }
}
