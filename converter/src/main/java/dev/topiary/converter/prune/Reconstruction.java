package dev.topiary.converter.prune;

import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.TensorValue;
import java.util.ArrayList;
import java.util.List;

/**
 * Unstructured pruning with layer-wise reconstruction on calibration data, in the spirit of Optimal
 * Brain Surgeon / OBC / SparseGPT, without any training loop.
 *
 * <p>The number of zeros per weight tensor is {@link MagnitudePruning}'s allocation (fragile layers
 * dense, the others taking their share, per layer or under one global threshold). The layers are
 * then pruned one after the other in graph order. For a layer computing {@code y = W·x + b} on rows
 * {@code x} (FullyConnected and MatMul rows, or the im2col patches {@code [kh, kw, c]} of an
 * ungrouped Conv2D), with {@code x̃ = [x, 1]}:
 *
 * <ol>
 *   <li>Calibration rows are collected twice at the same positions: {@code p} from the graph as
 *       pruned so far (upstream layers already sparse) and {@code d} from the dense graph; at most
 *       {@value #MAX_ROWS} rows, picked by a fixed hash of their index. Sums
 *       {@code H = Σ p̃p̃ᵀ}, {@code G = Σ p̃d̃ᵀ} and {@code D = Σ d̃d̃ᵀ} are kept in double.
 *   <li>Each output row {@code j} should reproduce the dense output {@code w̃_j·d̃} from the pruned
 *       input: minimise {@code Σ (v·p̃ − w̃_j·d̃)²}. With {@code H_λ = H + λ·mean(diag H)·I} on the
 *       weight positions ({@code λ =} {@value #DAMPING}; the term {@code λ‖v − w_j‖²} makes the
 *       problem well posed when inputs are constant or collinear, keeping such weights at their
 *       dense values) the unconstrained optimum is {@code w*_j = H_λ⁻¹·(G·w̃_j + λ·w_j)}.
 *   <li>Weights are dropped by the OBS saliency {@code w*_jk² / [H_λ⁻¹]_kk}, smallest first over the
 *       whole layer (ties by element order) until the planned count is reached: exactly that many
 *       weights are zero.
 *   <li>For each row the surviving weights {@code S} (and the bias when the layer has a private
 *       constant bias) are solved in closed form: {@code v_S = (H_λ)_SS⁻¹ (G·w̃_j + λ·w_j)_S} by Cholesky,
 *       an exact least-squares fit that also corrects the bias (mean residual). A bias that cannot
 *       change stays as it is and is moved to the right-hand side.
 * </ol>
 *
 * With the global scope the planned zeros are first redistributed among the reconstructed layers by
 * sensitivity: each layer is reconstructed on the dense calibration rows at sparsities 0.1 … 1.0
 * and zeros go greedily to the layer whose squared relative output error grows least per weight
 * zeroed, so layers whose error grows faster keep more weights.
 *
 * <p>Layers the method does not cover are pruned by magnitude with the same count and say why:
 * grouped/depthwise Conv2D, weight tensors read by several layers, MatMul with a B that is not
 * rank 2, layers deeper than {@value #MAX_DEPTH} (H would be too large) and layers whose sums and
 * per-row solves would cost more than {@link #MAX_WORK} multiply-adds (in practice more than about
 * 1,100 weights per output).
 */
