package dev.topiary.converter.prune;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.Tensor;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.npy.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.Test;

/**
 * The reconstruction solver against an independent oracle: the normal equations of each row built
 * straight from the data matrices and solved by Gaussian elimination with partial pivoting.
 */
public class ReconstructionTest {
  private static final int ROWS = 300;
  private static final int DEPTH = 14;
  private static final int OUT = 6;

  /** Rows {@code [x, 1]} of a random data matrix. */
  private static double[][] data(Random r, int rows, int depth) {
    double[][] x = new double[rows][depth + 1];
    for (double[] row : x) {
      for (int i = 0; i < depth; i++) {
        row[i] = r.nextGaussian() + 0.3 * i / depth;
      }
      row[depth] = 1;
    }
    return x;
  }

  private static double[][] weights(Random r) {
    double[][] w = new double[OUT][DEPTH + 1];
    for (double[] row : w) {
      for (int i = 0; i <= DEPTH; i++) {
        row[i] = r.nextGaussian();
      }
    }
    return w;
  }

  private static ObsSolver.Stats stats(double[][] p, double[][] d) {
    ObsSolver.Stats s = new ObsSolver.Stats(p[0].length);
    for (int i = 0; i < p.length; i++) {
      s.add(p[i], d[i]);
    }
    return s;
  }

  /** {@code Σ_rows Σ_j (v_j·p − w_j·d)²}. */
  private static double error(double[][] p, double[][] d, double[][] v, double[][] w) {
    double e = 0;
    for (int i = 0; i < p.length; i++) {
      for (int j = 0; j < w.length; j++) {
        double a = 0;
        double b = 0;
        for (int k = 0; k < w[j].length; k++) {
          a += v[j][k] * p[i][k];
          b += w[j][k] * d[i][k];
        }
        e += (a - b) * (a - b);
      }
    }
    return e;
  }

