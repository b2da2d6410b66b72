package dev.topiary.converter.passes;

import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Patch;
import java.util.Optional;

/**
 * Replaces every ONNX node whose used outputs are all known constants by {@code Const} nodes. Shape
 * inference already evaluated them (shape arithmetic, casts, data movement of constants), so this
 * is where PyTorch's Shape→Gather→Unsqueeze→Concat→Reshape chains collapse to one constant.
 */
public final class ConstantFolding implements Pass {
  @Override
  public String name() {
    return "constant-folding";
  }

  @Override
  public Optional<Patch> next(Graph g, PassContext ctx) {
    Patch p = new Patch(g, "fold constants");
    int folded = 0;
    for (int id : g.order()) {
      Node n = g.node(id);
      if (n.op().dialect() == Dialect.ONNX && foldInto(g, p, n)) {
        folded++;
      }
    }
    return folded == 0 ? Optional.empty() : Optional.of(p);
  }

  /** Adds constants for {@code n}'s used outputs when all are known; returns whether it did. */
  static boolean foldInto(Graph g, Patch p, Node n) {
    boolean any = false;
    for (int s = 0; s < n.outputCount(); s++) {
      if (g.useCount(n.out(s)) > 0) {
        Fact f = n.fact(s);
        if (f == null || !f.isConstant()) {
          return false;
        }
        any = true;
      }
    }
    if (!any) {
      return false;
    }
    for (int s = 0; s < n.outputCount(); s++) {
      if (g.useCount(n.out(s)) > 0) {
        p.shunt(n.out(s), p.constant(n.outputName(s), n.fact(s).value()));
      }
    }
    return true;
  }
}
