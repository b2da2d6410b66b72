package dev.topiary.converter.passes;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Lowering;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Op;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.TensorValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Rewrites every ONNX node into runtime ops, one node per patch: nodes whose used outputs are
 * constants become {@code Const} nodes (the folding a valid artifact needs, since the runtime has
 * no shape arithmetic), the others go through their rule's lowering. Spatial ops come out in NHWC
 * between two transposes; {@link TransposeSinking} removes most of those. Errors of all nodes are
 * collected and reported together.
 */
public final class LowerToRuntime implements Pass {
  @Override
  public String name() {
    return "lower-to-runtime";
  }

  @Override
  public Optional<Patch> next(Graph g, PassContext ctx) throws ConversionException {
    List<String> errors = new ArrayList<>();
    for (int id : g.order()) {
      Node n = g.node(id);
      if (n.op().dialect() != Dialect.ONNX) {
        continue;
      }
      Patch p = new Patch(g, "lower '" + n.name() + "' (" + n.op().type() + ")");
      if (ConstantFolding.foldInto(g, p, n)) {
        return Optional.of(p);
      }
      try {
        n.op().rule().lower(new Context(g, n, p));
        return Optional.of(p);
      } catch (ConversionException e) {
        errors.add(e.getMessage());
      }
    }
    if (errors.isEmpty()) {
      return Optional.empty();
    }
    if (errors.size() == 1) {
      throw new ConversionException(errors.get(0));
    }
    throw new ConversionException(errors.size() + " nodes cannot be converted: " + String.join("; ", errors));
  }

  /** {@link Lowering} over a patch. */
  private static final class Context implements Lowering {
    private final Graph g;
    private final Node n;
    private final Patch p;

    Context(Graph g, Node n, Patch p) {
      this.g = g;
      this.n = n;
      this.p = p;
    }

    @Override
    public Node node() {
      return n;
    }

    @Override
    public Op op() {
      return n.op();
    }

    @Override
    public Outlet input(int i) {
      return n.input(i);
    }

    @Override
    public Fact inputFact(int i) {
      return g.fact(n.input(i));
    }

    @Override
    public Fact outputFact(int slot) {
      return n.fact(slot);
    }

    @Override
    public boolean outputUsed(int slot) {
      return g.useCount(n.out(slot)) > 0;
    }

    @Override
    public Outlet add(String suffix, Op op, Outlet... inputs) {
      return p.add(suffix.isEmpty() ? n.name() : n.name() + "/" + suffix, op, inputs);
    }

    @Override
    public Outlet constant(String suffix, TensorValue value) {
      return p.constant(n.name() + "/" + suffix, value);
    }

    @Override
    public void replace(int slot, Outlet replacement) {
      p.shunt(n.out(slot), replacement);
    }

    @Override
    public ConversionException error(String message) {
      return Graph.error(n, message);
    }
  }
}
