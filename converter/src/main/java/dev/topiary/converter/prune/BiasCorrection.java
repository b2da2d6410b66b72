package dev.topiary.converter.prune;

import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Mean activations for bias correction after pruning. Pruning a weight (or a whole input channel)
 * of a layer removes, on average, {@code E[x_k]·w[j,k]} from output {@code j}; adding that to the
 * layer's bias keeps the output's mean where it was. {@link #means} runs the graph before pruning
 * on calibration inputs and returns, for the input of every Conv2D, FullyConnected and MatMul, the
 * mean of each position of its last axis (the channel in NHWC) over everything else.
 */
public final class BiasCorrection {
  private BiasCorrection() {}

  /**
   * Per-channel means of the inputs of the linear ops of {@code g} over {@code calibration}, a
   * tensor for the graph's single input walked along its first dimension in batches of the
   * model's batch size (a remainder that does not fill a batch is dropped).
   *
   * @throws ConversionException if the model does not have one FLOAT32 input or the data does not fit it
   */
  public static Map<Outlet, float[]> means(Graph g, Tensor calibration) throws ConversionException {
    List<Outlet> wanted = new ArrayList<>();
    for (int id : g.order()) {
      Node n = g.node(id);
      if (n.op().dialect() == Dialect.RUNTIME
          && (n.op().is(Dialect.RUNTIME, "Conv2D") || n.op().is(Dialect.RUNTIME, "FullyConnected")
              || n.op().is(Dialect.RUNTIME, "MatMul"))
          && !wanted.contains(n.input(0))) {
        wanted.add(n.input(0));
      }
    }
    double[][] sums = new double[wanted.size()][];
    long[] rows = new long[wanted.size()];
    try (Activations a = new Activations(g, wanted, calibration)) {
      for (int b = 0; b < a.batches(); b++) {
        float[][] y = a.run(b);
        for (int k = 0; k < y.length; k++) {
          float[] v = y[k];
          int[] vs = g.fact(wanted.get(k)).shape();
          int last = vs.length == 0 ? 1 : vs[vs.length - 1];
          if (sums[k] == null) {
            sums[k] = new double[last];
          }
          for (int i = 0; i < v.length; i++) {
            sums[k][i % last] += v[i];
          }
          rows[k] += v.length / Math.max(1, last);
        }
      }
    }
    Map<Outlet, float[]> means = new HashMap<>();
    for (int k = 0; k < sums.length; k++) {
      if (sums[k] == null) {
        continue;
      }
      float[] mean = new float[sums[k].length];
      long r = Math.max(1, rows[k]);
      for (int i = 0; i < mean.length; i++) {
        mean[i] = (float) (sums[k][i] / r);
      }
      means.put(wanted.get(k), mean);
    }
    return means;
  }
}
