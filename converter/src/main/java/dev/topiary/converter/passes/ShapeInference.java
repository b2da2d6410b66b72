package dev.topiary.converter.passes;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.Shapes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Makes every input shape static, then computes the facts of every node. A shape given in the
 * options wins (it must agree with the dimensions the model fixes); otherwise an unknown first
 * dimension is taken as a batch of 1, with a note; any other unknown dimension is an error asking
 * for the shape.
 */
public final class ShapeInference implements Pass {
  @Override
  public String name() {
    return "shape-inference";
  }

  @Override
  public Optional<Patch> next(Graph g, PassContext ctx) throws ConversionException {
    TreeSet<String> names = new TreeSet<>();
    for (int id : g.inputs()) {
      names.add(g.node(id).name());
    }
    for (String n : ctx.inputShapes().keySet()) {
      if (!names.contains(n)) {
        throw new ConversionException("input shape given for '" + n + "', but the model's inputs are " + names);
      }
    }
    Patch p = new Patch(g, "static input shapes and facts");
    boolean missing = false;
    for (int id : g.order()) {
      missing |= g.node(id).fact(0) == null;
    }
    List<String> problems = new ArrayList<>();
    for (int id : g.inputs()) {
      Node n = g.node(id);
      DType dt = DType.valueOf(n.op().attrs().s("dtype", "FLOAT32"));
      long[] declared = n.op().attrs().ints("shape");
      int[] given = ctx.inputShapes().get(n.name());
      int[] shape;
      if (given != null) {
        if (declared != null) {
          boolean ok = declared.length == given.length;
          for (int i = 0; ok && i < given.length; i++) {
            ok = declared[i] < 0 || declared[i] == given[i];
          }
          if (!ok) {
            throw new ConversionException("input '" + n.name() + "': the model declares "
                + Shapes.format(Shapes.toInts(declared)) + ", the options give " + Shapes.format(given));
          }
        }
        shape = given;
      } else if (declared == null) {
        problems.add("input '" + n.name() + "' has no declared shape; give it in ConvertOptions.inputShape");
        continue;
      } else {
        shape = Shapes.toInts(declared);
        for (int i = 0; i < shape.length; i++) {
          if (shape[i] >= 0) {
            continue;
          }
          if (i == 0) {
            shape[0] = 1;
            ctx.note("batch dimension of '" + n.name() + "' fixed to 1");
          } else {
            problems.add("input '" + n.name() + "' has an unknown dimension " + i + " in "
                + Shapes.format(Shapes.toInts(declared)) + "; give its shape in ConvertOptions.inputShape");
            break;
          }
        }
      }
      if (missing || declared == null || !java.util.Arrays.equals(Shapes.toInts(declared), shape)) {
        p.setOp(id, IrOps.input(dt, shape));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConversionException(String.join("; ", problems));
    }
    if (p.isEmpty() && missing) {
      // No input to patch (a graph of constants only): compute the facts directly.
      g.inferFacts();
    }
    return p.isEmpty() ? Optional.empty() : Optional.of(p);
  }
}
