package dev.topiary.converter.passes;

import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Patch;
import java.util.Optional;
import java.util.Set;

/**
 * Fuses Relu, Relu6, Clip and HardSwish into the Conv2D, FullyConnected, MatMul or FLOAT32
 * elementwise Add, Sub, Mul, Div before it, when that op has no fused activation yet and no other
 * reader, using the runtime's {@code activation} attribute. The binary ops matter for residual
 * blocks ({@code relu(conv(x) + x)}: BlazeFace spent 10% of its time in Relu passes over the sums).
 */
public final class ActivationFusion implements Pass {
  private static final Set<String> HOSTS = Set.of("Conv2D", "FullyConnected", "MatMul");
  private static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div");

  @Override
  public String name() {
    return "activation-fusion";
  }

  @Override
  public Optional<Patch> next(Graph g, PassContext ctx) {
    for (int id : g.order()) {
      Node act = g.node(id);
      if (act.op().dialect() != Dialect.RUNTIME) {
        continue;
      }
      Attributes.Builder fused;
      switch (act.op().type()) {
        case "Relu": fused = Attributes.builder().set("activation", "RELU"); break;
        case "Relu6": fused = Attributes.builder().set("activation", "RELU6"); break;
        case "HardSwish": fused = Attributes.builder().set("activation", "HARD_SWISH"); break;
        case "Clip":
          fused = Attributes.builder().set("activation", "CLIP")
              .set("activation_min", act.op().attrs().f("min", Float.NEGATIVE_INFINITY))
              .set("activation_max", act.op().attrs().f("max", Float.POSITIVE_INFINITY));
          break;
        default: continue;
      }
      Node host = g.node(act.input(0).node());
      boolean binary = BINARY.contains(host.op().type()) && g.fact(host.out(0)).dtype() == DType.FLOAT32;
      if (host.op().dialect() != Dialect.RUNTIME || !(HOSTS.contains(host.op().type()) || binary)
          || !host.op().attrs().s("activation", "NONE").equals("NONE") || g.useCount(act.input(0)) != 1
          || g.isOutput(act.input(0))) {
        continue;
      }
      Attributes.Builder a = host.op().attrs().toBuilder();
      Attributes add = fused.build();
      for (String k : add.names()) {
        Object v = add.get(k);
        if (v instanceof String) {
          a.set(k, (String) v);
        } else {
          a.set(k, ((Number) v).floatValue());
        }
      }
      Patch p = new Patch(g, "fuse " + act.op().type() + " '" + act.name() + "' into " + host.op().type() + " '"
          + host.name() + "'");
      p.setOp(host.id(), host.op().withAttrs(a.build()));
      p.shunt(act.out(0), host.out(0));
      return Optional.of(p);
    }
    return Optional.empty();
  }
}
