package dev.topiary.converter.artifact;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Shapes;
import dev.topiary.converter.ir.TensorValue;
import dev.topiary.internal.build.GraphBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a lowered graph (runtime ops, inputs and constants only) as a {@code .topiary} artifact
 * through the runtime's {@link GraphBuilder}, declaring every tensor's type and shape. Graph
 * inputs and outputs keep the source model's names; other tensors keep the source value names
 * where they survived, made unique.
 */
public final class ArtifactExporter {
  /** Metadata written into the artifact header. */
  public record Metadata(String producer, String sourceSha256, String name, String description, List<String> labels,
      float[] normalizationMean, float[] normalizationStd, Map<String, String> properties) {}

  private ArtifactExporter() {}

  /** The artifact bytes, every constant stored densely. */
  public static byte[] export(Graph g, Metadata meta) throws ConversionException {
    return export(g, meta, false);
  }

  /**
   * The artifact bytes.
   *
   * @param sparse store each FLOAT32 constant with the BITMAP sparse encoding when that is smaller
   *     than dense (format 1.1 then)
   */
  public static byte[] export(Graph g, Metadata meta, boolean sparse) throws ConversionException {
    GraphBuilder b = new GraphBuilder();
    Map<Outlet, Integer> ids = new HashMap<>();
    Set<String> names = new HashSet<>();
    Set<String> nodeNames = new HashSet<>();
    for (Graph.Output o : g.outputs()) {
      names.add(o.name());
    }
    for (int in : g.inputs()) {
      Node n = g.node(in);
      Fact f = n.fact(0);
      String name = n.outputName(0);
      names.add(name);
      ids.put(n.out(0), b.input(name, runtimeType(f.dtype(), "input '" + name + "'"), Shape.of(f.shape())));
    }
    Map<Outlet, String> outputNames = new HashMap<>();
    Set<Outlet> claimed = new HashSet<>();
    Set<Outlet> graphOutputs = new HashSet<>();
    for (Graph.Output o : g.outputs()) {
      graphOutputs.add(o.outlet());
      Node n = g.node(o.outlet().node());
      boolean direct = n.op().dialect() == Dialect.RUNTIME && !claimed.contains(o.outlet());
      if (direct) {
        outputNames.put(o.outlet(), o.name());
        claimed.add(o.outlet());
      }
    }
    for (int id : g.order()) {
      Node n = g.node(id);
      if (IrOps.isInput(n.op())) {
        continue;
      }
      if (IrOps.isConst(n.op())) {
        if (!g.consumers(n.out(0)).isEmpty() || graphOutputs.contains(n.out(0))) {
          int cid = constant(b, unique(names, n.outputName(0)), n.fact(0).value());
          if (sparse && sparseIsSmaller(n.fact(0).value())) {
            b.storeSparse(cid);
          }
          ids.put(n.out(0), cid);
        }
        continue;
      }
      if (n.op().dialect() != Dialect.RUNTIME) {
        throw Graph.error(n, "was not lowered to a runtime op");
      }
      int[] in = new int[n.inputs().size()];
      for (int i = 0; i < in.length; i++) {
        Outlet o = n.input(i);
        in[i] = o.isNone() ? -1 : ids.get(o);
      }
      GraphBuilder.NodeBuilder nb = b.node(n.op().type(), unique(nodeNames, n.name()), in);
      for (String k : n.op().attrs().names()) {
        Object v = n.op().attrs().get(k);
        if (v instanceof Long) {
          nb.attr(k, (long) (Long) v);
        } else if (v instanceof Float) {
          nb.attr(k, (float) (Float) v);
        } else if (v instanceof String) {
          nb.attr(k, (String) v);
        } else if (v instanceof long[]) {
          nb.attrInts(k, (long[]) v);
        } else if (v instanceof float[]) {
          nb.attrFloats(k, (float[]) v);
        } else {
          throw Graph.error(n, "attribute '" + k + "' has a value the artifact cannot hold");
        }
      }
      for (int s = 0; s < n.outputCount(); s++) {
        Fact f = n.fact(s);
        String name = outputNames.containsKey(n.out(s)) ? outputNames.get(n.out(s)) : unique(names, n.outputName(s));
        ids.put(n.out(s), nb.output(name, runtimeType(f.dtype(), "node '" + n.name() + "'"), Shape.of(f.shape())));
      }
    }
    for (Graph.Output o : g.outputs()) {
      Integer id = ids.get(o.outlet());
      if (!o.name().equals(nameOf(b, id, o, outputNames))) {
        Fact f = g.fact(o.outlet());
        // The output is a graph input, a constant or another output's tensor: copy it under its own name.
        int src = id;
        id = b.node("Reshape", unique(nodeNames, o.name() + "/copy"), src)
            .attrInts("shape", f.shape())
            .attr("allowzero", 1L)
            .output(o.name(), runtimeType(f.dtype(), "output '" + o.name() + "'"), Shape.of(f.shape()));
      }
      b.output(id);
    }
    b.producer(meta.producer()).sourceSha256(meta.sourceSha256());
    if (meta.name() != null) {
      b.name(meta.name());
    }
    if (meta.description() != null) {
      b.description(meta.description());
    }
    b.labels(meta.labels());
    if (meta.normalizationMean().length > 0) {
      b.normalization(meta.normalizationMean(), meta.normalizationStd());
    }
    meta.properties().forEach(b::property);
    try {
      return b.build();
    } catch (ModelFormatException e) {
      throw new ConversionException("the runtime rejected the converted graph: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new ConversionException("writing the artifact failed: " + e.getMessage(), e);
    }
  }

  /** True for a FLOAT32 constant whose bitmap encoding (bitmap + non-zeros) is smaller than dense. */
  static boolean sparseIsSmaller(TensorValue v) {
    if (v.dtype() != DType.FLOAT32 || v.count() == 0) {
      return false;
    }
    long nnz = 0;
    for (int i = 0; i < v.count(); i++) {
      nnz += Float.floatToRawIntBits(v.floatAt(i)) != 0 ? 1 : 0;
    }
    return (v.count() + 7L) / 8 + nnz * 4 < 4L * v.count();
  }

  private static String nameOf(GraphBuilder b, Integer id, Graph.Output o, Map<Outlet, String> outputNames) {
    return o.name().equals(outputNames.get(o.outlet())) ? o.name() : null;
  }

  private static String unique(Set<String> used, String base) {
    String n = base.isEmpty() ? "t" : base;
    String c = n;
    for (int k = 1; !used.add(c); k++) {
      c = n + "_" + k;
    }
    return c;
  }

  private static DataType runtimeType(DType t, String what) throws ConversionException {
    if (t.runtime() == null) {
      throw new ConversionException(what + ": data type " + t + " has no runtime equivalent");
    }
    return t.runtime();
  }

  private static int constant(GraphBuilder b, String name, TensorValue v) throws ConversionException {
    Shape s = Shape.of(v.shape());
    switch (v.dtype()) {
      case FLOAT32: return b.constant(name, s, v.floats());
      case INT64: return b.constantLongs(name, s, v.longs());
      case INT32: return b.constantInts(name, s, Shapes.toInts(v.longs()));
      case FLOAT16: case FLOAT64: return b.constant(name, s, v.cast(DType.FLOAT32).floats());
      case INT8: case UINT8: case BOOL: {
        ByteBuffer bb = ByteBuffer.allocate(v.count()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.count(); i++) {
          bb.put((byte) v.longAt(i));
        }
        ((java.nio.Buffer) bb).flip();
        return b.constantRaw(name, v.dtype().runtime(), s, bb);
      }
      default:
        throw new ConversionException("constant '" + name + "': data type " + v.dtype() + " has no runtime equivalent");
    }
  }
}
