package dev.topiary.converter.prune;

import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;

/**
 * Multiply-accumulates of the linear ops of a lowered graph, from shapes: Conv2D
 * {@code N·OH·OW·O·KH·KW·C/group}, FullyConnected {@code rows·N·K}, MatMul {@code |out|·K}.
 */
public final class Macs {
  private Macs() {}

  /** Total MACs of the live Conv2D, FullyConnected and MatMul nodes of {@code g}. */
  public static long of(Graph g) {
    long total = 0;
    for (int id : g.order()) {
      total += of(g, g.node(id));
    }
    return total;
  }

  /** MACs of one node (0 for ops other than Conv2D, FullyConnected and MatMul). */
  public static long of(Graph g, Node n) {
    if (n.op().dialect() != Dialect.RUNTIME) {
      return 0;
    }
    switch (n.op().type()) {
      case "Conv2D": {
        int[] w = g.fact(n.input(1)).shape();
        return count(n.fact(0).shape()) * w[1] * w[2] * w[3];
      }
      case "FullyConnected":
      case "MatMul": {
        int[] a = g.fact(n.input(0)).shape();
        return count(n.fact(0).shape()) * (a.length == 0 ? 1 : a[a.length - 1]);
      }
      default:
        return 0;
    }
  }

  private static long count(int[] shape) {
    long c = 1;
    for (int d : shape) {
      c *= d;
    }
    return c;
  }
}