public final class Reconstruction {
  /** Layers with more weights per output (k·k·C) than this fall back to magnitude pruning. */
  public static final int MAX_DEPTH = 4096;
  /** Calibration rows used per layer at most. */
  public static final int MAX_ROWS = 8192;
  /** Layers whose sums and per-row solves would take more multiply-adds than this fall back to magnitude pruning. */
  public static final double MAX_WORK = 4e10;
  /** Sparsities at which the global scope measures each layer's reconstruction error. */
  private static final double[] LEVELS = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0};
  /** Output rows the global scope's error curves are measured on, at most, per layer. */
  private static final int CURVE_ROWS = 16;
  /** Damping added to H's diagonal, as a fraction of its mean. */
  public static final double DAMPING = 0.01;

  /**
   * What one weight tensor became. {@code skipped} is null when it was pruned, else why it was kept
   * dense; {@code fallback} is null when it was reconstructed, else why it was pruned by magnitude.
   * {@code errorMagnitude} and {@code errorReconstructed} are the relative output errors
   * {@code ‖Y − Ŷ‖/‖Y‖} on the calibration rows of magnitude pruning (same count) and of the
   * reconstruction (NaN for skipped and fallback layers).
   */
  public record Layer(String node, String weights, int count, int zerosBefore, int zerosAfter, String skipped,
      String fallback, double errorMagnitude, double errorReconstructed) {}

  private Reconstruction() {}

  /**
   * Prunes {@code g} in place to {@code sparsity} (as {@link MagnitudePruning#apply}: per layer or
   * global, {@code all} to include fragile layers) reconstructing each layer on {@code calibration},
   * a FLOAT32 tensor for the graph's single input walked along its first dimension in batches of the
   * model's batch size. Returns one entry per weight tensor, in graph order.
   *
   * @throws ConversionException if the model does not have one FLOAT32 input or the data does not fit it
   */
  public static List<Layer> apply(Graph g, double sparsity, boolean global, boolean all, Tensor calibration)
      throws ConversionException {
    List<MagnitudePruning.Planned> plan = MagnitudePruning.plan(g, sparsity, global, all);
    if (global) {
      plan = allocate(g, plan, all, calibration);
    }
    List<Layer> out = new ArrayList<>();
    List<Outlet> inputs = new ArrayList<>();
    for (MagnitudePruning.Planned p : plan) {
      if (p.skipped() == null) {
        inputs.add(p.node().input(0));
      }
    }
    if (inputs.isEmpty()) {
      for (MagnitudePruning.Planned p : plan) {
        out.add(new Layer(p.node().name(), g.node(p.weights()).outputName(0), p.count(), p.zeros(), p.zeros(),
            p.skipped(), null, Double.NaN, Double.NaN));
      }
      return out;
    }
    boolean changed = false;
    try (Activations dense = new Activations(g, inputs, calibration)) {
      for (MagnitudePruning.Planned p : plan) {
        Node c = g.node(p.weights());
        Node n = g.node(p.node().id());
        TensorValue v = c.fact(0).value();
        if (p.skipped() != null) {
          out.add(new Layer(n.name(), c.outputName(0), p.count(), p.zeros(), p.zeros(), p.skipped(), null,
              Double.NaN, Double.NaN));
          continue;
        }
        int zerosBefore = MagnitudePruning.zeros(v.floats());
        LayerRows rows = LayerRows.of(g, n);
        String why = fallback(g, n, rows);
        Patch patch = new Patch(g, "reconstruction pruning of '" + n.name() + "'");
        float[] w;
        double before = Double.NaN;
        double after = Double.NaN;
        if (why != null) {
          w = v.floats().clone();
          boolean[] drop = MagnitudePruning.smallest(w, p.zeros());
          for (int i = 0; i < w.length; i++) {
            w[i] = drop[i] || w[i] == 0f ? 0f : w[i];
          }
        } else {
          Outlet bias = n.input(2);
          boolean biasFree = !bias.isNone() && g.useCount(bias) == 1;
          float[] b0 = bias.isNone() ? new float[rows.outputs] : g.fact(bias).value().floats();
          double[][] wt = rows.matrix(v.floats(), b0);
          ObsSolver.Stats s = new ObsSolver.Stats(rows.depth + 1);
          if (changed) {
            try (Activations pruned = new Activations(g, List.of(n.input(0)), calibration)) {
              collect(rows, dense, inputs.indexOf(p.node().input(0)), pruned, 0, s);
            }
          } else {
            int k = inputs.indexOf(p.node().input(0));
            collect(rows, dense, k, dense, k, s);
          }
          ObsSolver.Solution sol = ObsSolver.solve(s.h, s.g, wt, p.zeros(), biasFree, DAMPING);
          before = ObsSolver.relativeError(s, wt, magnitude(wt, p.zeros()));
          after = ObsSolver.relativeError(s, wt, sol.weights());
          w = rows.weights(sol.weights(), v.shape());
          if (biasFree) {
            float[] nb = new float[rows.outputs];
            for (int j = 0; j < nb.length; j++) {
              nb[j] = (float) sol.weights()[j][rows.depth];
            }
            patch.setOp(bias.node(), IrOps.constant(TensorValue.ofFloats(DType.FLOAT32, g.fact(bias).shape(), nb)));
          }
        }
        patch.setOp(c.id(), IrOps.constant(TensorValue.ofFloats(DType.FLOAT32, v.shape(), w)));
        patch.apply();
        changed = true;
        out.add(new Layer(n.name(), c.outputName(0), w.length, zerosBefore, MagnitudePruning.zeros(w), null, why,
            before, after));
      }
    }
    return out;
  }

  /** Why layer {@code n} is pruned by magnitude instead of reconstructed, or null. */
  static String fallback(Graph g, Node n, LayerRows rows) {
    if (rows.unsupported != null) {
      return rows.unsupported;
    }
    if (g.useCount(n.input(1)) != 1) {
      return "weights shared with another layer";
    }
    Outlet bias = n.input(2);
    if (!bias.isNone() && (!IrOps.isConst(g.node(bias.node()).op()) || g.fact(bias).dtype() != DType.FLOAT32)) {
      return "bias not a FLOAT32 constant";
    }
    if (rows.depth > MAX_DEPTH) {
      return rows.depth + " weights per output (more than " + MAX_DEPTH + ")";
    }
    // Summing H, G and D over the rows costs 3·rows·depth² multiply-adds; the per-row solves about
    // outputs·(depth/2)³/3 at 50% sparsity.
    double work = 3.0 * MAX_ROWS * rows.depth * rows.depth + rows.outputs * Math.pow(rows.depth / 2.0, 3) / 3;
    if (work > MAX_WORK) {
      return String.format(java.util.Locale.ROOT, "reconstruction would take ~%.0f G multiply-adds", work / 1e9);
    }
    return null;
  }

  /**
   * The global scope's sensitivity-aware allocation: the zeros the magnitude plan gives the
   * reconstructable layers are redistributed among them. Each layer is reconstructed on the dense
   * calibration rows at the sparsities {@link #LEVELS} and its squared relative output error
   * measured (on at most {@value #CURVE_ROWS} evenly spaced outputs, taken as 0 when dense); zeros
   * then go greedily to the layer whose next level adds the least error per weight,
   * up to {@value MagnitudePruning#MAX_LAYER_SPARSITY} per layer unless {@code all}, until the
   * budget is spent. Layers that fall back to magnitude keep their planned count, so the total is
   * the plan's.
   */
  private static List<MagnitudePruning.Planned> allocate(Graph g, List<MagnitudePruning.Planned> plan, boolean all,
      Tensor calibration) throws ConversionException {
    List<Integer> chosen = new ArrayList<>();
    List<Outlet> inputs = new ArrayList<>();
    long budget = 0;
    for (int i = 0; i < plan.size(); i++) {
      MagnitudePruning.Planned p = plan.get(i);
      if (p.skipped() == null && fallback(g, p.node(), LayerRows.of(g, p.node())) == null) {
        chosen.add(i);
        inputs.add(p.node().input(0));
        budget += p.zeros();
      }
    }
    if (chosen.size() < 2) {
      return plan;
    }
    // errors[c][l]: squared relative output error of layer c reconstructed at LEVELS[l] (dense inputs).
    double[][] errors = new double[chosen.size()][LEVELS.length];
    try (Activations dense = new Activations(g, inputs, calibration)) {
      for (int c = 0; c < chosen.size(); c++) {
        MagnitudePruning.Planned p = plan.get(chosen.get(c));
        Node n = p.node();
        LayerRows rows = LayerRows.of(g, n);
        Outlet bias = n.input(2);
        boolean biasFree = !bias.isNone() && g.useCount(bias) == 1;
        float[] b0 = bias.isNone() ? new float[rows.outputs] : g.fact(bias).value().floats();
        double[][] wt = rows.matrix(g.fact(n.input(1)).value().floats(), b0);
        ObsSolver.Stats s = new ObsSolver.Stats(rows.depth + 1);
        collect(rows, dense, c, dense, c, s);
        // The curve is estimated on at most CURVE_ROWS evenly spaced outputs: the solves dominate the cost.
        int stride = (wt.length + CURVE_ROWS - 1) / CURVE_ROWS;
        double[][] sub = new double[(wt.length + stride - 1) / stride][];
        for (int j = 0; j < sub.length; j++) {
          sub[j] = wt[j * stride];
        }
        for (int l = 1; l < LEVELS.length; l++) {
          int k = (int) Math.floor(LEVELS[l] * sub.length * rows.depth);
          double e = ObsSolver.relativeError(s, sub, ObsSolver.solve(s.h, s.g, sub, k, biasFree, DAMPING).weights());
          errors[c][l] = e * e;
        }
      }
    }
    // Greedy: the step to a layer's next level with the least error added per weight zeroed, until
    // the budget is spent; the last step stops part-way, at the budget.
    int[] level = new int[chosen.size()];
    int[] zeros = new int[chosen.size()];
    while (budget > 0) {
      int best = -1;
      double bestCost = Double.POSITIVE_INFINITY;
      for (int c = 0; c < level.length; c++) {
        int count = plan.get(chosen.get(c)).count();
        if (level[c] + 1 >= LEVELS.length
            || (!all && LEVELS[level[c] + 1] > MagnitudePruning.MAX_LAYER_SPARSITY + 1e-9)) {
          continue;
        }
        int step = (int) Math.floor(LEVELS[level[c] + 1] * count) - zeros[c];
        double cost = (errors[c][level[c] + 1] - errors[c][level[c]]) / Math.max(1, step);
        if (cost < bestCost) {
          bestCost = cost;
          best = c;
        }
      }
      if (best < 0) {
        break;
      }
      level[best]++;
      int next = (int) Math.floor(LEVELS[level[best]] * plan.get(chosen.get(best)).count());
      int take = (int) Math.min(budget, next - zeros[best]);
      zeros[best] += take;
      budget -= take;
    }
    List<MagnitudePruning.Planned> out = new ArrayList<>(plan);
    for (int c = 0; c < chosen.size(); c++) {
      MagnitudePruning.Planned p = plan.get(chosen.get(c));
      out.set(chosen.get(c), new MagnitudePruning.Planned(p.weights(), p.node(), p.count(), zeros[c], null));
    }
    return out;
  }

  /**
   * Adds to {@code s} the sampled rows of every calibration batch: pruned-graph rows from output
   * {@code pk} of {@code p}, dense rows from output {@code dk} of {@code d}.
   */
  private static void collect(LayerRows rows, Activations d, int dk, Activations p, int pk, ObsSolver.Stats s)
      throws ConversionException {
    collect(rows, d, dk, rows, p, pk, s);
  }

  /**
   * As {@link #collect(LayerRows, Activations, int, Activations, int, ObsSolver.Stats)} with the
   * dense rows cut by {@code dense} and the pruned ones by {@code pruned} (same positions per batch,
   * different depths when channel pruning removed inputs).
   */
  static void collect(LayerRows dense, Activations d, int dk, LayerRows pruned, Activations p, int pk,
      ObsSolver.Stats s) throws ConversionException {
    if (dense.perBatch != pruned.perBatch) {
      throw new IllegalStateException("dense and pruned rows differ: " + dense.perBatch + " vs " + pruned.perBatch);
    }
    long total = (long) d.batches() * dense.perBatch;
    double keep = Math.min(1.0, (double) MAX_ROWS / Math.max(1, total));
    double[] xd = new double[dense.depth + 1];
    double[] xp = new double[pruned.depth + 1];
    for (int b = 0; b < d.batches(); b++) {
      float[] ad = d.run(b)[dk];
      float[] ap = p == d ? ad : p.run(b)[pk];
      for (int r = 0; r < dense.perBatch; r++) {
        if (keep < 1.0 && pick((long) b * dense.perBatch + r) >= keep) {
          continue;
        }
        dense.row(ad, r, xd);
        pruned.row(ap, r, xp);
        s.add(xp, xd);
      }
    }
  }

  /** A fixed pseudo-random number in [0, 1) for row {@code i} (the SplitMix64 finaliser). */
  private static double pick(long i) {
    long z = i * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (z >>> 11) * 0x1.0p-53;
  }

  /** {@code wt} with the {@code k} smallest-magnitude weights (not the bias column) set to zero. */
  private static double[][] magnitude(double[][] wt, int k) {
    int depth = wt[0].length - 1;
    float[] flat = new float[wt.length * depth];
    for (int j = 0; j < wt.length; j++) {
      for (int i = 0; i < depth; i++) {
        flat[j * depth + i] = (float) wt[j][i];
      }
    }
    boolean[] drop = MagnitudePruning.smallest(flat, k);
    double[][] m = new double[wt.length][];
    for (int j = 0; j < wt.length; j++) {
      m[j] = wt[j].clone();
      for (int i = 0; i < depth; i++) {
        m[j][i] = drop[j * depth + i] ? 0 : m[j][i];
      }
    }
    return m;
  }

}
