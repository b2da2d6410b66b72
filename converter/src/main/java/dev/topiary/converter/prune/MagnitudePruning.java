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
   * How many weights one weight tensor loses: {@code zeros} of its {@code count} (weights already
   * zero included), or, when {@code skipped} is not null, why it stays dense. {@code weights} is the
   * constant's node id, {@code node} the (first) layer reading it.
   */
  record Planned(int weights, Node node, int count, int zeros, String skipped) {}

  /**
   * The allocation of zeros over the weight tensors of Conv2D, FullyConnected and MatMul (constant
   * FLOAT32 B) of {@code g}, in graph order, as the class javadoc describes: per layer in proportion
   * to size, or (with {@code global}) the number of each layer's weights under one magnitude
   * threshold, ties going in element order. Does not change {@code g}.
   */
  static List<Planned> plan(Graph g, double sparsity, boolean global, boolean all) {
    Map<Integer, Node> candidates = new LinkedHashMap<>();
    for (int id : g.order()) {
      Node n = g.node(id);
      if (n.op().dialect() != Dialect.RUNTIME) {
        continue;
      }
      String t = n.op().type();
      if (t.equals("Conv2D") || t.equals("FullyConnected") || t.equals("MatMul")) {
        Outlet w = n.input(1);
        if (!w.isNone()) {
          Fact f = g.fact(w);
          if (IrOps.isConst(g.node(w.node()).op()) && f.dtype() == DType.FLOAT32) {
            candidates.putIfAbsent(w.node(), n);
          }
        }
      }
    }
    List<Planned> out = new ArrayList<>();
    long totalAll = 0;
    long eligible = 0;
    for (Map.Entry<Integer, Node> e : candidates.entrySet()) {
      TensorValue v = g.node(e.getKey()).fact(0).value();
      totalAll += v.count();
      String why = all ? null : fragile(e.getValue(), v);
      eligible += why == null ? v.count() : 0;
      out.add(new Planned(e.getKey(), e.getValue(), v.count(), why == null ? 0 : zeros(v.floats()), why));
    }
    if (eligible == 0) {
      return out;
    }
    // Zeros wanted over all candidate weights, taken from the eligible ones only.
    long target = Math.min((long) Math.floor(sparsity * totalAll),
        all ? Long.MAX_VALUE : (long) Math.floor(MAX_LAYER_SPARSITY * eligible));
    float threshold = Float.NaN;
    long ties = 0;
    if (global) {
      float[] flat = new float[(int) Math.min(eligible, Integer.MAX_VALUE - 8)];
      int k = 0;
      for (Planned p : out) {
        TensorValue v = g.node(p.weights()).fact(0).value();
        for (int i = 0; p.skipped() == null && i < v.count() && k < flat.length; i++) {
          flat[k++] = Math.abs(v.floatAt(i));
        }
      }
      long budget = all ? (long) Math.floor(sparsity * flat.length) : Math.min(target, flat.length);
      Arrays.sort(flat);
      threshold = budget == 0 ? Float.NEGATIVE_INFINITY : flat[(int) budget - 1];
      // Everything strictly below the threshold goes; ties at it go in order until the budget is spent.
      ties = budget;
      for (float a : flat) {
        if (a < threshold) {
          ties--;
        }
      }
    }
    for (int i = 0; i < out.size(); i++) {
      Planned p = out.get(i);
      if (p.skipped() != null) {
        continue;
      }
      int n = p.count();
      int k;
      if (global) {
        TensorValue v = g.node(p.weights()).fact(0).value();
        k = 0;
        for (int j = 0; j < n; j++) {
          float a = Math.abs(v.floatAt(j));
          if (a < threshold) {
            k++;
          } else if (a == threshold && ties > 0) {
            k++;
            ties--;
          }
        }
      } else {
        k = all ? (int) Math.floor(sparsity * n)
            : (int) Math.min(Math.floor((double) target * n / eligible), Math.floor(MAX_LAYER_SPARSITY * n));
      }
      out.set(i, new Planned(p.weights(), p.node(), n, k, null));
    }
    return out;
  }

  /**
   * Prunes {@code g} in place and returns one entry per weight tensor (skipped ones included). With
   * {@code all} fragile layers are pruned too. With {@code means} (from {@link BiasCorrection#means}
   * on the unpruned graph) each Conv2D and FullyConnected with a private bias adds the mean
   * contribution of its pruned weights to the bias.
   */
  public static List<Layer> apply(Graph g, double sparsity, boolean global, boolean all, Map<Outlet, float[]> means)
      throws ConversionException {
    List<Layer> out = new ArrayList<>();
    Patch p = new Patch(g, "magnitude pruning to " + sparsity);
    for (Planned e : plan(g, sparsity, global, all)) {
      Node c = g.node(e.weights());
      TensorValue v = c.fact(0).value();
      if (e.skipped() != null) {
        out.add(new Layer(e.node().name(), c.outputName(0), v.count(), e.zeros(), e.zeros(), e.skipped()));
        continue;
      }
      float[] w = v.floats().clone();
      int zerosBefore = zeros(w);
      boolean[] drop = smallest(w, e.zeros());
      for (int i = 0; i < w.length; i++) {
        if (drop[i] || w[i] == 0f) {
          w[i] = 0f; // store +0: -0.0 would count as a non-zero in the bitmap
        }
      }
      p.setOp(c.id(), IrOps.constant(TensorValue.ofFloats(DType.FLOAT32, v.shape(), w)));
      correctBias(g, e.node(), v, w, means, p);
      out.add(new Layer(e.node().name(), c.outputName(0), w.length, zerosBefore, zeros(w), null));
    }
    p.apply();
    return out;
  }

  /**
   * The {@code k} entries of {@code w} with the smallest magnitude, ties broken by index (lower
   * first); -0 and +0 tie.
   */
  static boolean[] smallest(float[] w, int k) {
    Integer[] idx = new Integer[w.length];
    for (int i = 0; i < w.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> {
      int cmp = Float.compare(Math.abs(w[a]), Math.abs(w[b]));
      return cmp != 0 ? cmp : Integer.compare(a, b);
    });
    boolean[] drop = new boolean[w.length];
    for (int i = 0; i < k; i++) {
      drop[idx[i]] = true;
    }
    return drop;
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

  static int zeros(float[] w) {
    int z = 0;
    for (float x : w) {
      z += x == 0f ? 1 : 0;
    }
    return z;
  }
}
