package dev.topiary.converter.passes;

import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.TensorValue;
import java.util.Optional;

/**
 * Folds an inference BatchNormalization into the Conv or Gemm feeding it, when that producer has
 * no other reader and every weight, bias and statistic is constant:
 * {@code f = scale/√(var+ε)}, weights of output channel {@code c} scale by {@code f[c]}, and the
 * bias becomes {@code (b − mean)·f + B}.
 */
public final class BatchNormFolding implements Pass {
  @Override
  public String name() {
    return "batchnorm-folding";
  }

  @Override
  public Optional<Patch> next(Graph g, PassContext ctx) {
    for (Node bn : g.live(Dialect.ONNX, "BatchNormalization")) {
      Outlet x = bn.input(0);
      Node prod = g.node(x.node());
      if (g.useCount(x) != 1 || x.slot() != 0 || !constant(g, bn, 1, 4)) {
        continue;
      }
      for (int s = 1; s < bn.outputCount(); s++) {
        if (g.useCount(bn.out(s)) > 0) {
          return Optional.empty();
        }
      }
      float eps = bn.op().attrs().f("epsilon", 1e-5f);
      float[] scale = g.fact(bn.input(1)).value().floats();
      float[] bias = g.fact(bn.input(2)).value().floats();
      float[] mean = g.fact(bn.input(3)).value().floats();
      float[] var = g.fact(bn.input(4)).value().floats();
      int c = scale.length;
      float[] f = new float[c];
      float[] shift = new float[c];
      for (int i = 0; i < c; i++) {
        f[i] = (float) (scale[i] / Math.sqrt((double) var[i] + eps));
        shift[i] = bias[i] - mean[i] * f[i];
      }
      if (prod.op().is(Dialect.ONNX, "Conv") && constant(g, prod, 1, 1)
          && (prod.input(2).isNone() || constant(g, prod, 2, 2))) {
        return Optional.of(foldConv(g, bn, prod, f, shift));
      }
      if (prod.op().is(Dialect.ONNX, "Gemm") && constant(g, prod, 1, 1)
          && (prod.input(2).isNone() || (constant(g, prod, 2, 2) && perColumn(g.fact(prod.input(2)), c)))) {
        return Optional.of(foldGemm(g, bn, prod, f, shift));
      }
    }
    return Optional.empty();
  }

  private static boolean constant(Graph g, Node n, int from, int to) {
    for (int i = from; i <= to; i++) {
      Fact f = g.fact(n.input(i));
      if (f == null || !f.isConstant() || !f.dtype().isFloating()) {
        return false;
      }
    }
    return true;
  }

  private static boolean perColumn(Fact c, int n) {
    return c.value().count() == 1 || (c.value().count() == n && c.shape()[c.rank() - 1] == n);
  }

  private static Patch foldConv(Graph g, Node bn, Node conv, float[] f, float[] shift) {
    TensorValue w = g.fact(conv.input(1)).value();
    float[] wv = w.floats().clone();
    int per = wv.length / f.length;
    for (int o = 0; o < f.length; o++) {
      for (int k = 0; k < per; k++) {
        wv[o * per + k] *= f[o];
      }
    }
    float[] b = new float[f.length];
    TensorValue old = conv.input(2).isNone() ? null : g.fact(conv.input(2)).value();
    for (int o = 0; o < f.length; o++) {
      b[o] = (old == null ? 0f : old.floatAt(o)) * f[o] + shift[o];
    }
    Patch p = new Patch(g, "fold '" + bn.name() + "' into Conv '" + conv.name() + "'");
    Outlet nw = p.constant(conv.name() + "/folded_weights", TensorValue.ofFloats(w.shape(), wv));
    Outlet nb = p.constant(conv.name() + "/folded_bias", TensorValue.ofFloats(new int[] {f.length}, b));
    p.shunt(bn.out(0), p.add(conv.name(), conv.op(), conv.input(0), nw, nb));
    return p;
  }

  private static Patch foldGemm(Graph g, Node bn, Node gemm, float[] f, float[] shift) {
    Attributes a = gemm.op().attrs();
    float beta = a.f("beta", 1f);
    boolean tb = a.i("transB", 0) != 0;
    TensorValue w = g.fact(gemm.input(1)).value();
    int[] s = w.shape();
    float[] wv = w.floats().clone();
    for (int r = 0; r < s[0]; r++) {
      for (int col = 0; col < s[1]; col++) {
        wv[r * s[1] + col] *= f[tb ? r : col];
      }
    }
    TensorValue old = gemm.input(2).isNone() ? null : g.fact(gemm.input(2)).value();
    float[] c = new float[f.length];
    for (int n = 0; n < f.length; n++) {
      float cv = old == null ? 0f : beta * old.floatAt(old.count() == 1 ? 0 : n);
      c[n] = cv * f[n] + shift[n];
    }
    Patch p = new Patch(g, "fold '" + bn.name() + "' into Gemm '" + gemm.name() + "'");
    Outlet nw = p.constant(gemm.name() + "/folded_weights", TensorValue.ofFloats(s, wv));
    Outlet nc = p.constant(gemm.name() + "/folded_bias", TensorValue.ofFloats(new int[] {f.length}, c));
    p.shunt(bn.out(0), p.add(gemm.name(), gemm.op().withAttrs(a.toBuilder().set("beta", 1f).build()),
        gemm.input(0), nw, nc));
    return p;
  }
}
