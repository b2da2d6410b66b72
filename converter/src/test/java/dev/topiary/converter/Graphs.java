package dev.topiary.converter;

import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.onnx.OnnxImporter;
import dev.topiary.converter.onnx.OnnxReader;
import dev.topiary.converter.passes.Optimizer;
import dev.topiary.converter.passes.Pass;
import dev.topiary.converter.passes.PassContext;
import dev.topiary.converter.passes.ShapeInference;
import java.util.ArrayList;
import java.util.List;

/** Test helpers over IR graphs. */
public final class Graphs {
  private Graphs() {}

  /** Imported graph with facts (shape inference only). */
  public static Graph imported(byte[] onnx) throws Exception {
    return run(onnx, new ShapeInference());
  }

  /** Imported graph after {@code passes}, checked after every patch. */
  public static Graph run(byte[] onnx, Pass... passes) throws Exception {
    Graph g = OnnxImporter.importModel(OnnxReader.read(onnx, null));
    OnnxImporter.checkSupported(g);
    return new Optimizer(List.of(passes), -1, true).run(g, PassContext.empty());
  }

  public static Graph lowered(byte[] onnx, boolean optimize) throws Exception {
    return Converter.lowered(onnx, ConvertOptions.builder().optimize(optimize).checkGraph(true).build());
  }

  /** Live runtime ops in topological order, as "Type{attrs}". */
  public static List<String> runtimeOps(Graph g) {
    List<String> out = new ArrayList<>();
    for (int id : g.order()) {
      Node n = g.node(id);
      if (n.op().dialect() == Dialect.RUNTIME) {
        out.add(n.op().type() + n.op().attrs());
      }
    }
    return out;
  }

  /** Count of live nodes of a runtime op type. */
  public static int count(Graph g, String type) {
    return g.live(Dialect.RUNTIME, type).size();
  }
}
