package dev.topiary.converter.passes;

import dev.topiary.converter.artifact.RuntimeOps;
import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Op;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.Shapes;
import dev.topiary.converter.ir.TensorValue;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The layout pass. Lowering runs each spatial op in NHWC between an NCHW→NHWC and an NHWC→NCHW
 * transpose; this pass moves transposes towards the outputs through layout-agnostic ops and
 * removes them where they meet their inverse, so a chain of convolutions runs in NHWC with
 * transposes only at the graph's boundary. One rewrite per patch, in this priority:
 * <ol>
 *   <li>two transposes in a row merge (and vanish when they cancel);
 *   <li>a transpose of a constant becomes the transposed constant;
 *   <li>a transpose that only moves size-1 dimensions becomes a reshape;
 *   <li>reshape-like ops in a row merge, and a reshape to the same shape vanishes;
 *   <li>a single-reader transpose moves below an elementwise unary op, BatchNorm, Softmax,
 *       ReduceMean with keepdims, or Pad (whose axes, or pads, are permuted);
 *   <li>below a binary op whose other input is a constant (transposed to match), a computed
 *       tensor that the transpose would only move size-1 dims of (reshaped to match: the
 *       squeeze-excitation scale {@code [1,C,1,1]}) or a transpose
 *       with the same permutation;
 *   <li>below a Concat whose inputs are all such transposes or constants.
 * </ol>
 */
public final class TransposeSinking implements Pass {
  private static final Set<String> RESHAPES = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze");

  @Override
  public String name() {
    return "transpose-sinking";
  }

  @Override
  public Optional<Patch> next(Graph g, PassContext ctx) {
    int[] order = g.order();
    for (int id : order) {
      Optional<Patch> p = simplify(g, g.node(id));
      if (p.isPresent()) {
        return p;
      }
    }
    for (int id : order) {
      Optional<Patch> p = sink(g, g.node(id));
      if (p.isPresent()) {
        return p;
      }
    }
    return Optional.empty();
  }

  private static boolean isRt(Node n, String type) {
    return n.op().is(Dialect.RUNTIME, type);
  }

  private static int[] perm(Node t) {
    return Shapes.toInts(t.op().attrs().ints("perm"));
  }

