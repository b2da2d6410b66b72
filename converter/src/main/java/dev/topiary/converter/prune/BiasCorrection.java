package dev.topiary.converter.prune;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.converter.artifact.ArtifactExporter;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
    if (g.inputs().size() != 1 || g.node(g.inputs().get(0)).fact(0).dtype() != DType.FLOAT32) {
      throw new ConversionException("bias correction needs a model with one FLOAT32 input, this one has "
          + g.inputs().size() + " inputs");
    }
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
    Graph copy = g.compact();
    Map<String, Integer> byName = new HashMap<>();
    for (Node n : copy.nodes()) {
      byName.put(n.name(), n.id());
    }
    Map<String, Outlet> outputs = new LinkedHashMap<>();
    for (int k = 0; k < wanted.size(); k++) {
      Outlet o = wanted.get(k);
      String name = "__prune_mean_" + k;
      copy.addOutput(name, new Outlet(byName.get(g.node(o.node()).name()), o.slot()));
      outputs.put(name, o);
    }
    if (calibration.dataType() != dev.topiary.DataType.FLOAT32) {
      throw new ConversionException("calibration data must be FLOAT32, got " + calibration.dataType());
    }
    Node in = copy.node(copy.inputs().get(0));
    int[] shape = in.fact(0).shape();
    int[] data = calibration.shape().dims();
    if (data.length != shape.length || !Arrays.equals(Arrays.copyOfRange(data, 1, data.length),
        Arrays.copyOfRange(shape, 1, shape.length)) || data[0] < shape[0]) {
      throw new ConversionException("calibration data " + calibration.shape() + " does not fit input '"
          + in.outputName(0) + "' " + Shape.of(shape) + " (it needs at least one batch of " + shape[0] + ")");
    }
    byte[] artifact = ArtifactExporter.export(copy, new ArtifactExporter.Metadata("topiary bias correction", "",
        "", "", List.of(), new float[0], new float[0], Map.of()));
    float[] all = calibration.toFloatArray();
    int per = all.length / data[0];
    Map<Outlet, double[]> sums = new HashMap<>();
    Map<Outlet, Long> rows = new HashMap<>();
    try (Model m = Model.load(ByteBuffer.wrap(artifact)); Session s = m.newSession()) {
      for (int b = 0; b + shape[0] <= data[0]; b += shape[0]) {
        float[] x = Arrays.copyOfRange(all, b * per, (b + shape[0]) * per);
        Map<String, Tensor> y = s.run(Map.of(in.outputName(0), Tensor.ofFloats(Shape.of(shape), x)));
        for (Map.Entry<String, Outlet> e : outputs.entrySet()) {
          float[] v = y.get(e.getKey()).toFloatArray();
          int[] vs = g.fact(e.getValue()).shape();
          int last = vs.length == 0 ? 1 : vs[vs.length - 1];
          double[] sum = sums.computeIfAbsent(e.getValue(), k -> new double[last]);
          for (int i = 0; i < v.length; i++) {
            sum[i % last] += v[i];
          }
          rows.merge(e.getValue(), (long) (v.length / Math.max(1, last)), Long::sum);
        }
      }
    } catch (java.io.IOException e) {
      throw new ConversionException("bias correction: the unpruned model did not load: " + e.getMessage(), e);
    }
    Map<Outlet, float[]> means = new HashMap<>();
    for (Map.Entry<Outlet, double[]> e : sums.entrySet()) {
      double[] sum = e.getValue();
      float[] mean = new float[sum.length];
      long r = Math.max(1, rows.get(e.getKey()));
      for (int i = 0; i < sum.length; i++) {
        mean[i] = (float) (sum[i] / r);
      }
      means.put(e.getKey(), mean);
    }
    return means;
  }
}
