package dev.topiary.converter.passes;

import dev.topiary.converter.ir.DType;
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
 * Recognises HardSwish written out by exporters that predate the op (PaddlePaddle, older PyTorch
 * and TensorFlow graphs), {@code x·clip(x + 3, 0, 6)/6}, and replaces it by one HardSwish, which
 * the activation fusion then folds into the convolution before it. Accepted forms, multiplications
 * in either operand order:
 *
 * <ul>
 *   <li>{@code Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)}, or {@code Mul(…, 1/6)} for the {@code Div};
 *   <li>{@code Mul(x, Div(Clip(Add(x, 3), 0, 6), 6))}, or {@code Mul(…, 1/6)} for the inner
 *       {@code Div};
 *   <li>{@code Mul(x, HardSigmoid(x))} with {@code alpha = 1/6}, {@code beta = 0.5}.
 * </ul>
 *
 * <p>Worth more than the arithmetic it saves: the unfused form reads {@code x} twice, so after
 * lowering the NHWC→NCHW transpose after the convolution has two readers and the layout pass
 * cannot sink it; the PaddleOCR classifier spent two thirds of its time in those transposes and
 * the four elementwise ops (docs/BENCHMARKS.md). Results differ from the unfused graph by rounding
 * only (the runtime's HardSwish computes {@code x·clip(x + 3, 0, 6)/6}).
 */
public final class HardSwishFusion implements Pass {
  @Override
  public String name() {
    return "hardswish-fusion";
  }

  @Override
  public Optional<Patch> next(Graph g, PassContext ctx) {
    for (Node mul : g.live(Dialect.ONNX, "Mul")) {
      for (int side = 0; side < 2; side++) {
        Outlet x = mul.input(side);
        Outlet other = mul.input(1 - side);
        if (x.node() < 0 || other.node() < 0 || !isFloat(g, x)) {
          continue;
        }
        Outlet result = null;
        Node o = g.node(other.node());
        if (isHardSigmoidOf(g, o, x) && single(g, other) != null) {
          result = mul.out(0); // Mul(x, HardSigmoid(x))
        } else if (isSixth(g, o) && single(g, other) != null) {
          Outlet clip = scaledInput(g, o);
          if (clip != null && isClipOfXPlus3(g, clip, x)) {
            result = mul.out(0); // Mul(x, Clip(Add(x, 3))/6)
          }
        } else if (isClipOfXPlus3(g, other, x)) {
          Node scale = single(g, mul.out(0));
          if (scale != null && isSixth(g, scale) && scale.input(0).equals(mul.out(0))) {
            result = scale.out(0); // Mul(x, Clip(Add(x, 3)))/6
          } else if (scale != null && scale.op().is(Dialect.ONNX, "Mul") && isSixth(g, scale)
              && scale.input(1).equals(mul.out(0))) {
            result = scale.out(0); // (1/6)·Mul(x, Clip(Add(x, 3)))
          }
        }
        if (result != null) {
          Patch p = new Patch(g, "fuse the HardSwish pattern at '" + mul.name() + "' into HardSwish");
          p.shunt(result, p.add(mul.name() + "/hardswish", OnnxOps.hardSwish(), x));
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /** {@code n} divides by 6 ({@code Div(v, 6)}) or multiplies by 1/6 ({@code Mul} either way round). */
  private static boolean isSixth(Graph g, Node n) {
    if (n.op().is(Dialect.ONNX, "Div")) {
      return isConst(g, n.input(1), 6);
    }
    return n.op().is(Dialect.ONNX, "Mul") && (isConst(g, n.input(0), 1 / 6.0) || isConst(g, n.input(1), 1 / 6.0));
  }

  /** The scaled operand of a node accepted by {@link #isSixth}. */
  private static Outlet scaledInput(Graph g, Node n) {
    if (n.op().is(Dialect.ONNX, "Div")) {
      return n.input(0);
    }
    return isConst(g, n.input(1), 1 / 6.0) ? n.input(0) : n.input(1);
  }

  /** {@code o} is {@code Clip(Add(x, 3), 0, 6)}, both nodes read only by the pattern. */
  private static boolean isClipOfXPlus3(Graph g, Outlet o, Outlet x) {
    if (o.node() < 0 || single(g, o) == null) {
      return false;
    }
    Node clip = g.node(o.node());
    if (!clip.op().is(Dialect.ONNX, "Clip") || !isConst(g, clip.input(1), 0) || !isConst(g, clip.input(2), 6)) {
      return false;
    }
    Outlet a = clip.input(0);
    if (a.node() < 0 || single(g, a) == null) {
      return false;
    }
    Node add = g.node(a.node());
    return add.op().is(Dialect.ONNX, "Add")
        && (add.input(0).equals(x) && isConst(g, add.input(1), 3) || add.input(1).equals(x) && isConst(g, add.input(0), 3));
  }

  private static boolean isHardSigmoidOf(Graph g, Node n, Outlet x) {
    return n.op().is(Dialect.ONNX, "HardSigmoid") && n.input(0).equals(x)
        && near(n.op().attrs().f("alpha", 0.2f), 1 / 6.0) && near(n.op().attrs().f("beta", 0.5f), 0.5);
  }

  private static boolean isFloat(Graph g, Outlet o) {
    Fact f = g.fact(o);
    return f != null && f.dtype() == DType.FLOAT32;
  }

  /** The only reader of {@code o}, which is not a graph output; else null. */
  private static Node single(Graph g, Outlet o) {
    List<Node> c = g.consumers(o);
    return c.size() == 1 && !g.isOutput(o) ? c.get(0) : null;
  }

  private static boolean isConst(Graph g, Outlet o, double v) {
    if (o.node() < 0) {
      return false;
    }
    Fact f = g.fact(o);
    return f != null && f.isConstant() && f.value().count() == 1 && near(f.value().floatAt(0), v);
  }

  private static boolean near(double a, double v) {
    return Math.abs(a - v) <= 1e-4 * Math.max(1, Math.abs(v));
  }
}
