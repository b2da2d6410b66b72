package dev.topiary.converter.ir;

import dev.topiary.converter.ConversionException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The converter's graph: a list of nodes indexed by id, edges as {@link Outlet}s, facts on outlets.
 * Graph inputs are {@code Input} nodes; graph outputs are named outlets (the names are the source
 * model's and never change). Nodes that no output depends on are dead: they stay until
 * dead-code elimination and are ignored by {@link #consumers} and fact inference.
 */
public final class Graph {
  /** A named graph output. */
  public record Output(String name, Outlet outlet) {}

  private final List<Node> nodes = new ArrayList<>();
  private final List<Integer> inputs = new ArrayList<>();
  private final List<Output> outputs = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  private BitSet live;
  private int[] order;

  /** Adds an {@code Input} node (see {@link IrOps#input}) and registers it as a graph input. */
  public int addInput(String name, DType dtype, int[] shape) {
    int id = addNode(name, IrOps.input(dtype, shape), List.of(), name);
    inputs.add(id);
    return id;
  }

  /** Adds a constant node whose output is named {@code name}. */
  public Outlet addConst(String name, TensorValue value) {
    return new Outlet(addNode(name, IrOps.constant(value), List.of(), name), 0);
  }

  /** Adds a node with the given output names; the node name is made unique. Returns its id. */
  public int addNode(String name, Op op, List<Outlet> inputs, String... outputNames) {
    for (Outlet o : inputs) {
      if (!o.isNone() && (o.node() >= nodes.size() || o.slot() >= nodes.get(o.node()).outputCount())) {
        throw new IllegalArgumentException("node '" + name + "': input " + o + " does not exist");
      }
    }
    int id = nodes.size();
    nodes.add(new Node(id, uniqueName(name), op, inputs, outputNames));
    invalidate();
    return id;
  }

  public void addOutput(String name, Outlet outlet) {
    outputs.add(new Output(name, outlet));
    invalidate();
  }

  /** A node name not used yet, derived from {@code base}. */
  public String uniqueName(String base) {
    String n = base.isEmpty() ? "node" : base;
    String candidate = n;
    for (int k = 1; names.contains(candidate); k++) {
      candidate = n + "_" + k;
    }
    names.add(candidate);
    return candidate;
  }

  public int size() {
    return nodes.size();
  }

  public Node node(int id) {
    return nodes.get(id);
  }

  public List<Node> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  /** Ids of the {@code Input} nodes, in the source model's order. */
  public List<Integer> inputs() {
    return Collections.unmodifiableList(inputs);
  }

  public List<Output> outputs() {
    return Collections.unmodifiableList(outputs);
  }

  public Fact fact(Outlet o) {
    return o.isNone() ? null : nodes.get(o.node()).fact(o.slot());
  }

  /** True when a graph output depends on node {@code id}. */
  public boolean isLive(int id) {
    return live().get(id);
  }

  /** Live nodes reading {@code o} (a node reading it twice is listed twice). */
  public List<Node> consumers(Outlet o) {
    List<Node> out = new ArrayList<>();
    BitSet l = live();
    for (int i = l.nextSetBit(0); i >= 0; i = l.nextSetBit(i + 1)) {
      for (Outlet in : nodes.get(i).inputs()) {
        if (in.equals(o)) {
          out.add(nodes.get(i));
        }
      }
    }
    return out;
  }

  /** True when {@code o} is a graph output. */
  public boolean isOutput(Outlet o) {
    for (Output g : outputs) {
      if (g.outlet().equals(o)) {
        return true;
      }
    }
    return false;
  }

  /** Number of reads of {@code o}: live consumers plus graph outputs. */
  public int useCount(Outlet o) {
    int n = consumers(o).size();
    for (Output g : outputs) {
      n += g.outlet().equals(o) ? 1 : 0;
    }
    return n;
  }

  /** Live node ids, producers before consumers. */
  public int[] order() {
    if (order == null) {
      order = topological(live());
    }
    return order.clone();
  }

  /** Live node ids of a given op type and dialect, in topological order. */
  public List<Node> live(Dialect d, String type) {
    List<Node> out = new ArrayList<>();
    for (int id : order()) {
      if (nodes.get(id).op().is(d, type)) {
        out.add(nodes.get(id));
      }
    }
    return out;
  }

  /** Recomputes every live node's facts. */
  public void inferFacts() throws ConversionException {
    BitSet all = new BitSet();
    all.set(0, nodes.size());
    refreshFacts(all);
  }

  /**
   * Recomputes the facts of the {@code dirty} nodes and of live nodes downstream of a changed fact,
   * in topological order.
   */
  public void refreshFacts(BitSet dirty) throws ConversionException {
    BitSet changed = new BitSet();
    for (int id : order()) {
      Node n = nodes.get(id);
      boolean redo = dirty.get(id) || n.fact(0) == null;
      for (Outlet in : n.inputs()) {
        redo |= !in.isNone() && changed.get(in.node());
      }
      if (!redo) {
        continue;
      }
      Fact[] before = n.facts().clone();
      Fact[] after = computeFacts(n);
      for (int s = 0; s < after.length; s++) {
        n.setFact(s, after[s]);
      }
      if (!Arrays.equals(before, after)) {
        changed.set(id);
      }
    }
  }

  /** Computes node {@code n}'s output facts from its inputs' current facts (evaluating when foldable). */
  public Fact[] computeFacts(Node n) throws ConversionException {
    Fact[] in = new Fact[n.inputs().size()];
    boolean allConst = true;
    for (int i = 0; i < in.length; i++) {
      Outlet o = n.input(i);
      if (o.isNone()) {
        continue;
      }
      in[i] = fact(o);
      if (in[i] == null) {
        throw error(n, "input " + i + " has no fact yet");
      }
      allConst &= in[i].isConstant();
    }
    Op op = n.op();
    Fact[] out;
    try {
      out = op.rule().facts(op, in, n.outputCount());
      if (out.length != n.outputCount()) {
        throw new ConversionException("computes " + out.length + " outputs, the node has " + n.outputCount());
      }
      if (allConst && in.length > 0 && op.rule().foldable(op)) {
        TensorValue[] vals = new TensorValue[in.length];
        for (int i = 0; i < in.length; i++) {
          vals[i] = in[i] == null ? null : in[i].value();
        }
        TensorValue[] v = op.rule().eval(op, vals, out);
        if (v != null) {
          for (int s = 0; s < out.length; s++) {
            if (v[s] == null) {
              continue;
            }
            if (!Arrays.equals(v[s].shape(), out[s].shape()) || v[s].dtype() != out[s].dtype()) {
              throw new ConversionException("evaluation gave " + v[s].dtype() + Shapes.format(v[s].shape())
                  + ", its facts say " + out[s]);
            }
            out[s] = Fact.of(v[s]);
          }
        }
      }
    } catch (ConversionException e) {
      if (e.getMessage().startsWith("node '")) {
        throw e;
      }
      throw error(n, e.getMessage());
    } catch (RuntimeException e) {
      throw new ConversionException("node '" + n.name() + "' (" + op.type() + "): internal error: " + e, e);
    }
    return out;
  }

  /** An exception naming node {@code n}. */
  public static ConversionException error(Node n, String message) {
    return new ConversionException("node '" + n.name() + "' (" + n.op().type() + "): " + message);
  }

  /**
   * A copy holding only live nodes, renumbered in topological order (dead-code elimination). Input
   * nodes are kept even when unused, so the model's interface never changes.
   */
  public Graph compact() {
    BitSet keep = live();
    int[] topo = topological(keep);
    int[] map = new int[nodes.size()];
    Arrays.fill(map, -1);
    Graph g = new Graph();
    for (int id : topo) {
      Node n = nodes.get(id);
      List<Outlet> ins = new ArrayList<>();
      for (Outlet o : n.inputs()) {
        ins.add(o.isNone() ? o : new Outlet(map[o.node()], o.slot()));
      }
      String[] outs = new String[n.outputCount()];
      for (int s = 0; s < outs.length; s++) {
        outs[s] = n.outputName(s);
      }
      int nid = g.nodes.size();
      g.names.add(n.name());
      g.nodes.add(new Node(nid, n.name(), n.op(), ins, outs));
      for (int s = 0; s < outs.length; s++) {
        g.nodes.get(nid).setFact(s, n.fact(s));
      }
      map[id] = nid;
    }
    for (int in : inputs) {
      g.inputs.add(map[in]);
    }
    for (Output o : outputs) {
      g.outputs.add(new Output(o.name(), new Outlet(map[o.outlet().node()], o.outlet().slot())));
    }
    return g;
  }

  // ---- mutation, for Patch ----

  void setOp(int id, Op op) {
    nodes.get(id).setOp(op);
    invalidate();
  }

  void setInput(int id, int slot, Outlet o) {
    nodes.get(id).setInput(slot, o);
    invalidate();
  }

  void setOutput(int index, Outlet o) {
    outputs.set(index, new Output(outputs.get(index).name(), o));
    invalidate();
  }

  private void invalidate() {
    live = null;
    order = null;
  }

  private BitSet live() {
    if (live == null) {
      BitSet l = new BitSet();
      ArrayDeque<Integer> work = new ArrayDeque<>();
      for (int in : inputs) {
        l.set(in);
      }
      for (Output o : outputs) {
        if (!l.get(o.outlet().node())) {
          l.set(o.outlet().node());
          work.add(o.outlet().node());
        }
      }
      while (!work.isEmpty()) {
        for (Outlet in : nodes.get(work.poll()).inputs()) {
          if (!in.isNone() && !l.get(in.node())) {
            l.set(in.node());
            work.add(in.node());
          }
        }
      }
      live = l;
    }
    return live;
  }

  /** Topological order of the nodes in {@code set} (iterative DFS; a cycle is an internal error). */
  private int[] topological(BitSet set) {
    int[] state = new int[nodes.size()];
    int[] out = new int[set.cardinality()];
    int k = 0;
    ArrayDeque<int[]> stack = new ArrayDeque<>();
    for (int root = set.nextSetBit(0); root >= 0; root = set.nextSetBit(root + 1)) {
      if (state[root] != 0) {
        continue;
      }
      stack.push(new int[] {root, 0});
      state[root] = 1;
      while (!stack.isEmpty()) {
        int[] top = stack.peek();
        Node n = nodes.get(top[0]);
        if (top[1] < n.inputs().size()) {
          Outlet in = n.inputs().get(top[1]++);
          if (in.isNone() || !set.get(in.node())) {
            continue;
          }
          if (state[in.node()] == 1) {
            throw new IllegalStateException("cycle through node '" + nodes.get(in.node()).name() + "'");
          }
          if (state[in.node()] == 0) {
            state[in.node()] = 1;
            stack.push(new int[] {in.node(), 0});
          }
        } else {
          stack.pop();
          state[top[0]] = 2;
          out[k++] = top[0];
        }
      }
    }
    return out;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (int id : order()) {
      sb.append(nodes.get(id)).append('\n');
    }
    for (Output o : outputs) {
      sb.append("output '").append(o.name()).append("' = ").append(o.outlet()).append('\n');
    }
    return sb.toString();
  }
}
