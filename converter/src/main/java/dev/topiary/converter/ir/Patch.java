package dev.topiary.converter.ir;

import dev.topiary.converter.ConversionException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A change to a graph, built by a pass and applied by the optimiser: nodes to add (their ids are
 * known in advance, so added nodes may read each other), ops to replace, and "shunts" that route
 * every pre-existing reader of an outlet (and any graph output) to another outlet. Nodes left
 * without readers become dead and are removed by dead-code elimination.
 */
public final class Patch {
  private record Added(String name, Op op, List<Outlet> inputs, String[] outputNames) {}

  private final Graph graph;
  private final int base;
  private final String description;
  private final List<Added> added = new ArrayList<>();
  private final Map<Integer, Op> ops = new LinkedHashMap<>();
  private final Map<Outlet, Outlet> shunts = new LinkedHashMap<>();
  private final List<int[]> rewires = new ArrayList<>();
  private final List<Outlet> rewireTargets = new ArrayList<>();
  private boolean compact;

  public Patch(Graph graph, String description) {
    this.graph = graph;
    this.base = graph.size();
    this.description = description;
  }

  /** A patch removing every dead node and renumbering the rest (dead-code elimination). */
  public static Patch compaction(Graph graph, String description) {
    Patch p = new Patch(graph, description);
    p.compact = true;
    return p;
  }

  /** What the patch does, for logs and bisection. */
  public String description() {
    return description;
  }

  public Graph graph() {
    return graph;
  }

  /** Adds a node; returns its id. Outputs are named {@code name}, {@code name:1}, ... */
  public int addNode(String name, Op op, int outputs, Outlet... inputs) {
    String[] outs = new String[outputs];
    for (int s = 0; s < outputs; s++) {
      outs[s] = s == 0 ? name : name + ":" + s;
    }
    added.add(new Added(name, op, List.of(inputs), outs));
    return base + added.size() - 1;
  }

  /** Adds a single-output node; returns its outlet. */
  public Outlet add(String name, Op op, Outlet... inputs) {
    return new Outlet(addNode(name, op, 1, inputs), 0);
  }

  public Outlet constant(String name, TensorValue v) {
    return add(name, IrOps.constant(v));
  }

  /** Replaces the op of existing node {@code id} (inputs unchanged). */
  public void setOp(int id, Op op) {
    ops.put(id, op);
  }

  /** Routes every pre-existing reader of {@code from}, and graph outputs, to {@code to}. */
  public void shunt(Outlet from, Outlet to) {
    if (!from.equals(to)) {
      shunts.put(from, to);
    }
  }

  /** Replaces input {@code slot} of node {@code id} by {@code to}. */
  public void setInput(int id, int slot, Outlet to) {
    rewires.add(new int[] {id, slot});
    rewireTargets.add(to);
  }

  public boolean isEmpty() {
    return !compact && added.isEmpty() && ops.isEmpty() && shunts.isEmpty() && rewires.isEmpty();
  }

  /**
   * Applies the patch and refreshes the facts it affects. Returns the resulting graph: the same
   * graph, or for a compaction a new one.
   */
  public Graph apply() throws ConversionException {
    if (graph.size() != base) {
      throw new IllegalStateException("patch '" + description + "' was built for another version of the graph");
    }
    if (compact) {
      return graph.compact();
    }
    BitSet dirty = new BitSet();
    for (Added a : added) {
      dirty.set(graph.addNode(a.name(), a.op(), a.inputs(), a.outputNames()));
    }
    for (Map.Entry<Integer, Op> e : ops.entrySet()) {
      graph.setOp(e.getKey(), e.getValue());
      dirty.set(e.getKey());
    }
    for (int k = 0; k < rewires.size(); k++) {
      graph.setInput(rewires.get(k)[0], rewires.get(k)[1], rewireTargets.get(k));
      dirty.set(rewires.get(k)[0]);
    }
    if (!shunts.isEmpty()) {
      for (int id = 0; id < base; id++) {
        List<Outlet> ins = graph.node(id).inputs();
        for (int i = 0; i < ins.size(); i++) {
          Outlet t = resolve(ins.get(i));
          if (!t.equals(ins.get(i))) {
            graph.setInput(id, i, t);
            dirty.set(id);
          }
        }
      }
      for (int k = 0; k < graph.outputs().size(); k++) {
        Outlet o = graph.outputs().get(k).outlet();
        Outlet t = resolve(o);
        if (!t.equals(o)) {
          graph.setOutput(k, t);
        }
      }
    }
    graph.refreshFacts(dirty);
    return graph;
  }

  private Outlet resolve(Outlet o) {
    Outlet t = o;
    for (int guard = 0; shunts.containsKey(t) && guard <= shunts.size(); guard++) {
      t = shunts.get(t);
    }
    return t;
  }

  @Override
  public String toString() {
    return description;
  }
}
