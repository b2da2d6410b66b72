package dev.topiary.converter.prune;

import dev.topiary.converter.ConversionException;
import java.util.HashMap;
import java.util.Map;

/**
 * Chooses the channels a producer loses by the error the re-fit of its readers will leave: a
 * greedy structured Optimal Brain Surgeon on each reader's dense calibration rows. Removing the
 * input positions {@code P} of a channel from a reader whose other weights are then re-fitted
 * costs {@code Σ_j w_jPᵀ [H_λ⁻¹]_PP⁻¹ w_jP − λ‖w_jP‖²} (the increase of the re-fit's damped
 * objective {@code Σ (v·p̃ − w̃_j·d̃)² + λ‖v − w_j‖²} over the surviving weights, summed over its outputs;
 * the OBS term alone would also charge the damping of the removed weights themselves);
 * channels go one at a time, the cheapest over all readers (each reader's cost relative to its
 * output energy), and the readers' weights and {@code H⁻¹} are updated as if it were re-fitted.
 * {@code H} is damped as in {@link ObsSolver#solve} and includes the constant input (the bias is
 * re-fitted too). Groups whose readers {@link LayerRows} cannot cut, deeper than
 * {@value Reconstruction#MAX_DEPTH} or costing more than {@link Reconstruction#MAX_WORK}
 * multiply-adds are left to the filter norms (null).
 */
final class ChannelSelection implements ChannelPruning.Selector {
  private final Map<Integer, LayerRows> rows;
  private final Map<Integer, double[][]> weights;
  private final Map<Integer, Integer> index;
  private final Activations dense;
  private final Map<Integer, ObsSolver.Stats> stats = new HashMap<>();

  ChannelSelection(Map<Integer, LayerRows> rows, Map<Integer, double[][]> weights, Map<Integer, Integer> index,
      Activations dense) {
    this.rows = rows;
    this.weights = weights;
    this.index = index;
    this.dense = dense;
  }

  @Override
  public boolean[] choose(Map<Integer, int[]> readers, int channels, int remove) throws ConversionException {
    int r = readers.size();
    // The sums cost 3·rows·n² per reader, each greedy step n²·m for the update and
    // channels·(m³ + outputs·m²) for the costs (m positions per channel).
    double work = 0;
    for (int id : readers.keySet()) {
      LayerRows lr = rows.get(id);
      if (lr == null || lr.depth > Reconstruction.MAX_DEPTH) {
        return null;
      }
      double n = lr.depth + 1.0;
      double m = (double) lr.depth / channels;
      work += 3.0 * Reconstruction.MAX_ROWS * n * n + remove * (n * n * m + channels * (m * m * m + lr.outputs * m * m));
    }
    if (work > Reconstruction.MAX_WORK) {
      return null;
    }
    double[][][] hinv = new double[r][][];
    double[][][] w = new double[r][][];
    int[][][] positions = new int[r][][];
    double[] energy = new double[r];
    double[] lambda = new double[r];
    double[][][] w0 = new double[r][][];
    int k = 0;
    for (Map.Entry<Integer, int[]> e : readers.entrySet()) {
      LayerRows lr = rows.get(e.getKey());
      ObsSolver.Stats s = stats.get(e.getKey());
      if (s == null) {
        s = new ObsSolver.Stats(lr.depth + 1);
        int i = index.get(e.getKey());
        Reconstruction.collect(lr, dense, i, lr, dense, i, s);
        stats.put(e.getKey(), s);
      }
      int n = lr.depth + 1;
      double[][] hd = ObsSolver.damped(s.h, Reconstruction.DAMPING);
      lambda[k] = hd[0][0] - s.h[0][0];
      double[][] l = ObsSolver.cholesky(hd, n);
      hinv[k] = new double[n][];
      for (int c = 0; c < n; c++) {
        double[] unit = new double[n];
        unit[c] = 1;
        hinv[k][c] = ObsSolver.cholSolve(l, unit, n);
      }
      double[][] dw = weights.get(e.getKey());
      w0[k] = dw;
      w[k] = new double[dw.length][];
      for (int j = 0; j < dw.length; j++) {
        w[k][j] = dw[j].clone();
        energy[k] += ObsSolver.dot(dw[j], ObsSolver.mul(s.h, dw[j]));
      }
      int inner = e.getValue()[0];
      int width = lr.inputWidth();
      int[] count = new int[channels];
      for (int i = 0; i < lr.depth; i++) {
        count[(i % width / inner) % channels]++;
      }
      positions[k] = new int[channels][];
      for (int c = 0; c < channels; c++) {
        positions[k][c] = new int[count[c]];
      }
      int[] fill = new int[channels];
      for (int i = 0; i < lr.depth; i++) {
        int c = (i % width / inner) % channels;
        positions[k][c][fill[c]++] = i;
      }
      k++;
    }
    boolean[] keep = new boolean[channels];
    java.util.Arrays.fill(keep, true);
    for (int step = 0; step < remove; step++) {
      int best = -1;
      double bestCost = Double.POSITIVE_INFINITY;
      for (int c = 0; c < channels; c++) {
        if (!keep[c]) {
          continue;
        }
        double cost = 0;
        for (int q = 0; q < r; q++) {
          cost += (cost(hinv[q], w[q], positions[q][c]) - lambda[q] * norm(w0[q], positions[q][c]))
              / Math.max(energy[q], 1e-300);
        }
        if (cost < bestCost) {
          bestCost = cost;
          best = c;
        }
      }
      keep[best] = false;
      for (int q = 0; q < r; q++) {
        update(hinv[q], w[q], positions[q][best]);
      }
    }
    return keep;
  }

