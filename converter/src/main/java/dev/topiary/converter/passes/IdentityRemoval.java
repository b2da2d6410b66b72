package dev.topiary.converter.passes;

import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Patch;
import java.util.Optional;

/**
 * Removes Identity nodes, inference-mode Dropout (when its mask is unused) and Casts to the type
 * the value already has: their readers read the input instead.
 */
public final class IdentityRemoval implements Pass {
  @Override
  public String name() {
    return "identity-removal";
  }

  @Override
  public Optional<Patch> next(Graph g, PassContext ctx) {
    Patch p = new Patch(g, "remove identities");
    int n = 0;
    for (int id : g.order()) {
      Node node = g.node(id);
      if (node.op().dialect() != Dialect.ONNX) {
        continue;
      }
      boolean remove;
      switch (node.op().type()) {
        case "Identity":
          remove = true;
          break;
        case "Dropout":
          remove = node.outputCount() < 2 || g.useCount(node.out(1)) == 0;
          break;
        case "Cast":
          remove = g.fact(node.input(0)).dtype() == node.fact(0).dtype();
          break;
        default:
          remove = false;
      }
      if (remove) {
        p.shunt(node.out(0), node.input(0));
        n++;
      }
    }
    return n == 0 ? Optional.empty() : Optional.of(p);
  }
}
