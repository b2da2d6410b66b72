package dev.topiary.converter.prune;

import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.ShapeRules;
import dev.topiary.converter.ir.TensorValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
 * sensitivity (see {@link #allocate}): layers whose reconstruction error grows faster keep more
 * weights.
 *
 * <p>Layers the method does not cover are pruned by magnitude with the same count and say why:
 * grouped/depthwise Conv2D, weight tensors read by several layers, MatMul with a B that is not
 * rank 2, layers deeper than {@value #MAX_DEPTH} (H would be too large) and layers whose per-row
 * solves would cost more than {@link #MAX_WORK} multiply-adds.
 */
public final class Reconstruction {
  /** Layers with more weights per output (k·k·C) than this fall back to magnitude pruning. */
  public static final int MAX_DEPTH = 4096;
  /** Calibration rows used per layer at most. */
  public static final int MAX_ROWS = 8192;
  /** Layers whose per-row solves would take more multiply-adds than this fall back to magnitude pruning. */
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
        Rows rows = Rows.of(g, n);
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
          boolean biasFree = !bias.isNone() && IrOps.isConst(g.node(bias.node()).op()) && g.useCount(bias) == 1
              && g.fact(bias).dtype() == DType.FLOAT32;
          float[] b0 = bias.isNone() ? new float[rows.outputs] : g.fact(bias).value().floats();
          double[][] wt = rows.matrix(v.floats(), b0);
          Stats s = new Stats(rows.depth + 1);
          if (changed) {
            try (Activations pruned = new Activations(g, List.of(n.input(0)), calibration)) {
              collect(rows, dense, inputs.indexOf(p.node().input(0)), pruned, 0, s);
            }
          } else {
            int k = inputs.indexOf(p.node().input(0));
            collect(rows, dense, k, dense, k, s);
          }
          Solution sol = solve(s.h, s.g, wt, p.zeros(), biasFree, DAMPING);
          before = relativeError(s, wt, magnitude(wt, p.zeros()));
          after = relativeError(s, wt, sol.weights);
          w = rows.weights(sol.weights, v.shape());
          if (biasFree) {
            float[] nb = new float[rows.outputs];
            for (int j = 0; j < nb.length; j++) {
              nb[j] = (float) sol.weights[j][rows.depth];
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
  private static String fallback(Graph g, Node n, Rows rows) {
    if (rows.unsupported != null) {
      return rows.unsupported;
    }
    if (g.useCount(n.input(1)) != 1) {
      return "weights shared with another layer";
    }
    if (rows.depth > MAX_DEPTH) {
      return rows.depth + " weights per output (more than " + MAX_DEPTH + ")";
    }
    // Per-row solves cost about outputs·(depth/2)³/3 multiply-adds at 50% sparsity.
    double work = rows.outputs * Math.pow(rows.depth / 2.0, 3) / 3;
    if (work > MAX_WORK) {
      return String.format(java.util.Locale.ROOT, "the per-row solves would take ~%.0f G multiply-adds", work / 1e9);
    }
    return null;
  }

  /**
   * The global scope's sensitivity-aware allocation: the zeros the magnitude plan gives the
   * reconstructable layers are redistributed among them. Each layer is reconstructed on the dense
   * calibration rows at the sparsities {@link #LEVELS} and its squared relative output error
   * measured (on at most {@value #CURVE_ROWS} evenly spaced outputs, taken as 0 when dense); zeros then go greedily to the layer whose next level adds the least error per weight,
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
      if (p.skipped() == null && fallback(g, p.node(), Rows.of(g, p.node())) == null) {
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
        Rows rows = Rows.of(g, n);
        Outlet bias = n.input(2);
        boolean biasFree = !bias.isNone() && IrOps.isConst(g.node(bias.node()).op()) && g.useCount(bias) == 1;
        float[] b0 = bias.isNone() ? new float[rows.outputs] : g.fact(bias).value().floats();
        double[][] wt = rows.matrix(g.fact(n.input(1)).value().floats(), b0);
        Stats s = new Stats(rows.depth + 1);
        collect(rows, dense, c, dense, c, s);
        // The curve is estimated on at most CURVE_ROWS evenly spaced outputs: the solves dominate the cost.
        int stride = (wt.length + CURVE_ROWS - 1) / CURVE_ROWS;
        double[][] sub = new double[(wt.length + stride - 1) / stride][];
        for (int j = 0; j < sub.length; j++) {
          sub[j] = wt[j * stride];
        }
        for (int l = 1; l < LEVELS.length; l++) {
          int k = (int) Math.floor(LEVELS[l] * sub.length * rows.depth);
          double e = relativeError(s, sub, solve(s.h, s.g, sub, k, biasFree, DAMPING).weights());
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

  /** Accumulates H, G and D of {@code rows} over the calibration batches, pruned from {@code p}, dense from {@code d}. */
  private static void collect(Rows rows, Activations d, int dk, Activations p, int pk, Stats s)
      throws ConversionException {
    long total = (long) d.batches() * rows.perBatch;
    double keep = Math.min(1.0, (double) MAX_ROWS / Math.max(1, total));
    double[] xd = new double[rows.depth + 1];
    double[] xp = new double[rows.depth + 1];
    for (int b = 0; b < d.batches(); b++) {
      float[] ad = d.run(b)[dk];
      float[] ap = p == d ? ad : p.run(b)[pk];
      for (int r = 0; r < rows.perBatch; r++) {
        if (keep < 1.0 && pick((long) b * rows.perBatch + r) >= keep) {
          continue;
        }
        rows.row(ad, r, xd);
        rows.row(ap, r, xp);
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

  /**
   * {@code ‖Y − Ŷ‖/‖Y‖} over the collected rows, where {@code Y} is {@code target} (rows of
   * {@code [w, b]}) on the dense inputs and {@code Ŷ} is {@code approx} on the pruned ones:
   * {@code Σ_j v_jᵀHv_j − 2v_jᵀGw_j + w_jᵀDw_j} over {@code Σ_j w_jᵀDw_j}.
   */
  static double relativeError(Stats s, double[][] target, double[][] approx) {
    double err = 0;
    double ref = 0;
    for (int j = 0; j < target.length; j++) {
      double[] w = target[j];
      double[] v = approx[j];
      double[] gw = mul(s.g, w);
      double[] hv = mul(s.h, v);
      double[] dw = mul(s.d, w);
      err += dot(v, hv) - 2 * dot(v, gw) + dot(w, dw);
      ref += dot(w, dw);
    }
    return ref <= 0 ? 0 : Math.sqrt(Math.max(0, err) / ref);
  }

  /** Weights of the reconstructed layer (rows {@code [w, b]}) and the mask of the dropped weights. */
  record Solution(double[][] weights, boolean[][] dropped) {}

  /**
   * The solver, on sums {@code h = Σ p̃p̃ᵀ} and {@code g = Σ p̃d̃ᵀ} of size {@code depth + 1} (last
   * index: the constant 1) and dense rows {@code wt[j] = [w_j, b_j]}: drops {@code k} weights by OBS
   * saliency and solves each row's survivors (and the bias when {@code biasFree}, else keeping
   * {@code b_j}) in least squares, {@code min Σ (v·p̃ − w̃_j·d̃)² + λ‖v − w_j‖²} with
   * {@code λ = damping·mean(diag h)} over the weights: the damping keeps what the data does not
   * determine (an input that is always zero) at its dense value. Dropped weights are exactly 0;
   * with {@code damping = 0} the fit is the plain least-squares optimum.
   */
  static Solution solve(double[][] h, double[][] g, double[][] wt, int k, boolean biasFree, double damping) {
    int n = h.length;
    int depth = n - 1;
    double[][] hd = damped(h, damping);
    double[][] targets = new double[wt.length][];
    for (int j = 0; j < wt.length; j++) {
      targets[j] = mul(g, wt[j]);
      // The damping pulls towards the dense weights: argmin ‖P̃v − D̃w̃‖² + λ‖v − w‖².
      for (int i = 0; i < depth; i++) {
        targets[j][i] += (hd[i][i] - h[i][i]) * wt[j][i];
      }
    }
    int rowsCount = wt.length;
    double[] saliency = saliency(hd, targets);
    Integer[] order = new Integer[saliency.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> saliency[i]).thenComparingInt(i -> i));
    boolean[][] dropped = new boolean[rowsCount][depth];
    for (int i = 0; i < Math.min(k, order.length); i++) {
      dropped[order[i] / depth][order[i] % depth] = true;
    }
    double[][] out = new double[rowsCount][n];
    int[] s = new int[n];
    for (int j = 0; j < rowsCount; j++) {
      int m = 0;
      for (int i = 0; i < depth; i++) {
        if (!dropped[j][i]) {
          s[m++] = i;
        }
      }
      if (biasFree) {
        s[m++] = depth;
      }
      double fixedBias = biasFree ? 0 : wt[j][depth];
      double[][] a = new double[m][m];
      double[] rhs = new double[m];
      for (int x = 0; x < m; x++) {
        for (int y = 0; y < m; y++) {
          a[x][y] = hd[s[x]][s[y]];
        }
        rhs[x] = targets[j][s[x]] - hd[s[x]][depth] * fixedBias;
      }
      double[] sol = m == 0 ? new double[0] : cholSolve(cholesky(a, m), rhs, m);
      for (int x = 0; x < m; x++) {
        out[j][s[x]] = sol[x];
      }
      if (!biasFree) {
        out[j][depth] = fixedBias;
      }
    }
    return new Solution(out, dropped);
  }

  /**
   * {@code h} with {@code damping·mean(diag)} added to the weight positions of its diagonal (all
   * but the last, the constant input); {@code damping} itself when that mean is 0, and 1 for the
   * constant's own entry if it is not positive. The result is positive definite.
   */
  static double[][] damped(double[][] h, double damping) {
    int n = h.length;
    int depth = n - 1;
    double mean = 0;
    for (int i = 0; i < depth; i++) {
      mean += h[i][i];
    }
    mean /= Math.max(1, depth);
    double lambda = mean > 0 ? damping * mean : damping;
    double[][] hd = new double[n][];
    for (int i = 0; i < n; i++) {
      hd[i] = h[i].clone();
      if (i < depth) {
        hd[i][i] += lambda;
      }
    }
    if (hd[depth][depth] <= 0) {
      hd[depth][depth] = 1;
    }
    return hd;
  }

  /**
   * OBS saliency of every weight, row-major {@code [rows][depth]}: {@code w*_jk² / [H⁻¹]_kk} with the
   * unconstrained optimum {@code w*_j = H⁻¹·targets[j]}, i.e. the increase of row {@code j}'s squared
   * output error when weight {@code k} alone is removed and the others re-fitted. {@code hd} must be
   * positive definite ({@link #damped}).
   */
  static double[] saliency(double[][] hd, double[][] targets) {
    int n = hd.length;
    int depth = n - 1;
    double[][] l = cholesky(hd, n);
    // diag(H⁻¹) = column sums of squares of L⁻¹ (H⁻¹ = L⁻ᵀ·L⁻¹); L⁻¹ is lower triangular.
    double[] inverseDiagonal = new double[n];
    double[] col = new double[n];
    for (int c = 0; c < n; c++) {
      Arrays.fill(col, 0, c, 0);
      for (int i = c; i < n; i++) {
        double sum = i == c ? 1 : 0;
        double[] li = l[i];
        for (int k = c; k < i; k++) {
          sum -= li[k] * col[k];
        }
        col[i] = sum / li[i];
        inverseDiagonal[c] += col[i] * col[i];
      }
    }
    double[] saliency = new double[targets.length * depth];
    for (int j = 0; j < targets.length; j++) {
      double[] opt = cholSolve(l, targets[j], n);
      for (int i = 0; i < depth; i++) {
        saliency[j * depth + i] = opt[i] * opt[i] / inverseDiagonal[i];
      }
    }
    return saliency;
  }

  /**
   * The lower Cholesky factor of the symmetric positive definite {@code a} ({@code n × n}); a pivot
   * that rounding drove to zero or below is replaced by a tiny positive one.
   */
  static double[][] cholesky(double[][] a, int n) {
    double[][] l = new double[n][n];
    double scale = 0;
    for (int i = 0; i < n; i++) {
      scale = Math.max(scale, Math.abs(a[i][i]));
    }
    double floor = Math.max(scale, 1e-300) * 1e-12;
    for (int i = 0; i < n; i++) {
      double[] li = l[i];
      for (int j = 0; j <= i; j++) {
        double[] lj = l[j];
        double sum = a[i][j];
        for (int k = 0; k < j; k++) {
          sum -= li[k] * lj[k];
        }
        if (i == j) {
          li[i] = Math.sqrt(Math.max(sum, floor));
        } else {
          li[j] = sum / lj[j];
        }
      }
    }
    return l;
  }

  /** Solves {@code L·Lᵀ·x = b} given the Cholesky factor {@code l}. */
  static double[] cholSolve(double[][] l, double[] b, int n) {
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double sum = b[i];
      double[] li = l[i];
      for (int k = 0; k < i; k++) {
        sum -= li[k] * y[k];
      }
      y[i] = sum / li[i];
    }
    double[] x = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double sum = y[i];
      for (int k = i + 1; k < n; k++) {
        sum -= l[k][i] * x[k];
      }
      x[i] = sum / l[i][i];
    }
    return x;
  }

  private static double[] mul(double[][] a, double[] v) {
    double[] r = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = dot(a[i], v);
    }
    return r;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /** Running sums {@code H = Σ p̃p̃ᵀ}, {@code G = Σ p̃d̃ᵀ}, {@code D = Σ d̃d̃ᵀ} over calibration rows. */
  static final class Stats {
    final double[][] h;
    final double[][] g;
    final double[][] d;
    long rows;

    Stats(int n) {
      h = new double[n][n];
      g = new double[n][n];
      d = new double[n][n];
    }

    /** Adds one row pair: {@code p} from the pruned graph, {@code dd} from the dense one. */
    void add(double[] p, double[] dd) {
      int n = p.length;
      rows++;
      for (int i = 0; i < n; i++) {
        double pi = p[i];
        double di = dd[i];
        double[] hi = h[i];
        double[] gi = g[i];
        double[] ddi = d[i];
        if (pi != 0) {
          for (int j = 0; j < n; j++) {
            hi[j] += pi * p[j];
          }
          for (int j = 0; j < n; j++) {
            gi[j] += pi * dd[j];
          }
        }
        if (di != 0) {
          for (int j = 0; j < n; j++) {
            ddi[j] += di * dd[j];
          }
        }
      }
    }
  }

  /**
   * The rows a linear layer multiplies by its weights: {@code perBatch} rows of {@code depth}
   * values per calibration batch, and the conversion between the stored weight layout and rows
   * {@code [w_j, b_j]} per output {@code j}.
   */
  static final class Rows {
    String unsupported;
    int depth;
    int outputs;
    int perBatch;
    private boolean conv;
    private boolean matmul;
    private int h;
    private int w;
    private int c;
    private int kh;
    private int kw;
    private int oh;
    private int ow;
    private int sh;
    private int sw;
    private int dh;
    private int dw;
    private int top;
    private int left;

    static Rows of(Graph g, Node n) throws ConversionException {
      Rows r = new Rows();
      int[] x = g.fact(n.input(0)).shape();
      int[] ws = g.fact(n.input(1)).shape();
      switch (n.op().type()) {
        case "Conv2D": {
          if (n.op().attrs().i("group", 1) != 1) {
            r.unsupported = "grouped/depthwise Conv2D";
            return r;
          }
          r.conv = true;
          r.h = x[1];
          r.w = x[2];
          r.c = x[3];
          r.outputs = ws[0];
          r.kh = ws[1];
          r.kw = ws[2];
          r.depth = ws[1] * ws[2] * ws[3];
          int[] out = n.fact(0).shape();
          r.oh = out[1];
          r.ow = out[2];
          int[] s = pair(n.op().attrs().ints("strides"));
          int[] d = pair(n.op().attrs().ints("dilations"));
          r.sh = s[0];
          r.sw = s[1];
          r.dh = d[0];
          r.dw = d[1];
          long[] pads = ShapeRules.resolvePads(n.op().attrs().s("padding", "EXPLICIT"), new int[] {x[1], x[2]},
              new int[] {r.kh, r.kw}, s, d, n.op().attrs().ints("pads"));
          r.top = (int) pads[0];
          r.left = (int) pads[1];
          r.perBatch = x[0] * r.oh * r.ow;
          return r;
        }
        case "MatMul":
          if (ws.length != 2) {
            r.unsupported = "MatMul with B of rank " + ws.length;
            return r;
          }
          r.matmul = true;
          r.depth = ws[0];
          r.outputs = ws[1];
          break;
        default:
          r.depth = ws[1];
          r.outputs = ws[0];
          break;
      }
      long count = 1;
      for (int d : x) {
        count *= d;
      }
      r.perBatch = (int) (count / Math.max(1, r.depth));
      return r;
    }

    private static int[] pair(long[] v) {
      return v == null ? new int[] {1, 1} : new int[] {(int) v[0], (int) v[1]};
    }

    /** Writes row {@code r} of activation {@code a} into {@code out[0..depth)} and 1 into {@code out[depth]}. */
    void row(float[] a, int r, double[] out) {
      if (!conv) {
        int base = r * depth;
        for (int i = 0; i < depth; i++) {
          out[i] = a[base + i];
        }
      } else {
        int n = r / (oh * ow);
        int y = r / ow % oh;
        int x = r % ow;
        int k = 0;
        for (int i = 0; i < kh; i++) {
          int ih = y * sh - top + i * dh;
          for (int j = 0; j < kw; j++) {
            int iw = x * sw - left + j * dw;
            boolean inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
            int base = ((n * h + ih) * w + iw) * c;
            for (int ci = 0; ci < c; ci++) {
              out[k++] = inside ? a[base + ci] : 0;
            }
          }
        }
      }
      out[depth] = 1;
    }

    /** Rows {@code [w_j, b_j]} of the stored weights {@code v} and bias {@code b}. */
    double[][] matrix(float[] v, float[] b) {
      double[][] m = new double[outputs][depth + 1];
      for (int j = 0; j < outputs; j++) {
        for (int i = 0; i < depth; i++) {
          m[j][i] = matmul ? v[i * outputs + j] : v[j * depth + i];
        }
        m[j][depth] = b[j];
      }
      return m;
    }

    /** The stored weight layout of rows {@code m}, zeros as +0. */
    float[] weights(double[][] m, int[] shape) {
      float[] v = new float[outputs * depth];
      for (int j = 0; j < outputs; j++) {
        for (int i = 0; i < depth; i++) {
          float f = (float) m[j][i];
          v[matmul ? i * outputs + j : j * depth + i] = f == 0f ? 0f : f;
        }
      }
      return v;
    }
  }
}