  /** {@code Σ_j w_jPᵀ (H⁻¹_PP)⁻¹ w_jP}. */
  private static double cost(double[][] hinv, double[][] w, int[] p) {
    int m = p.length;
    if (m == 0) {
      return 0;
    }
    double[][] l = ObsSolver.cholesky(block(hinv, p), m);
    double cost = 0;
    double[] u = new double[m];
    for (double[] row : w) {
      for (int x = 0; x < m; x++) {
        u[x] = row[p[x]];
      }
      cost += ObsSolver.dot(u, ObsSolver.cholSolve(l, u, m));
    }
    return cost;
  }

  /** Removes positions {@code p}: the OBS update of the weights and of {@code H⁻¹}. */
  private static void update(double[][] hinv, double[][] w, int[] p) {
    int m = p.length;
    if (m == 0) {
      return;
    }
    int n = hinv.length;
    double[][] l = ObsSolver.cholesky(block(hinv, p), m);
    // M = (H⁻¹_PP)⁻¹ · H⁻¹_P,: (m × n), column by column.
    double[][] mm = new double[m][n];
    double[] col = new double[m];
    for (int c = 0; c < n; c++) {
      for (int x = 0; x < m; x++) {
        col[x] = hinv[p[x]][c];
      }
      double[] s = ObsSolver.cholSolve(l, col, m);
      for (int x = 0; x < m; x++) {
        mm[x][c] = s[x];
      }
    }
    for (double[] row : w) {
      double[] u = new double[m];
      for (int x = 0; x < m; x++) {
        u[x] = row[p[x]];
      }
      for (int c = 0; c < n; c++) {
        double d = 0;
        for (int x = 0; x < m; x++) {
          d += u[x] * mm[x][c];
        }
        row[c] -= d;
      }
    }
    double[][] hp = new double[n][m];
    for (int a = 0; a < n; a++) {
      for (int x = 0; x < m; x++) {
        hp[a][x] = hinv[a][p[x]];
      }
    }
    for (int a = 0; a < n; a++) {
      for (int c = 0; c < n; c++) {
        double d = 0;
        for (int x = 0; x < m; x++) {
          d += hp[a][x] * mm[x][c];
        }
        hinv[a][c] -= d;
      }
    }
  }

  /** {@code Σ_j ‖w_jP‖²}. */
  private static double norm(double[][] w, int[] p) {
    double n = 0;
    for (double[] row : w) {
      for (int i : p) {
        n += row[i] * row[i];
      }
    }
    return n;
  }

  private static double[][] block(double[][] a, int[] p) {
    double[][] b = new double[p.length][p.length];
    for (int x = 0; x < p.length; x++) {
      for (int y = 0; y < p.length; y++) {
        b[x][y] = a[p[x]][p[y]];
      }
    }
    return b;
  }
}
