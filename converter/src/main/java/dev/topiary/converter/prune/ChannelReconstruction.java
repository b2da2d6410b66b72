package dev.topiary.converter.prune;

import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.TensorValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Channel pruning followed by a least-squares re-fit of the layers that lost input channels, on
 * calibration data (He et al. 2017, "Channel Pruning for Accelerating Very Deep Neural Networks";
 * ThiNet), without any training loop.
 *
 * <p>{@link ChannelPruning} removes the channels {@link ChannelSelection} chooses by the error the
 * re-fit will leave in their readers (a greedy structured OBS on the dense calibration rows; by
 * filter norm where it cannot rank them), the readers' biases corrected by {@link BiasCorrection}'s
 * means. Then every reader
 * (ungrouped Conv2D, FullyConnected, MatMul with constant B) that lost input channels is re-fitted,
 * one after the other in graph order: calibration rows at its input are collected from the graph as
 * pruned and re-fitted so far ({@code p̃}, only the surviving channels) and from the dense graph
 * ({@code d̃}, all channels), at the same positions, and each of its kept output rows solves
 * {@code min Σ (v·p̃ − w̃_j·d̃)² + λ‖v − w_j‖²} ({@link ObsSolver#solve} with nothing more to drop,
 * {@code w_j} the row as channel pruning left it): the surviving weights and the private bias
 * reproduce the dense layer's output (before its fused activation) as well as the surviving inputs
 * allow, and so also absorb the error of the layers before it. Depthwise convs between producer and
 * reader have no cross-channel weights and just lose channels; the next reader absorbs their error.
 * Readers {@link Reconstruction#fallback} rules out keep channel pruning's weights, with a reason.
 */
final class ChannelReconstruction {
  /** What the re-fit did to one reader; {@code fallback} is null when it was re-fitted, else why not. */
  record Refit(String node, int inputsBefore, int inputsAfter, int outputs, String fallback, double errorBefore,
      double errorAfter) {}

  /**
   * Channel pruning's per-producer entries, the re-fit's per-reader ones, and the names of the
   * producers whose channels {@link ChannelSelection} chose (the others: by filter norm).
   */
  record Result(List<ChannelPruning.Layer> layers, List<Refit> refits, java.util.Set<String> selected) {}

  private ChannelReconstruction() {}

  /**
   * Prunes {@code fraction} of the channels of {@code g} in place ranked by {@code norm}, then
   * re-fits the readers on {@code calibration} (FLOAT32, the graph's single input along its first
   * dimension in batches of the model's batch size).
   *
   * @throws ConversionException if the model does not have one FLOAT32 input or the data does not fit it
   */
  static Result apply(Graph g, double fraction, ChannelPruning.Norm norm, Tensor calibration)
      throws ConversionException {
    // The dense rows and weights of every layer that might lose input channels, before pruning.
    Map<Integer, LayerRows> denseRows = new HashMap<>();
    Map<Integer, double[][]> denseWeights = new HashMap<>();
    List<Outlet> inputs = new ArrayList<>();
    for (int id : g.order()) {
      Node n = g.node(id);
      if (!isLinear(g, n)) {
        continue;
      }
      LayerRows rows = LayerRows.of(g, n);
      if (rows.unsupported != null) {
        continue;
      }
      float[] b = n.input(2).isNone() || !g.fact(n.input(2)).isConstant() ? new float[rows.outputs]
          : g.fact(n.input(2)).value().floats();
      denseRows.put(id, rows);
      denseWeights.put(id, rows.matrix(g.fact(n.input(1)).value().floats(), b));
      if (!inputs.contains(n.input(0))) {
        inputs.add(n.input(0));
      }
    }
    List<Refit> refits = new ArrayList<>();
    try (Activations dense = new Activations(g, inputs, calibration)) {
      ChannelPruning.Trace trace = new ChannelPruning.Trace();
      Map<Integer, Integer> index = new HashMap<>();
      for (int id : denseRows.keySet()) {
        index.put(id, inputs.indexOf(g.node(id).input(0)));
      }
      trace.selector = new ChannelSelection(denseRows, denseWeights, index, dense);
      List<ChannelPruning.Layer> layers =
          ChannelPruning.apply(g, fraction, norm, BiasCorrection.means(g, calibration), trace);
      for (int id : g.order()) {
        if (trace.readers.contains(id) && denseRows.containsKey(id)) {
          refits.add(refit(g, g.node(id), denseRows.get(id), denseWeights.get(id), trace.kept.get(id), dense,
              inputs.indexOf(g.node(id).input(0)), calibration));
        }
      }
      return new Result(layers, refits, trace.selected);
    }
  }

  /** An ungrouped Conv2D, FullyConnected or MatMul with FLOAT32 constant weights. */
  private static boolean isLinear(Graph g, Node n) {
    if (n.op().dialect() != Dialect.RUNTIME || n.inputs().size() < 2 || n.input(1).isNone()) {
      return false;
    }
    String t = n.op().type();
    boolean conv = t.equals("Conv2D") && n.op().attrs().i("group", 1) == 1;
    return (conv || t.equals("FullyConnected") || t.equals("MatMul")) && g.fact(n.input(1)).isConstant()
        && g.fact(n.input(1)).dtype() == DType.FLOAT32;
  }

  /**
   * Re-fits reader {@code n} (already pruned) to the dense layer's rows {@code dense} ({@code kept}:
   * its output channels that survived, null for all) on rows from output {@code k} of {@code d}.
   */
  private static Refit refit(Graph g, Node n, LayerRows denseRows, double[][] dense, boolean[] kept, Activations d,
      int k, Tensor calibration) throws ConversionException {
    LayerRows rows = LayerRows.of(g, n);
    String why = Reconstruction.fallback(g, n, rows);
    if (why == null && rows.perBatch != denseRows.perBatch) {
      why = "its rows changed shape";
    }
    if (why != null) {
      return new Refit(n.name(), denseRows.depth, rows.depth, rows.outputs, why, Double.NaN, Double.NaN);
    }
    double[][] target = new double[rows.outputs][];
    int j = 0;
    for (int o = 0; o < dense.length; o++) {
      if (kept == null || kept[o]) {
        target[j++] = dense[o];
      }
    }
    Outlet bias = n.input(2);
    boolean biasFree = !bias.isNone() && g.useCount(bias) == 1;
    float[] b0 = bias.isNone() ? new float[rows.outputs] : g.fact(bias).value().floats();
    TensorValue v = g.fact(n.input(1)).value();
    double[][] prior = rows.matrix(v.floats(), b0);
    ObsSolver.Stats s = new ObsSolver.Stats(rows.depth + 1, denseRows.depth + 1);
    try (Activations pruned = new Activations(g, List.of(n.input(0)), calibration)) {
      Reconstruction.collect(denseRows, d, k, rows, pruned, 0, s);
    }
    ObsSolver.Solution sol = ObsSolver.solve(s.h, s.g, target, prior, 0, biasFree, Reconstruction.DAMPING);
    double before = ObsSolver.relativeError(s, target, prior);
    double after = ObsSolver.relativeError(s, target, sol.weights());
    Patch patch = new Patch(g, "channel pruning re-fit of '" + n.name() + "'");
    patch.setOp(n.input(1).node(),
        IrOps.constant(TensorValue.ofFloats(DType.FLOAT32, v.shape(), rows.weights(sol.weights(), v.shape()))));
    if (biasFree) {
      float[] nb = new float[rows.outputs];
      for (int o = 0; o < nb.length; o++) {
        nb[o] = (float) sol.weights()[o][rows.depth];
      }
      patch.setOp(bias.node(), IrOps.constant(TensorValue.ofFloats(DType.FLOAT32, g.fact(bias).shape(), nb)));
    }
    patch.apply();
    return new Refit(n.name(), denseRows.depth, rows.depth, rows.outputs, null, before, after);
  }
}
