package dev.topiary.converter.onnx;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Op;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.TensorValue;
import dev.topiary.converter.onnx.proto.NodeProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One ONNX node being imported: its unique name, the model's opset, its attributes (converted to
 * IR attributes), its input outlets, and {@link #emit} to add the IR node that produces its outputs.
 */
final class NodeImport {
  private final Graph graph;
  private final Map<String, Outlet> values;
  private final NodeProto node;
  private final String name;
  private final int opset;
  private final Attributes attrs;
  private final List<Outlet> inputs;
  private boolean emitted;

  NodeImport(Graph graph, Map<String, Outlet> values, NodeProto node, String name, int opset, Attributes attrs,
      List<Outlet> inputs) {
    this.graph = graph;
    this.values = values;
    this.node = node;
    this.name = name;
    this.opset = opset;
    this.attrs = attrs;
    this.inputs = inputs;
  }

  String name() {
    return name;
  }

  String opType() {
    return node.getOpType();
  }

  int opset() {
    return opset;
  }

  Attributes attrs() {
    return attrs;
  }

  int inputCount() {
    return inputs.size();
  }

  /** Input {@code i}, or {@link Outlet#NONE} when omitted or beyond the inputs given. */
  Outlet in(int i) {
    return i < inputs.size() ? inputs.get(i) : Outlet.NONE;
  }

  List<Outlet> inputs() {
    return inputs;
  }

  int outputCount() {
    return node.getOutputCount();
  }

  /** True when the node names output {@code slot} (a trailing or "" output is omitted). */
  boolean hasOutput(int slot) {
    return slot < node.getOutputCount() && !node.getOutput(slot).isEmpty();
  }

  /** Adds a constant named after this node. */
  Outlet constant(String suffix, TensorValue v) {
    return graph.addConst(name + "/" + suffix, v);
  }

  /** Adds a helper node (not producing this node's outputs). */
  Outlet helper(String suffix, Op op, Outlet... in) {
    return new Outlet(graph.addNode(name + "/" + suffix, op, List.of(in), name + "/" + suffix), 0);
  }

  /** Adds the IR node producing this node's outputs. */
  void emit(Op op, Outlet... in) {
    emit(op, Arrays.asList(in));
  }

  void emit(Op op, List<Outlet> in) {
    int n = Math.max(1, node.getOutputCount());
    String[] outs = new String[n];
    for (int s = 0; s < n; s++) {
      outs[s] = hasOutput(s) ? node.getOutput(s) : name + ":" + s;
    }
    int id = graph.addNode(name, op, new ArrayList<>(in), outs);
    for (int s = 0; s < node.getOutputCount(); s++) {
      if (hasOutput(s)) {
        values.put(node.getOutput(s), new Outlet(id, s));
      }
    }
    emitted = true;
  }

  boolean emitted() {
    return emitted;
  }

  ConversionException error(String message) {
    return new ConversionException("node '" + name + "' (" + node.getOpType() + "): " + message);
  }

  /** A required attribute's ints. */
  long[] requireInts(String attr) throws ConversionException {
    long[] v = attrs.ints(attr);
    if (v == null) {
      throw error("attribute '" + attr + "' is required");
    }
    return v;
  }

  /** Fails unless input {@code i} is present. */
  void requireInput(int i) throws ConversionException {
    if (in(i).isNone()) {
      throw error("input " + i + " is required");
    }
  }
}
