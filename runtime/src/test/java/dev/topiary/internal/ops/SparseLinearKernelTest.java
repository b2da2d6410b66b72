package dev.topiary.internal.ops;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.ThreadPool;
import java.util.Random;
import org.junit.Test;

/**
 * Differential tests of {@link SparseLinearKernel} (compressed-row FullyConnected and 1×1 Conv2D)
 * against the reference FullyConnected kernel: random shapes including 1 and primes, sparsities
 * from 0% to 100%, every activation, 1 to 3 threads.
 */
public class SparseLinearKernelTest {
  private static final double[] SPARSITIES = {0.0, 0.3, 0.5, 0.7, 0.9, 0.97, 1.0};

  static float[] sparseWeights(Random r, int count, double sparsity) {
    float[] w = new float[count];
    for (int i = 0; i < count; i++) {
      w[i] = r.nextDouble() < sparsity ? 0f : (float) r.nextGaussian();
    }
    return w;
  }

  private static Activation activation(Random r) {
    switch (r.nextInt(4)) {
      case 0: return Activation.NONE;
      case 1: return Activation.clip(0f, Float.POSITIVE_INFINITY);
      case 2: return Activation.clip(-0.5f, 0.5f);
      default: return Activation.clip(0f, 6f);
    }
  }

  @Test
  public void kernelMatchesReferenceOnRandomShapesAndSparsities() throws Exception {
    Random r = new Random(20261122);
    int[] sizes = {1, 2, 3, 7, 13, 31, 64, 65, 97, 130};
    try (ThreadPool pool2 = new ThreadPool(2); ThreadPool pool3 = new ThreadPool(3)) {
      Parallel[] pars = {Parallel.sequential(), pool2, pool3};
      for (int trial = 0; trial < 120; trial++) {
        int m = sizes[r.nextInt(6)];
        int n = sizes[r.nextInt(sizes.length)];
        int k = sizes[r.nextInt(sizes.length)];
        double sp = SPARSITIES[trial % SPARSITIES.length];
        float[] w = sparseWeights(r, n * k, sp);
        float[] b = r.nextBoolean() ? sparseWeights(r, n, 0) : null;
        Activation act = activation(r);
        float[] x = sparseWeights(r, m * k, 0.1);
        // Tensor 0 is x (at an offset, as in an arena), tensor 1 is y.
        int xoff = r.nextInt(5);
        float[] xs = new float[xoff + m * k];
        System.arraycopy(x, 0, xs, xoff, x.length);
        float[] ref = new float[m * n];
        new FullyConnectedOp.Reference(m, n, k, w, b, act, 0, 1).run(
            new Frame(new Object[] {xs, ref}, new int[] {xoff, 0}, Parallel.sequential(), new float[1][0]));
        SparseLinearKernel sparse = new SparseLinearKernel(m, n, k, w, b, act, 0, 1);
        int nnz = 0;
        for (float v : w) {
          nnz += v != 0f ? 1 : 0;
        }
        assertEquals(nnz, sparse.nonZeros());
        for (Parallel p : pars) {
          float[] got = new float[m * n + 3];
          sparse.run(new Frame(new Object[] {xs, got}, new int[] {xoff, 3}, p, new float[p.workers()][0]));
          String what = "m=" + m + " n=" + n + " k=" + k + " sparsity=" + sp + " workers=" + p.workers();
          for (int i = 0; i < ref.length; i++) {
            // Same order of operations as the reference without the x·0 terms: equal values.
            assertEquals(what + " element " + i, ref[i], got[i + 3], 0f);
          }
        }
      }
    }
  }

  @Test
  public void fullyConnectedBindsTheSparseKernelAboveTheThreshold() throws Exception {
    Random r = new Random(7);
    for (double sp : new double[] {0.0, 0.5, 0.8, 0.95, 1.0}) {
      int n = 37;
      int k = 53;
      float[] w = sparseWeights(r, n * k, sp);
      for (boolean storedSparse : new boolean[] {false, true}) {
        GraphBuilder g = new GraphBuilder();
        int x = g.input("x", DataType.FLOAT32, Shape.of(3, k));
        int wi = storedSparse ? g.constantSparse("w", Shape.of(n, k), w) : g.constant("w", Shape.of(n, k), w);
        int bi = g.constant("b", Shape.of(n), sparseWeights(r, n, 0));
        g.output(g.node("FullyConnected", "fc", x, wi, bi).attr("activation", "RELU").output("y"));
        byte[] artifact = g.build();
        Tensor in = Tensor.ofFloats(Shape.of(3, k), sparseWeights(r, 3 * k, 0));
        LinearTestHelper.assertFastMatchesReference("FC sparsity " + sp + (storedSparse ? " (stored sparse)" : ""),
            artifact, LinearTestHelper.inputs("x", in), k);
      }
    }
  }

  @Test
  public void pointwiseConvUsesTheSparseKernelAndMatchesTheReference() throws Exception {
    Random r = new Random(11);
    for (double sp : new double[] {0.0, 0.75, 0.9, 1.0}) {
      int c = 19;
      int o = 23;
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(2, 5, 7, c));
      int wi = g.constantSparse("w", Shape.of(o, 1, 1, c), sparseWeights(r, o * c, sp));
      g.output(g.node("Conv2D", "conv", x, wi).attr("activation", "RELU6").output("y"));
      byte[] artifact = g.build();
      Tensor in = Tensor.ofFloats(Shape.of(2, 5, 7, c), sparseWeights(r, 2 * 5 * 7 * c, 0));
      LinearTestHelper.assertFastMatchesReference("1x1 conv sparsity " + sp, artifact, LinearTestHelper.inputs("x", in), c);
      assertTrue(LinearTestHelper.outputShape(artifact).equals(Shape.of(2, 5, 7, o)));
    }
  }
}
