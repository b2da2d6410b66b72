package dev.topiary.converter.ir;

import dev.topiary.converter.ConversionException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Consistency check of a graph, switched on by tests (and whenever assertions are enabled): edges
 * point at existing outputs, graph inputs are {@code Input} nodes, node names are unique, the graph
 * is acyclic, and every live node's stored facts equal the facts recomputed from its inputs.
 */
public final class GraphCheck {
  private GraphCheck() {}

  /** Throws {@link IllegalStateException} describing the first inconsistency. */
  public static void check(Graph g) {
    Set<String> names = new HashSet<>();
    for (Node n : g.nodes()) {
      if (!names.add(n.name())) {
        throw new IllegalStateException("duplicate node name '" + n.name() + "'");
      }
      for (Outlet o : n.inputs()) {
        if (!o.isNone() && (o.node() < 0 || o.node() >= g.size() || o.slot() >= g.node(o.node()).outputCount())) {
          throw new IllegalStateException("node '" + n.name() + "' reads missing outlet " + o);
        }
      }
    }
    for (int in : g.inputs()) {
      if (!IrOps.isInput(g.node(in).op())) {
        throw new IllegalStateException("graph input #" + in + " is not an Input node");
      }
    }
    for (Graph.Output o : g.outputs()) {
      Outlet t = o.outlet();
      if (t.node() < 0 || t.node() >= g.size() || t.slot() >= g.node(t.node()).outputCount()) {
        throw new IllegalStateException("graph output '" + o.name() + "' is missing outlet " + t);
      }
    }
    int[] order = g.order();
    for (int id : order) {
      Node n = g.node(id);
      if (n.fact(0) == null) {
        continue;
      }
      try {
        Fact[] again = g.computeFacts(n);
        Fact[] stored = new Fact[n.outputCount()];
        for (int s = 0; s < stored.length; s++) {
          stored[s] = n.fact(s);
        }
        if (!Arrays.equals(again, stored)) {
          throw new IllegalStateException("node '" + n.name() + "': stored facts " + Arrays.toString(stored)
              + " differ from recomputed " + Arrays.toString(again));
        }
      } catch (ConversionException e) {
        throw new IllegalStateException("node '" + n.name() + "': facts no longer hold: " + e.getMessage(), e);
      }
    }
  }
}
