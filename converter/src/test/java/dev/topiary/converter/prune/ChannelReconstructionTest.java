package dev.topiary.converter.prune;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.OnnxBuilder;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Test;

/**
 * The channel-pruning re-fit on a small random two-layer MLP ({@code x → FC1 → Relu → FC2}): FC1
 * loses a quarter of its outputs, FC2 (whose outputs are the graph's) loses the matching inputs and
 * is re-fitted. Its new weights must be the damped least-squares optimum computed naively from the
 * data (the normal equations of the augmented data matrix, by Gaussian elimination), and its output
 * error on the calibration rows no larger than channel pruning's without the re-fit. Removing one
 * channel, the selection must pick the one whose removal the re-fit of FC2 (its damped
 * least-squares objective, computed naively for every channel) minds least.
 */
public class ChannelReconstructionTest {
  private static final int IN = 6;
  private static final int HIDDEN = 8;
  private static final int OUT = 5;
  private static final int BATCH = 16;
  private static final int SAMPLES = 96;

  private static float[] gaussian(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static Graph graph(Random r) throws Exception {
    byte[] onnx = new OnnxBuilder(13).input("x", BATCH, IN)
        .init("w1", new int[] {HIDDEN, IN}, gaussian(r, HIDDEN * IN))
        .init("b1", new int[] {HIDDEN}, gaussian(r, HIDDEN))
        .init("w2", new int[] {OUT, HIDDEN}, gaussian(r, OUT * HIDDEN))
        .init("b2", new int[] {OUT}, gaussian(r, OUT))
        .node("Gemm", OnnxBuilder.in("x", "w1", "b1"), "h").attr("transB", 1L).add()
        .node("Relu", OnnxBuilder.in("h"), "a").add()
        .node("Gemm", OnnxBuilder.in("a", "w2", "b2"), "y").attr("transB", 1L).add()
        .output("y").bytes();
    return Converter.lowered(onnx, ConvertOptions.builder().build());
  }

  private static List<Node> layers(Graph g) {
    List<Node> out = new ArrayList<>();
    for (int id : g.order()) {
      if (g.node(id).op().type().equals("FullyConnected")) {
        out.add(g.node(id));
      }
    }
    return out;
  }

  /** {@code [relu(W1_kept·x + b1_kept), 1]} per sample, from the dense first layer. */
  private static double[][] hidden(float[] x, float[] w1, float[] b1, boolean[] keep) {
    double[][] rows = new double[SAMPLES][];
    for (int s = 0; s < SAMPLES; s++) {
      List<Double> row = new ArrayList<>();
      for (int j = 0; j < HIDDEN; j++) {
        if (keep[j]) {
          double v = b1[j];
          for (int i = 0; i < IN; i++) {
            v += (double) w1[j * IN + i] * x[s * IN + i];
          }
          row.add(Math.max(0, v));
        }
      }
      row.add(1.0);
      rows[s] = row.stream().mapToDouble(Double::doubleValue).toArray();
    }
    return rows;
  }

  /** {@code Σ_s Σ_j (v_j·p_s − y_sj)²} for FC2 weights {@code w} ([OUT, depth]) and bias {@code b}. */
  private static double error(double[][] p, double[][] y, float[] w, float[] b) {
    int depth = p[0].length - 1;
    double e = 0;
    for (int s = 0; s < SAMPLES; s++) {
      for (int j = 0; j < OUT; j++) {
        double v = b[j];
        for (int i = 0; i < depth; i++) {
          v += (double) w[j * depth + i] * p[s][i];
        }
        e += (v - y[s][j]) * (v - y[s][j]);
      }
    }
    return e;
  }

  @Test
  public void refittedReaderIsTheDampedLeastSquaresOptimum() throws Exception {
    Random r = new Random(5);
    Graph g = graph(r);
    Graph plain = graph(new Random(5));
    float[] x = gaussian(r, SAMPLES * IN);
    Tensor cal = Tensor.ofFloats(Shape.of(SAMPLES, IN), x);
    List<Node> fc = layers(g);
    assertEquals(2, fc.size());
    float[] w1 = g.fact(fc.get(0).input(1)).value().floats();
    float[] b1 = g.fact(fc.get(0).input(2)).value().floats();
    float[] w2 = g.fact(fc.get(1).input(1)).value().floats();
    float[] b2 = g.fact(fc.get(1).input(2)).value().floats();
    boolean[] all = new boolean[HIDDEN];
    java.util.Arrays.fill(all, true);
    double[][] dense = hidden(x, w1, b1, all);
    double[][] y = new double[SAMPLES][OUT];
    for (int s = 0; s < SAMPLES; s++) {
      for (int j = 0; j < OUT; j++) {
        y[s][j] = b2[j];
        for (int i = 0; i < HIDDEN; i++) {
          y[s][j] += (double) w2[j * HIDDEN + i] * dense[s][i];
        }
      }
    }

    ChannelReconstruction.Result result = ChannelReconstruction.apply(g, 0.25, ChannelPruning.Norm.L1, cal);
    assertEquals(1, result.refits().size());
    ChannelReconstruction.Refit refit = result.refits().get(0);
    assertNull(refit.fallback());
    assertEquals(HIDDEN, refit.inputsBefore());
    assertEquals(HIDDEN - HIDDEN / 4, refit.inputsAfter());
    // The channels FC1 kept: its surviving rows, found among the dense ones.
    float[] w1p = g.fact(layers(g).get(0).input(1)).value().floats();
    boolean[] keep = new boolean[HIDDEN];
    for (int j = 0; j < HIDDEN; j++) {
      for (int q = 0; q < w1p.length / IN; q++) {
        keep[j] |= java.util.Arrays.equals(java.util.Arrays.copyOfRange(w1, j * IN, (j + 1) * IN),
            java.util.Arrays.copyOfRange(w1p, q * IN, (q + 1) * IN));
      }
    }
    double[][] p = hidden(x, w1, b1, keep);
    // The same channels removed without the re-fit (means-corrected biases only).
    ChannelPruning.Trace same = new ChannelPruning.Trace();
    same.selector = (readers, channels, remove) -> keep.clone();
    ChannelPruning.apply(plain, 0.25, ChannelPruning.Norm.L1, BiasCorrection.means(plain, cal), same);

    int depth = p[0].length - 1;
    float[] fitted = g.fact(layers(g).get(1).input(1)).value().floats();
    float[] fittedBias = g.fact(layers(g).get(1).input(2)).value().floats();
    float[] cut = plain.fact(layers(plain).get(1).input(1)).value().floats();
    float[] cutBias = plain.fact(layers(plain).get(1).input(2)).value().floats();
    assertEquals(OUT * depth, fitted.length);
    double refitted = error(p, y, fitted, fittedBias);
    double without = error(p, y, cut, cutBias);
    assertTrue("re-fitted error " + refitted + " > without re-fit " + without, refitted <= without);
    double ref = 0;
    for (double[] row : y) {
      for (double v : row) {
        ref += v * v;
      }
    }
    assertEquals(Math.sqrt(without / ref), refit.errorBefore(), 1e-4);
    assertEquals(Math.sqrt(refitted / ref), refit.errorAfter(), 1e-4);

    // The oracle: min Σ (v·p̃ − y)² + λ‖v − w_cut‖² (weights only, λ = DAMPING·mean_i Σ p_i²).
    double lambda = 0;
    for (double[] row : p) {
      for (int i = 0; i < depth; i++) {
        lambda += row[i] * row[i];
      }
    }
    lambda = Reconstruction.DAMPING * lambda / depth;
    for (int j = 0; j < OUT; j++) {
      double[][] a = new double[depth + 1][depth + 1];
      double[] rhs = new double[depth + 1];
      for (int s = 0; s < SAMPLES; s++) {
        for (int u = 0; u <= depth; u++) {
          for (int v = 0; v <= depth; v++) {
            a[u][v] += p[s][u] * p[s][v];
          }
          rhs[u] += p[s][u] * y[s][j];
        }
      }
      for (int i = 0; i < depth; i++) {
        a[i][i] += lambda;
        rhs[i] += lambda * cut[j * depth + i];
      }
      double[] expected = gauss(a, rhs);
      for (int i = 0; i < depth; i++) {
        assertEquals("weight " + j + "," + i, expected[i], fitted[j * depth + i], 1e-4 * (1 + Math.abs(expected[i])));
      }
      assertEquals("bias " + j, expected[depth], fittedBias[j], 1e-4 * (1 + Math.abs(expected[depth])));
    }
  }

  /**
   * {@code Σ_j min_v Σ_s (v·p_s − y_sj)² + λ‖v − prior_j‖²} (the penalty on the weights, not on the
   * bias), by the normal equations: the re-fit's objective.
   */
  private static double leastSquares(double[][] p, double[][] y, double[][] prior, double lambda) {
    int n = p[0].length;
    double e = 0;
    for (int j = 0; j < OUT; j++) {
      double[][] a = new double[n][n];
      double[] rhs = new double[n];
      for (int s = 0; s < SAMPLES; s++) {
        for (int u = 0; u < n; u++) {
          for (int v = 0; v < n; v++) {
            a[u][v] += p[s][u] * p[s][v];
          }
          rhs[u] += p[s][u] * y[s][j];
        }
      }
      for (int i = 0; i < n - 1; i++) {
        a[i][i] += lambda;
        rhs[i] += lambda * prior[j][i];
      }
      double[] v = gauss(a, rhs);
      for (int s = 0; s < SAMPLES; s++) {
        double d = ObsSolver.dot(v, p[s]) - y[s][j];
        e += d * d;
      }
      for (int i = 0; i < n - 1; i++) {
        e += lambda * (v[i] - prior[j][i]) * (v[i] - prior[j][i]);
      }
    }
    return e;
  }

  @Test
  public void oneChannelGoesWhereTheRefitLeavesTheLeastError() throws Exception {
    for (int seed = 1; seed <= 4; seed++) {
      Random r = new Random(seed);
      Graph g = graph(r);
      float[] x = gaussian(r, SAMPLES * IN);
      List<Node> fc = layers(g);
      float[] w1 = g.fact(fc.get(0).input(1)).value().floats();
      float[] b1 = g.fact(fc.get(0).input(2)).value().floats();
      float[] w2 = g.fact(fc.get(1).input(1)).value().floats();
      float[] b2 = g.fact(fc.get(1).input(2)).value().floats();
      boolean[] all = new boolean[HIDDEN];
      java.util.Arrays.fill(all, true);
      double[][] dense = hidden(x, w1, b1, all);
      double[][] y = new double[SAMPLES][OUT];
      for (int s = 0; s < SAMPLES; s++) {
        for (int j = 0; j < OUT; j++) {
          y[s][j] = b2[j] + ObsSolver.dot(java.util.Arrays.copyOf(dense[s], HIDDEN), toDouble(w2, j * HIDDEN, HIDDEN));
        }
      }
      // The damping of the dense rows: λ = DAMPING·mean_i Σ_s x_si².
      double lambda = 0;
      for (double[] row : dense) {
        for (int i = 0; i < HIDDEN; i++) {
          lambda += row[i] * row[i];
        }
      }
      lambda = Reconstruction.DAMPING * lambda / HIDDEN;
      double[] err = new double[HIDDEN];
      int best = 0;
      for (int c = 0; c < HIDDEN; c++) {
        boolean[] keep = all.clone();
        keep[c] = false;
        double[][] prior = new double[OUT][HIDDEN - 1];
        for (int j = 0; j < OUT; j++) {
          for (int i = 0, q = 0; i < HIDDEN; i++) {
            if (keep[i]) {
              prior[j][q++] = w2[j * HIDDEN + i];
            }
          }
        }
        err[c] = leastSquares(hidden(x, w1, b1, keep), y, prior, lambda);
        best = err[c] < err[best] ? c : best;
      }
      ChannelReconstruction.Result result =
          ChannelReconstruction.apply(g, 1.0 / HIDDEN, ChannelPruning.Norm.L1, Tensor.ofFloats(Shape.of(SAMPLES, IN), x));
      assertEquals(1, result.selected().size());
      float[] w1p = g.fact(layers(g).get(0).input(1)).value().floats();
      int gone = -1;
      for (int c = 0; c < HIDDEN; c++) {
        boolean found = false;
        for (int q = 0; q < HIDDEN - 1; q++) {
          found |= java.util.Arrays.equals(java.util.Arrays.copyOfRange(w1, c * IN, (c + 1) * IN),
              java.util.Arrays.copyOfRange(w1p, q * IN, (q + 1) * IN));
        }
        gone = found ? gone : c;
      }
      assertEquals("seed " + seed + ": errors " + java.util.Arrays.toString(err), best, gone);
    }
  }

  private static double[] toDouble(float[] v, int from, int n) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = v[from + i];
    }
    return d;
  }

  /** Solves {@code a·x = b} by Gaussian elimination with partial pivoting (in place). */
  private static double[] gauss(double[][] a, double[] b) {
    int n = b.length;
    for (int c = 0; c < n; c++) {
      int piv = c;
      for (int i = c + 1; i < n; i++) {
        piv = Math.abs(a[i][c]) > Math.abs(a[piv][c]) ? i : piv;
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
}
