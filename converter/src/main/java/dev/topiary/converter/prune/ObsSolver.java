package dev.topiary.converter.prune;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The numeric core of {@link Reconstruction}, in double precision: running sums of calibration
 * rows ({@link Stats}), damping, OBS saliency, the per-row least-squares solves by Cholesky
 * ({@link #solve}) and the relative output error of a pruned layer. Rows carry a trailing constant
 * 1, so index {@code depth} of every vector and matrix is the bias.
 */
final class ObsSolver {
  private ObsSolver() {}

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
    return solve(h, g, wt, wt, k, biasFree, damping);
  }

  /**
   * {@link #solve(double[][], double[][], double[][], int, boolean, double)} when the pruned rows
   * {@code p̃} and the dense rows {@code d̃} have different lengths (channel pruning removed inputs):
   * {@code h} is {@code (np+1)²}, {@code g} is {@code (np+1)×(nd+1)}, the targets {@code wt[j]} are
   * dense rows {@code [w_j, b_j]} of length {@code nd+1}, and {@code prior[j]} (length
   * {@code np+1}, in the pruned layout) is what the damping pulls towards and the bias kept when
   * not {@code biasFree}. With {@code prior == wt} this is the square case.
   */
  static Solution solve(double[][] h, double[][] g, double[][] wt, double[][] prior, int k, boolean biasFree,
      double damping) {
    int n = h.length;
    int depth = n - 1;
    double[][] hd = damped(h, damping);
    double[][] targets = new double[wt.length][];
    for (int j = 0; j < wt.length; j++) {
      targets[j] = mul(g, wt[j]);
      // The damping pulls towards the dense weights: argmin ‖P̃v − D̃w̃‖² + λ‖v − w‖².
      for (int i = 0; i < depth; i++) {
        targets[j][i] += (hd[i][i] - h[i][i]) * prior[j][i];
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
      double fixedBias = biasFree ? 0 : prior[j][depth];
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

  static double[] mul(double[][] a, double[] v) {
    double[] r = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = dot(a[i], v);
    }
    return r;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /**
   * Running sums {@code H = Σ p̃p̃ᵀ}, {@code G = Σ p̃d̃ᵀ}, {@code D = Σ d̃d̃ᵀ} over calibration rows;
   * {@code p̃} and {@code d̃} may differ in length (channel pruning), {@code G} is then rectangular.
   */
  static final class Stats {
    final double[][] h;
    final double[][] g;
    final double[][] d;
    long rows;

    Stats(int n) {
      this(n, n);
    }

    /** Sums for pruned rows of length {@code np} and dense rows of length {@code nd}. */
    Stats(int np, int nd) {
      h = new double[np][np];
      g = new double[np][nd];
      d = new double[nd][nd];
    }

    /** Adds one row pair: {@code p} from the pruned graph, {@code dd} from the dense one. */
    void add(double[] p, double[] dd) {
      int np = p.length;
      int nd = dd.length;
      rows++;
      for (int i = 0; i < np; i++) {
        double pi = p[i];
        if (pi != 0) {
          double[] hi = h[i];
          double[] gi = g[i];
          for (int j = 0; j < np; j++) {
            hi[j] += pi * p[j];
          }
          for (int j = 0; j < nd; j++) {
            gi[j] += pi * dd[j];
          }
        }
      }
      for (int i = 0; i < nd; i++) {
        double di = dd[i];
        if (di != 0) {
          double[] ddi = d[i];
          for (int j = 0; j < nd; j++) {
            ddi[j] += di * dd[j];
          }
        }
      }
    }
  }
}
