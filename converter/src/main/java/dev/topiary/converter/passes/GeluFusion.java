package dev.topiary.converter.passes;

import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.onnx.OnnxOps;
import java.util.List;
import java.util.Optional;

/**
 * Recognises the exact GELU that exporters write before opset 20,
 * {@code x·0.5·(1 + erf(x/√2))} (as {@code Div(x, √2)} or {@code Mul(x, 1/√2)}, then Erf, Add 1,
 * and the two multiplications in either order), and replaces it by one Gelu. The runtime has no
 * Erf, so this runs in the required pipeline too.
 */
public final class GeluFusion implements Pass {
  private static final double SQRT2 = Math.sqrt(2);

  @Override
  public String name() {
    return "gelu-fusion";
  }

  @Override
  public Optional<Patch> next(Graph g, PassContext ctx) {
    for (Node erf : g.live(Dialect.ONNX, "Erf")) {
      Node scaled = g.node(erf.input(0).node());
      Outlet x = null;
      if (scaled.op().is(Dialect.ONNX, "Div") && isConst(g, scaled.input(1), SQRT2)) {
        x = scaled.input(0);
      } else if (scaled.op().is(Dialect.ONNX, "Mul")) {
        x = otherThanConst(g, scaled, 1 / SQRT2);
      }
      if (x == null) {
        continue;
      }
      Node add = single(g, erf.out(0));
      if (add == null || !add.op().is(Dialect.ONNX, "Add") || otherThanConst(g, add, 1.0) == null) {
        continue;
      }
      Node m1 = single(g, add.out(0));
      if (m1 == null || !m1.op().is(Dialect.ONNX, "Mul")) {
        continue;
      }
      Outlet other = m1.input(0).equals(add.out(0)) ? m1.input(1) : m1.input(0);
      Outlet result = null;
      if (other.equals(x)) {
        Node m2 = single(g, m1.out(0));
        if (m2 != null && m2.op().is(Dialect.ONNX, "Mul") && x.equals(x) && otherThanConst(g, m2, 0.5) != null) {
          result = m2.out(0);
        }
      } else {
        Node half = g.node(other.node());
        if (half.op().is(Dialect.ONNX, "Mul") && x.equals(otherThanConst(g, half, 0.5))) {
          result = m1.out(0);
        }
      }
      if (result == null) {
        continue;
      }
      Patch p = new Patch(g, "fuse the erf GELU at '" + erf.name() + "' into Gelu");
      p.shunt(result, p.add(erf.name() + "/gelu", OnnxOps.gelu("none"), x));
      return Optional.of(p);
    }
    return Optional.empty();
  }

  private static Node single(Graph g, Outlet o) {
    List<Node> c = g.consumers(o);
    return c.size() == 1 && !g.isOutput(o) ? c.get(0) : null;
  }

  private static boolean isConst(Graph g, Outlet o, double v) {
    Fact f = g.fact(o);
    return f != null && f.isConstant() && f.value().count() == 1 && Math.abs(f.value().floatAt(0) - v) < 1e-4 * v;
  }

  /** The non-constant input of a binary node whose other input is the scalar {@code v}, else null. */
  private static Outlet otherThanConst(Graph g, Node n, double v) {
    if (isConst(g, n.input(1), v)) {
      return n.input(0);
    }
    if (isConst(g, n.input(0), v)) {
      return n.input(1);
    }
    return null;
  }
}