  /** Solves {@code a·x = b} by Gaussian elimination with partial pivoting (copies its inputs). */
  private static double[] gauss(double[][] a0, double[] b0) {
    int n = b0.length;
    double[][] a = new double[n][];
    for (int i = 0; i < n; i++) {
      a[i] = a0[i].clone();
    }
    double[] b = b0.clone();
    for (int c = 0; c < n; c++) {
      int piv = c;
      for (int i = c + 1; i < n; i++) {
        if (Math.abs(a[i][c]) > Math.abs(a[piv][c])) {
          piv = i;
        }
      }
      double[] t = a[c];
      a[c] = a[piv];
      a[piv] = t;
      double tb = b[c];
      b[c] = b[piv];
      b[piv] = tb;
      for (int i = c + 1; i < n; i++) {
        double f = a[i][c] / a[c][c];
        for (int k = c; k < n; k++) {
          a[i][k] -= f * a[c][k];
        }
        b[i] -= f * b[c];
      }
    }
    double[] x = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double s = b[i];
      for (int k = i + 1; k < n; k++) {
        s -= a[i][k] * x[k];
      }
      x[i] = s / a[i][i];
    }
    return x;
  }

  /**
   * The least-squares optimum of row {@code j}: minimise {@code Σ (v·p − w_j·d)²} over the entries
   * of {@code v} not dropped (the bias too when {@code biasFree}, else fixed at {@code w_j}'s).
   */
  private static double[] oracle(double[][] p, double[][] d, double[] w, boolean[] dropped, boolean biasFree) {
    int depth = w.length - 1;
    int[] s = new int[depth + 1];
    int m = 0;
    for (int i = 0; i < depth; i++) {
      if (!dropped[i]) {
        s[m++] = i;
      }
    }
    if (biasFree) {
      s[m++] = depth;
    }
    double[][] a = new double[m][m];
    double[] rhs = new double[m];
    for (int r = 0; r < p.length; r++) {
      double y = 0;
      for (int k = 0; k <= depth; k++) {
        y += w[k] * d[r][k];
      }
      if (!biasFree) {
        y -= w[depth] * p[r][depth];
      }
      for (int x = 0; x < m; x++) {
        for (int z = 0; z < m; z++) {
          a[x][z] += p[r][s[x]] * p[r][s[z]];
        }
        rhs[x] += p[r][s[x]] * y;
      }
    }
    double[] sol = gauss(a, rhs);
    double[] v = new double[depth + 1];
    for (int x = 0; x < m; x++) {
      v[s[x]] = sol[x];
    }
    if (!biasFree) {
      v[depth] = w[depth];
    }
    return v;
  }

  private static void checkAgainstOracle(double[][] p, double[][] d, double[][] w, int k, boolean biasFree) {
    ObsSolver.Stats s = stats(p, d);
    ObsSolver.Solution sol = ObsSolver.solve(s.h, s.g, w, k, biasFree, 0);
    int dropped = 0;
    double[][] masked = new double[w.length][];
    for (int j = 0; j < w.length; j++) {
      masked[j] = w[j].clone();
      for (int i = 0; i < DEPTH; i++) {
        if (sol.dropped()[j][i]) {
          dropped++;
          assertEquals("dropped weight " + j + "," + i, 0.0, sol.weights()[j][i], 0.0);
          masked[j][i] = 0;
        }
      }
      double[] expected = oracle(p, d, w[j], sol.dropped()[j], biasFree);
      double norm = 0;
      double diff = 0;
      for (int i = 0; i <= DEPTH; i++) {
        norm += expected[i] * expected[i];
        diff += (expected[i] - sol.weights()[j][i]) * (expected[i] - sol.weights()[j][i]);
      }
      assertTrue("row " + j + ": relative difference " + Math.sqrt(diff / norm), Math.sqrt(diff / norm) <= 1e-6);
    }
    assertEquals(k, dropped);
    double rec = error(p, d, sol.weights(), w);
    double mag = error(p, d, masked, w);
    double ref = error(d, d, new double[w.length][w[0].length], w);
    assertTrue("reconstructed error " + rec + " > magnitude error with the same mask " + mag,
        rec <= mag + 1e-12 * ref);
    // relativeError evaluates the same quantity from the sums.
    assertEquals(Math.sqrt(rec / ref), ObsSolver.relativeError(s, w, sol.weights()), 1e-6);
  }

  @Test
  public void solutionIsTheLeastSquaresOptimumOfTheSurvivors() {
    Random r = new Random(7);
    double[][] x = data(r, ROWS, DEPTH);
    double[][] w = weights(r);
    for (int k : new int[] {0, 1, OUT * DEPTH / 2, OUT * DEPTH * 7 / 10, OUT * DEPTH}) {
      checkAgainstOracle(x, x, w, k, true);
      checkAgainstOracle(x, x, w, k, false);
    }
  }

  @Test
  public void prunedInputsAreFittedToTheDenseOutputs() {
    Random r = new Random(11);
    double[][] d = data(r, ROWS, DEPTH);
    double[][] p = new double[ROWS][];
    for (int i = 0; i < ROWS; i++) {
      p[i] = d[i].clone();
      for (int k = 0; k < DEPTH; k++) {
        p[i][k] = 0.8 * p[i][k] + 0.2 * r.nextGaussian();
      }
    }
    double[][] w = weights(r);
    checkAgainstOracle(p, d, w, OUT * DEPTH / 2, true);
    checkAgainstOracle(p, d, w, OUT * DEPTH / 3, false);
  }

  @Test
  public void constantZeroInputsAreHandledByDamping() {
    Random r = new Random(3);
    double[][] x = data(r, 50, DEPTH);
    for (double[] row : x) {
      row[2] = 0;
      row[5] = 0;
    }
    double[][] w = weights(r);
    ObsSolver.Stats s = stats(x, x);
    ObsSolver.Solution sol = ObsSolver.solve(s.h, s.g, w, OUT * DEPTH / 2, true, Reconstruction.DAMPING);
    for (int j = 0; j < OUT; j++) {
      // The data say nothing about the dead inputs' weights: they stay dense, or are dropped.
      for (int i : new int[] {2, 5}) {
        assertEquals(sol.dropped()[j][i] ? 0 : w[j][i], sol.weights()[j][i], 1e-9);
      }
      for (double v : sol.weights()[j]) {
        assertFalse(Double.isNaN(v) || Double.isInfinite(v));
      }
    }
    // All inputs zero: only the bias is left to fit the (constant) outputs.
    double[][] zero = new double[20][DEPTH + 1];
    for (double[] row : zero) {
      row[DEPTH] = 1;
    }
    ObsSolver.Stats z = stats(zero, zero);
    ObsSolver.Solution zs = ObsSolver.solve(z.h, z.g, w, OUT * DEPTH / 2, true, Reconstruction.DAMPING);
    for (int j = 0; j < OUT; j++) {
      assertEquals(w[j][DEPTH], zs.weights()[j][DEPTH], 1e-9);
    }
  }

  @Test
  public void convolutionRowsReproduceTheRuntime() throws Exception {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("tools/fixtures/fashion-mnist/cnn.onnx"))) {
      p = p.getParent();
    }
    assumeTrue(p != null);
    Path dir = p.resolve("tools/fixtures/fashion-mnist");
    Graph g = Converter.lowered(Files.readAllBytes(dir.resolve("cnn.onnx")),
        ConvertOptions.builder().inputShape("input", 4, 1, 28, 28).build());
    Tensor cal = Npy.read(dir.resolve("calibration_images.npy")).tensor();
    int checked = 0;
    for (int id : g.order()) {
      Node n = g.node(id);
      if (!n.op().type().equals("Conv2D") || n.op().attrs().i("group", 1) != 1) {
        continue;
      }
      // The stem (3×3, padded) and the pointwise convs, with their fused activations.
      LayerRows rows = LayerRows.of(g, n);
      float[] b0 = g.fact(n.input(2)).value().floats();
      double[][] w = rows.matrix(g.fact(n.input(1)).value().floats(), b0);
      try (Activations a = new Activations(g, List.of(n.input(0), n.out(0)), cal)) {
        float[][] y = a.run(1);
        double[] row = new double[rows.depth + 1];
        String act = n.op().attrs().s("activation", "NONE");
        for (int r = 0; r < rows.perBatch; r += 37) {
          rows.row(y[0], r, row);
          for (int j = 0; j < rows.outputs; j++) {
            double v = 0;
            for (int i = 0; i <= rows.depth; i++) {
              v += w[j][i] * row[i];
            }
            switch (act) {
              case "RELU" -> v = Math.max(v, 0);
              case "RELU6" -> v = Math.min(Math.max(v, 0), 6);
              case "CLIP" -> v = Math.min(Math.max(v, n.op().attrs().f("activation_min", Float.NEGATIVE_INFINITY)),
                  n.op().attrs().f("activation_max", Float.POSITIVE_INFINITY));
              default -> assertEquals("NONE", act);
            }
            assertEquals(n.name() + " row " + r + " output " + j, v, y[1][r * rows.outputs + j], 1e-4);
          }
        }
      }
      checked++;
    }
    assertTrue(checked >= 2);
  }
}
