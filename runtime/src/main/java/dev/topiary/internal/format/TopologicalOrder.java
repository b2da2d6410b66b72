package dev.topiary.internal.format;

import dev.topiary.ModelFormatException;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.Node;

/** Kahn's algorithm over the node graph; a cycle is a format error naming a node on it. */
public final class TopologicalOrder {
  private TopologicalOrder() {}

  /** Node indices in an order where every node comes after the producers of its inputs. */
  public static int[] of(Graph g) throws ModelFormatException {
    int[] producer = new int[g.getTensorsCount()];
    java.util.Arrays.fill(producer, -1);
    for (int n = 0; n < g.getNodesCount(); n++) {
      for (int t : g.getNodes(n).getOutputsList()) {
        producer[t] = n;
      }
    }
    return of(g, producer);
  }

  static int[] of(Graph g, int[] producer) throws ModelFormatException {
    int nn = g.getNodesCount();
    int[] pending = new int[nn];
    // Consumers of each node as a CSR adjacency list (edges counted with multiplicity).
    int[] start = new int[nn + 1];
    for (int n = 0; n < nn; n++) {
      for (int t : g.getNodes(n).getInputsList()) {
        if (t >= 0 && producer[t] >= 0) {
          start[producer[t] + 1]++;
          pending[n]++;
        }
      }
    }
    for (int n = 0; n < nn; n++) {
      start[n + 1] += start[n];
    }
    int[] fill = start.clone();
    int[] adj = new int[start[nn]];
    for (int n = 0; n < nn; n++) {
      for (int t : g.getNodes(n).getInputsList()) {
        if (t >= 0 && producer[t] >= 0) {
          adj[fill[producer[t]]++] = n;
        }
      }
    }
    int[] order = new int[nn];
    int head = 0;
    int tail = 0;
    for (int n = 0; n < nn; n++) {
      if (pending[n] == 0) {
        order[tail++] = n;
      }
    }
    while (head < tail) {
      int n = order[head++];
      for (int e = start[n]; e < start[n + 1]; e++) {
        if (--pending[adj[e]] == 0) {
          order[tail++] = adj[e];
        }
      }
    }
    if (tail != nn) {
      for (int n = 0; n < nn; n++) {
        if (pending[n] > 0) {
          Node node = g.getNodes(n);
          throw new ModelFormatException(
              "graph has a cycle through node " + n + " '" + node.getName() + "' (" + node.getOpType() + ")");
        }
      }
    }
    return order;
  }
}
