package dev.topiary.converter.prune;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.converter.artifact.ArtifactExporter;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Intermediate values of a graph on calibration data: a snapshot of the graph, with the requested
 * outlets added as outputs, exported and loaded into a runtime session. The calibration tensor is
 * walked along its first dimension in batches of the model's batch size; a remainder that does not
 * fill a batch is dropped. Later changes to the graph do not affect an open instance.
 */
final class Activations implements AutoCloseable {
  private final Model model;
  private final Session session;
  private final String input;
  private final int[] shape;
  private final float[] data;
  private final int per;
  private final int batches;
  private final String[] names;

  /**
   * Snapshots {@code g} with {@code outlets} as extra outputs.
   *
   * @throws ConversionException if the model does not have one FLOAT32 input, the calibration data
   *     is not FLOAT32 or does not fit that input, or the snapshot does not load
   */
  Activations(Graph g, List<Outlet> outlets, Tensor calibration) throws ConversionException {
    if (g.inputs().size() != 1 || g.node(g.inputs().get(0)).fact(0).dtype() != DType.FLOAT32) {
      throw new ConversionException("pruning with calibration data needs a model with one FLOAT32 input, this one has "
          + g.inputs().size() + " inputs");
    }
    Graph copy = g.compact();
    Node in = copy.node(copy.inputs().get(0));
    shape = in.fact(0).shape();
    int[] dims = calibration.shape().dims();
    if (calibration.dataType() != DataType.FLOAT32 || dims.length != shape.length
        || !Arrays.equals(Arrays.copyOfRange(dims, 1, dims.length), Arrays.copyOfRange(shape, 1, shape.length))
        || dims[0] < shape[0]) {
      throw new ConversionException("calibration data for pruning: expected at least " + shape[0] + " samples of "
          + Shape.of(Arrays.copyOfRange(shape, 1, shape.length)) + " FLOAT32 along the first dimension (input '"
          + in.outputName(0) + "' " + Shape.of(shape) + "), got " + calibration.shape() + " "
          + calibration.dataType());
    }
    Map<String, Integer> byName = new HashMap<>();
    for (Node n : copy.nodes()) {
      byName.put(n.name(), n.id());
    }
    names = new String[outlets.size()];
    for (int k = 0; k < names.length; k++) {
      Outlet o = outlets.get(k);
      names[k] = "__prune_activation_" + k;
      copy.addOutput(names[k], new Outlet(byName.get(g.node(o.node()).name()), o.slot()));
    }
    byte[] artifact = ArtifactExporter.export(copy, new ArtifactExporter.Metadata("topiary pruning calibration", "",
        "", "", List.of(), new float[0], new float[0], Map.of()));
    input = in.outputName(0);
    data = calibration.toFloatArray();
    per = data.length / dims[0];
    batches = dims[0] / shape[0];
    try {
      model = Model.load(ByteBuffer.wrap(artifact));
    } catch (IOException e) {
      throw new ConversionException("pruning: the model did not load for calibration: " + e.getMessage(), e);
    }
    session = model.newSession();
  }

  /** Number of whole batches in the calibration data. */
  int batches() {
    return batches;
  }

  /** The requested outlets' values (flattened) on batch {@code b}, in the order they were given. */
  float[][] run(int b) {
    float[] x = Arrays.copyOfRange(data, b * shape[0] * per, (b + 1) * shape[0] * per);
    Map<String, Tensor> y = session.run(Map.of(input, Tensor.ofFloats(Shape.of(shape), x)));
    float[][] out = new float[names.length][];
    for (int k = 0; k < names.length; k++) {
      out[k] = y.get(names[k]).toFloatArray();
    }
    return out;
  }

  @Override
  public void close() {
    session.close();
    model.close();
  }
}
