package dev.topiary.converter.prune;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.TensorValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Unstructured magnitude pruning: sets the smallest-magnitude weights of Conv2D, FullyConnected and
 * MatMul (constant B) to zero, per layer or with a global scope one threshold over all of them
 * (layers then end up with different sparsities). Ties are broken by element order. Weights that are
 * already zero count.
 *
 * <p>Unless {@code all} is set, fragile layers are kept dense: grouped and depthwise Conv2D, layers
 * with at most {@value #MAX_FRAGILE_PER_OUTPUT} weights per output channel (a 3×3 stem conv on one
 * input channel) and layers with fewer than {@value #MIN_WEIGHTS} weights. The other layers then take
 * their share: {@code floor(sparsity·T)} of the T weights of all those ops are zeroed in the prunable
 * ones (per layer in proportion to their size, or under one threshold), each layer at most
 * {@value #MAX_LAYER_SPARSITY} sparse, so the requested sparsity holds over all the weights when
 * feasible. With {@code all}, every layer loses {@code floor(sparsity·count)} (per layer) or the
 * threshold covers all of them.
 */
public final class MagnitudePruning {
  /** Layers with at most this many weights per output channel are kept dense by default. */
  public static final int MAX_FRAGILE_PER_OUTPUT = 9;
  /** Layers with fewer weights than this are kept dense by default. */
  public static final int MIN_WEIGHTS = 1000;
  /** The highest sparsity one layer is given when it takes the share of the skipped ones. */
  public static final double MAX_LAYER_SPARSITY = 0.95;

  /**
   * What one weight tensor became; {@code skipped} is null when it was pruned, else why it was kept
   * dense.
   */
  public record Layer(String node, String weights, int count, int zerosBefore, int zerosAfter, String skipped) {}

  private MagnitudePruning() {}

  /** Prunes {@code g} in place, keeping fragile layers dense, and returns one entry per weight tensor. */
  public static List<Layer> apply(Graph g, double sparsity, boolean global) throws ConversionException {
    return apply(g, sparsity, global, false, null);
  }

  /** Why the layer {@code n} with weights {@code v} is kept dense by default, or null. */
  static String fragile(Node n, TensorValue v) {
    String t = n.op().type();
    if (t.equals("Conv2D") && n.op().attrs().i("group", 1) != 1) {
      return "grouped/depthwise Conv2D";
    }
    int[] s = v.shape();
    int outputs = s.length == 0 ? 1 : t.equals("MatMul") ? s[s.length - 1] : s[0];
    int per = v.count() / Math.max(1, outputs);
    if (per <= MAX_FRAGILE_PER_OUTPUT) {
      return per + " weights per output channel";
    }
    if (v.count() < MIN_WEIGHTS) {
      return v.count() + " weights";
    }
    return null;
  }

  /**
   * Prunes {@code g} in place and returns one entry per weight tensor (skipped ones included). With
   * {@code all} fragile layers are pruned too. With {@code means} (from {@link BiasCorrection#means}
   * on the unpruned graph) each Conv2D and FullyConnected with a private bias adds the mean
   * contribution of its pruned weights to the bias.
   */
  public static List<Layer> apply(Graph g, double sparsity, boolean global, boolean all, Map<Outlet, float[]> means)
      throws ConversionException {
    Map<Integer, Node> candidates = new LinkedHashMap<>();
    for (int id : g.order()) {
      Node n = g.node(id);
      if (n.op().dialect() != Dialect.RUNTIME) {
        continue;
      }
      String t = n.op().type();
      if (t.equals("Conv2D") || t.equals("FullyConnected") || t.equals("MatMul")) {
        Outlet w = n.input(1);
        Fact f = g.fact(w);
        if (!w.isNone() && IrOps.isConst(g.node(w.node()).op()) && f.dtype() == DType.FLOAT32) {
          candidates.putIfAbsent(w.node(), n);
        }
      }
    }
    List<Layer> out = new ArrayList<>();
    Map<Integer, Node> weights = new LinkedHashMap<>();
    long totalAll = 0;
    long eligible = 0;
    for (Map.Entry<Integer, Node> e : candidates.entrySet()) {
      Node c = g.node(e.getKey());
      TensorValue v = c.fact(0).value();
      totalAll += v.count();
      String why = all ? null : fragile(e.getValue(), v);
      if (why == null) {
        weights.put(e.getKey(), e.getValue());
        eligible += v.count();
      } else {
        int z = zeros(v.floats());
        out.add(new Layer(e.getValue().name(), c.outputName(0), v.count(), z, z, why));
      }
    }
    if (weights.isEmpty()) {
      return out;
    }
    // Zeros wanted over all candidate weights, taken from the eligible ones only.
    long target = Math.min((long) Math.floor(sparsity * totalAll),
        all ? Long.MAX_VALUE : (long) Math.floor(MAX_LAYER_SPARSITY * eligible));
    float threshold = Float.NaN;
    long globalBudget = 0;
    if (global) {
      float[] flat = new float[(int) Math.min(eligible, Integer.MAX_VALUE - 8)];
      int k = 0;
      for (int c : weights.keySet()) {
        TensorValue v = g.node(c).fact(0).value();
        for (int i = 0; i < v.count() && k < flat.length; i++) {
          flat[k++] = Math.abs(v.floatAt(i));
        }
      }
      globalBudget = all ? (long) Math.floor(sparsity * flat.length) : Math.min(target, flat.length);
      Arrays.sort(flat);
      threshold = globalBudget == 0 ? Float.NEGATIVE_INFINITY : flat[(int) globalBudget - 1];
      // Everything strictly below the threshold goes; ties at it go in order until the budget is spent.
      for (float a : flat) {
        if (a < threshold) {
          globalBudget--;
        }
      }
    }
    Patch p = new Patch(g, "magnitude pruning to " + sparsity);
    for (Map.Entry<Integer, Node> e : weights.entrySet()) {
      Node c = g.node(e.getKey());
      TensorValue v = c.fact(0).value();
      float[] w = v.floats().clone();
      int n = w.length;
      int zerosBefore = zeros(w);
      if (global) {
        for (int i = 0; i < n; i++) {
          float a = Math.abs(w[i]);
          if (a < threshold) {
            w[i] = 0f;
          } else if (a == threshold && globalBudget > 0) {
            w[i] = 0f;
            globalBudget--;
          }
        }
      } else {
        int k = all ? (int) Math.floor(sparsity * n)
            : (int) Math.min(Math.floor((double) target * n / eligible), Math.floor(MAX_LAYER_SPARSITY * n));
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
          idx[i] = i;
        }
        float[] src = w.clone();
        Arrays.sort(idx, (a, b) -> {
          int cmp = Float.compare(Math.abs(src[a]), Math.abs(src[b]));
          return cmp != 0 ? cmp : Integer.compare(a, b);
        });
        for (int i = 0; i < k; i++) {
          w[idx[i]] = 0f;
        }
      }
      for (int i = 0; i < n; i++) {
        if (w[i] == 0f) {
          w[i] = 0f; // store +0: -0.0 would count as a non-zero in the bitmap
        }
      }
      p.setOp(c.id(), IrOps.constant(TensorValue.ofFloats(DType.FLOAT32, v.shape(), w)));
      correctBias(g, e.getValue(), v, w, means, p);
      out.add(new Layer(e.getValue().name(), c.outputName(0), n, zerosBefore, zeros(w), null));
    }
    p.apply();
    return out;
  }

  /** Adds {@code Σ_k E[x_k]·(w − pruned)[j,k]} to the bias of {@code n} when it has a private one. */
  private static void correctBias(Graph g, Node n, TensorValue before, float[] after, Map<Outlet, float[]> means,
      Patch p) {
    float[] m = means == null ? null : means.get(n.input(0));
    Outlet b = n.input(2);
    int[] xs = g.fact(n.input(0)).shape();
    if (m == null || m.length != xs[xs.length - 1] || n.op().type().equals("MatMul") || b.isNone() || !IrOps.isConst(g.node(b.node()).op())
        || g.useCount(b) != 1 || g.useCount(n.input(1)) != 1) {
      return;
    }
    int[] s = before.shape();
    int rows = s[0];
    int depth = s[s.length - 1];
    int taps = before.count() / rows / depth;
    int groupOut = rows / Math.max(1, m.length / depth);
    float[] bias = g.fact(b).value().floats().clone();
    for (int j = 0; j < rows; j++) {
      int base = n.op().type().equals("Conv2D") ? j / groupOut * depth : 0;
      double d = 0;
      for (int t = 0; t < taps; t++) {
        for (int k = 0; k < depth; k++) {
          int i = (j * taps + t) * depth + k;
          d += (double) m[base + k] * (before.floatAt(i) - after[i]);
        }
      }
      bias[j] += (float) d;
    }
    p.setOp(b.node(), IrOps.constant(TensorValue.ofFloats(DType.FLOAT32, g.fact(b).shape(), bias)));
  }

  private static int zeros(float[] w) {
    int z = 0;
    for (float x : w) {
      z += x == 0f ? 1 : 0;
    }
    return z;
  }
}