  private static Optional<Patch> simplify(Graph g, Node n) {
    if (n.op().dialect() != Dialect.RUNTIME) {
      return Optional.empty();
    }
    if (isRt(n, "Transpose")) {
      Node in = g.node(n.input(0).node());
      int[] p2 = perm(n);
      if (isRt(in, "Transpose")) {
        int[] c = Shapes.compose(perm(in), p2);
        Patch p = new Patch(g, "merge transposes '" + in.name() + "' and '" + n.name() + "'");
        p.shunt(n.out(0), Shapes.isIdentity(c) ? in.input(0)
            : p.add(n.name(), RuntimeOps.transpose(c), in.input(0)));
        return Optional.of(p);
      }
      if (IrOps.isConst(in.op())) {
        Patch p = new Patch(g, "transpose constant '" + in.name() + "'");
        p.shunt(n.out(0), p.constant(in.name() + "/t", g.fact(n.input(0)).value().transpose(p2)));
        return Optional.of(p);
      }
      if (Shapes.isIdentity(p2)) {
        Patch p = new Patch(g, "remove identity transpose '" + n.name() + "'");
        p.shunt(n.out(0), n.input(0));
        return Optional.of(p);
      }
      if (onlyMovesUnitDims(g.fact(n.input(0)).shape(), p2)) {
        Patch p = new Patch(g, "transpose '" + n.name() + "' only moves size-1 dims: reshape");
        p.shunt(n.out(0), p.add(n.name(), reshape(n.fact(0).shape()), n.input(0)));
        return Optional.of(p);
      }
    }
    if (RESHAPES.contains(n.op().type())) {
      int[] out = n.fact(0).shape();
      if (java.util.Arrays.equals(out, g.fact(n.input(0)).shape())) {
        Patch p = new Patch(g, "remove no-op " + n.op().type() + " '" + n.name() + "'");
        p.shunt(n.out(0), n.input(0));
        return Optional.of(p);
      }
      Node in = g.node(n.input(0).node());
      if (in.op().dialect() == Dialect.RUNTIME && RESHAPES.contains(in.op().type()) && g.useCount(n.input(0)) == 1) {
        Patch p = new Patch(g, "merge '" + in.name() + "' and '" + n.name() + "' into one Reshape");
        p.shunt(n.out(0), p.add(n.name(), reshape(out), in.input(0)));
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static Op reshape(int[] shape) {
    return RuntimeOps.reshape(shape);
  }

  private static boolean onlyMovesUnitDims(int[] in, int[] perm) {
    int last = -1;
    for (int k = 0; k < perm.length; k++) {
      if (in[perm[k]] != 1) {
        if (perm[k] < last) {
          return false;
        }
        last = perm[k];
      }
    }
    return true;
  }

  /** The transpose feeding {@code o} when {@code reader} is its only reader, else null. */
  private static Node soleTranspose(Graph g, Outlet o, Node reader) {
    if (o.isNone()) {
      return null;
    }
    Node t = g.node(o.node());
    if (!isRt(t, "Transpose") || g.isOutput(o)) {
      return null;
    }
    for (Node c : g.consumers(o)) {
      if (c.id() != reader.id()) {
        return null;
      }
    }
    return t;
  }

  private static Optional<Patch> sink(Graph g, Node n) {
    if (n.op().dialect() != Dialect.RUNTIME || n.inputs().isEmpty()) {
      return Optional.empty();
    }
    String type = n.op().type();
    Attributes a = n.op().attrs();
    if (RuntimeOps.UNARY.contains(type) || type.equals("BatchNorm") || type.equals("Softmax")
        || type.equals("Pad") || (type.equals("ReduceMean") && a.i("keepdims", 1) != 0 && a.has("axes"))) {
      Node t = soleTranspose(g, n.input(0), n);
      if (t == null) {
        return Optional.empty();
      }
      int[] perm = perm(t);
      int r = perm.length;
      Attributes.Builder b = a.toBuilder();
      switch (type) {
        case "BatchNorm":
        case "Softmax": {
          long ax = a.i("axis", -1);
          b.set("axis", (long) perm[(int) (ax < 0 ? ax + r : ax)]);
          break;
        }
        case "ReduceMean": {
          long[] axes = a.ints("axes");
          long[] na = new long[axes.length];
          for (int i = 0; i < axes.length; i++) {
            na[i] = perm[(int) (axes[i] < 0 ? axes[i] + r : axes[i])];
          }
          java.util.Arrays.sort(na);
          b.set("axes", na);
          break;
        }
        case "Pad": {
          long[] pads = a.ints("pads");
          long[] np = new long[2 * r];
          for (int k = 0; k < r; k++) {
            np[perm[k]] = pads[k];
            np[perm[k] + r] = pads[k + r];
          }
          b.set("pads", np);
          break;
        }
        default:
          break;
      }
      Outlet[] ins = n.inputs().toArray(new Outlet[0]);
      ins[0] = t.input(0);
      Patch p = new Patch(g, "move transpose '" + t.name() + "' below " + type + " '" + n.name() + "'");
      Outlet moved = p.add(n.name(), n.op().withAttrs(b.build()), ins);
      p.shunt(n.out(0), p.add(t.name(), t.op(), moved));
      return Optional.of(p);
    }
    if (RuntimeOps.BINARY.contains(type) || type.equals("Concat")) {
      return sinkMulti(g, n);
    }
    return Optional.empty();
  }

  /** Binary ops and Concat: every input a sole-reader transpose with one permutation, or a constant. */
  private static Optional<Patch> sinkMulti(Graph g, Node n) {
    List<Outlet> ins = n.inputs();
    int[] perm = null;
    for (Outlet o : ins) {
      Node t = soleTranspose(g, o, n);
      if (t != null) {
        perm = perm(t);
        break;
      }
    }
    if (perm == null) {
      return Optional.empty();
    }
    int r = perm.length;
    int[] inv = Shapes.inverse(perm);
    Patch p = new Patch(g, "move transposes below " + n.op().type() + " '" + n.name() + "'");
    Outlet[] nin = new Outlet[ins.size()];
    for (int i = 0; i < nin.length; i++) {
      Outlet o = ins.get(i);
      Node t = soleTranspose(g, o, n);
      Fact f = g.fact(o);
      if (t != null && java.util.Arrays.equals(perm(t), perm)) {
        nin[i] = t.input(0);
      } else if (f.isConstant() && f.rank() <= r && (f.rank() == r || !n.op().type().equals("Concat"))) {
        int[] s = f.shape();
        int[] aligned = new int[r];
        java.util.Arrays.fill(aligned, 1);
        System.arraycopy(s, 0, aligned, r - s.length, s.length);
        TensorValue v = f.value().reshape(aligned).transpose(inv);
        nin[i] = p.constant(g.node(o.node()).name() + "/t", v);
      } else if (!n.op().type().equals("Concat") && f.rank() == r && onlyMovesUnitDims(f.shape(), inv)) {
        // A computed operand such as a squeeze-excitation scale [1,C,1,1]: transposing it only
        // moves size-1 dims, so a Reshape (free) takes the transpose's place.
        int[] s = f.shape();
        int[] moved = new int[r];
        for (int k = 0; k < r; k++) {
          moved[k] = s[inv[k]];
        }
        nin[i] = p.add(g.node(o.node()).name() + "/t", reshape(moved), o);
      } else {
        return Optional.empty();
      }
    }
    Attributes a = n.op().attrs();
    if (n.op().type().equals("Concat")) {
      long ax = a.i("axis", 0);
      a = a.toBuilder().set("axis", (long) perm[(int) (ax < 0 ? ax + r : ax)]).build();
    }
    Outlet moved = p.add(n.name(), n.op().withAttrs(a), nin);
    p.shunt(n.out(0), p.add(n.name() + "/transpose", RuntimeOps.transpose(perm), moved));
    return Optional.of(p);
  }
}
