package dev.topiary.converter.quantize;

import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.internal.format.proto.Attribute;
import dev.topiary.internal.format.proto.DataType;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.ops.OpRegistry;
import dev.topiary.internal.ops.Precision;
import dev.topiary.quantization.QuantParams;
import dev.topiary.quantization.calibration.RangeObserver;
import dev.topiary.quantization.calibration.Ranges;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Full int8 quantization with calibration, TFLite style (docs/OPS.md, "Quantized execution").
 *
 * <ol>
 *   <li>Calibrate: a copy of the float artifact whose outputs include every intermediate FLOAT32
 *       tensor runs over the calibration data with the runtime; one observer per tensor (and one
 *       for the graph input) chooses its range.
 *   <li>Rewrite, in dependency order: a node the runtime has an int8 kernel for (linear ops,
 *       Add/Mul, Concat, pools, data movement; not one named in {@code keepFloat}) reads INT8
 *       activations and writes a new INT8 tensor with per-tensor asymmetric parameters (data
 *       movement and pools keep their input's parameters); its weights become INT8 symmetric per
 *       output channel (sparse where pruning left enough zeros) and its bias INT32 with
 *       {@code scale = input_scale × weight_scale[c]}, parameters the runtime derives, so the
 *       artifact omits them (format 1.2). A
 *       FLOAT32 activation read by an int8 node goes through one {@code Quantize}; an int8 result
 *       read by a float node, or that is a graph output, goes through one {@code Dequantize} that
 *       writes the original FLOAT32 tensor, so the float nodes and the model boundary are unchanged.
 *   <li>Measure, per int8 node, the SQNR of its output over the calibration data: the float
 *       model's tensor against the int8 model's, dequantized (a copy of each model with those
 *       tensors as extra outputs runs the same batches), so the error accumulated through the
 *       preceding int8 layers counts.
 * </ol>
 */
final class Int8Rewriter {
  private static final Set<String> LINEAR = Set.of("Conv2D", "FullyConnected", "MatMul");
  static final Set<String> SAME_PARAMS = Set.of("MaxPool", "AvgPool", "GlobalAvgPool", "Reshape",
      "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Pad", "Gather");

  private Int8Rewriter() {}

  static Quantizer.Result rewrite(byte[] fp32, Quantizer.Options o) throws ModelFormatException, ConversionException {
    if (o.calibration() == null) {
      throw new ConversionException("int8 quantization needs calibration data (--calibration X.npy)");
    }
    Map<Integer, QuantParams> params = calibrate(fp32, o);
    Quantizer.Result r = rewrite(fp32, o, params);
    requirePlans(r.artifact());
    ArtifactGraph f = ArtifactGraph.read(fp32);
    return new Quantizer.Result(r.artifact(), Quantizer.layers(f, ArtifactGraph.read(r.artifact()),
        Quantizer.constantBytesByNode(f), sqnr(fp32, r.artifact(), o)), r.notes());
  }

  /**
   * The int8 artifact for activation parameters {@code params} already calibrated (see
   * {@link #calibrate}), without the per-layer report and SQNR: for searches that rewrite the same
   * model many times with different {@code keepFloat} sets ({@link MixedPrecision}).
   */
  static byte[] rewriteCalibrated(byte[] fp32, Quantizer.Options o, Map<Integer, QuantParams> params)
      throws ModelFormatException, ConversionException {
    byte[] a = rewrite(fp32, o, params).artifact();
    requirePlans(a);
    return a;
  }

  /**
   * Loads the rewritten artifact once: the rewrite only uses kernels the runtime declares
   * ({@link OpRegistry#precisions}), so a refusal here is a converter defect, reported as such.
   */
  private static void requirePlans(byte[] artifact) throws ConversionException {
    try (Model m = Model.load(ByteBuffer.wrap(artifact))) {
      // plans: every node has its kernel
    } catch (ModelFormatException e) {
      throw new ConversionException("int8 rewrite produced a model the runtime refuses (a converter defect, please"
          + " report it): " + e.getMessage(), e);
    }
  }

  private static Quantizer.Result rewrite(byte[] fp32, Quantizer.Options o, Map<Integer, QuantParams> params)
      throws ModelFormatException {
    ArtifactGraph g = ArtifactGraph.read(fp32);
    Map<Integer, long[]> before = Quantizer.constantBytesByNode(g);
    List<String> notes = new ArrayList<>();

    Map<Integer, Integer> int8Of = new HashMap<>();
    Map<Integer, QuantParams> qp = new HashMap<>();
    Set<Integer> int8Nodes = new HashSet<>();
    List<Node.Builder> originals = new ArrayList<>(g.nodes);
    List<String> keptFloat = new ArrayList<>();
    for (Node.Builder n : g.topological()) {
      String why = whyFloat(g, n, o.keepFloat(), params);
      if (why != null) {
        if (!why.isEmpty()) {
          keptFloat.add(n.getName() + " (" + n.getOpType() + ": " + why + ")");
        }
        continue;
      }
      int8Nodes.add(System.identityHashCode(n));
      for (int slot : activationSlots(n)) {
        int t = n.getInputs(slot);
        Integer q = int8Of.get(t);
        if (g.isConstant(t)) {
          float[] f = g.floats(t);
          float min = Float.POSITIVE_INFINITY;
          float max = Float.NEGATIVE_INFINITY;
          for (float v : f) {
            min = Math.min(min, v);
            max = Math.max(max, v);
          }
          QuantParams p = Ranges.int8Asymmetric(min, max);
          q = g.addTensor(g.tensor(t).getName() + "/int8", DataType.INT8, g.shape(t), int8Bytes(f, p), p);
          qp.put(q, p);
        } else if (q == null) {
          QuantParams p = params.get(t);
          q = g.addTensor(g.tensor(t).getName() + "/int8", DataType.INT8, g.shape(t), null, p);
          g.addNode("Quantize", g.tensor(t).getName() + "/quantize", q, t);
          int8Of.put(t, q);
          qp.put(q, p);
        }
        n.setInputs(slot, q);
      }
      int out = n.getOutputs(0);
      QuantParams outParams = SAME_PARAMS.contains(n.getOpType()) ? qp.get(n.getInputs(0)) : params.get(out);
      if (LINEAR.contains(n.getOpType())) {
        QuantParams w = Quantizer.quantizeWeights(g, n.getInputs(1), Quantizer.weightAxis(g, n));
        if (n.getInputsCount() > 2 && n.getInputs(2) >= 0) {
          int32Bias(g, n.getInputs(2), qp.get(n.getInputs(0)).scale(0), w);
        }
      }
      int q = g.addTensor(g.tensor(out).getName() + "/int8", DataType.INT8, g.shape(out), null, outParams);
      n.setOutputs(0, q);
      int8Of.put(out, q);
      qp.put(q, outParams);
    }
    // Dequantize int8 results that float nodes read or that leave the graph, into the original tensor.
    Set<Integer> floatReads = new HashSet<>(g.outputs);
    for (Node.Builder n : originals) {
      if (!int8Nodes.contains(System.identityHashCode(n))) {
        for (int in : n.getInputsList()) {
          floatReads.add(in);
        }
      }
    }
    for (Map.Entry<Integer, Integer> e : int8Of.entrySet()) {
      int t = e.getKey();
      boolean producedInt8 = g.producer(t) == null && !g.inputs.contains(t);
      if (producedInt8 && floatReads.contains(t)) {
        g.addNode("Dequantize", g.tensor(t).getName() + "/dequantize", t, e.getValue());
      }
    }
    Set<String> unknown = new java.util.TreeSet<>(o.keepFloat());
    for (Node.Builder n : originals) {
      unknown.remove(n.getName());
    }
    if (!unknown.isEmpty()) {
      notes.add("--keep-float: no node named " + String.join(", ", unknown) + " (see the node names in the report"
          + " or 'topiary inspect')");
    }
    if (!keptFloat.isEmpty()) {
      notes.add("int8: " + keptFloat.size() + " node(s) stay float: " + String.join(", ", keptFloat));
    }
    return new Quantizer.Result(g.toBytes(), Quantizer.layers(ArtifactGraph.read(fp32), g, before, null), notes);
  }

  /** Why node {@code n} stays float: null when it can run in int8, "" when there is nothing to say. */
  private static String whyFloat(ArtifactGraph g, Node.Builder n, Set<String> keepFloat,
      Map<Integer, QuantParams> params) {
    String op = n.getOpType();
    if (keepFloat.contains(n.getName())) {
      return "--keep-float";
    }
    OpRegistry runtime = OpRegistry.builtin();
    if (!runtime.supports(op, Precision.INT8) || op.equals("Quantize") || op.equals("Dequantize")) {
      return "no int8 kernel";
    }
    String activation = "NONE";
    for (Attribute a : n.getAttributesList()) {
      if (a.getName().equals("activation")) {
        activation = a.getS();
      }
    }
    if (!runtime.int8Activation(op, activation)) {
      return "no int8 kernel with the fused activation " + activation;
    }
    if (!(LINEAR.contains(op) || SAME_PARAMS.contains(op) || op.equals("Add") || op.equals("Mul")
        || op.equals("Concat"))) {
      return "the int8 rewriter does not handle " + op + " yet";
    }
    if (n.getOutputsCount() != 1 || g.type(n.getOutputs(0)) != DataType.FLOAT32) {
      return "";
    }
    if (LINEAR.contains(op) && Quantizer.weightAxis(g, n) < 0) {
      return "weights are not a constant FLOAT32 matrix";
    }
    if (op.equals("Pad")) {
      for (Attribute a : n.getAttributesList()) {
        if (a.getName().equals("value") && a.getF() != 0) {
          return "pads with a non-zero value";
        }
        if (a.getName().equals("mode") && !a.getS().equals("constant")) {
          return "";
        }
      }
    }
    for (int slot : activationSlots(n)) {
      int t = n.getInputs(slot);
      if (t < 0 || g.type(t) != DataType.FLOAT32 || (!g.isConstant(t) && !params.containsKey(t))) {
        return "";
      }
    }
    if (!SAME_PARAMS.contains(op) && !params.containsKey(n.getOutputs(0))) {
      return "";
    }
    return null;
  }

  /** Input slots holding activations: 0 for most ops, both operands of Add/Mul, every Concat input. */
  private static List<Integer> activationSlots(Node.Builder n) {
    List<Integer> l = new ArrayList<>();
    String op = n.getOpType();
    int count = op.equals("Add") || op.equals("Mul") ? 2 : op.equals("Concat") ? n.getInputsCount() : 1;
    for (int i = 0; i < count; i++) {
      l.add(i);
    }
    return l;
  }

  private static void int32Bias(ArtifactGraph g, int b, float inputScale, QuantParams w) {
    float[] f = g.floats(b);
    float[] scales = new float[f.length];
    ByteBuffer bytes = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int c = 0; c < f.length; c++) {
      scales[c] = inputScale * w.scale(w.channels() == 1 ? 0 : c);
      long q = QuantParams.roundHalfAwayFromZero(f[c] / scales[c]);
      bytes.putInt((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q)));
    }
    ((java.nio.Buffer) bytes).flip();
    // parameters omitted: the runtime derives exactly these scales (format 1.2, docs/FORMAT.md)
    g.replaceConstant(b, DataType.INT32, bytes, null);
  }

  private static ByteBuffer int8Bytes(float[] f, QuantParams p) {
    ByteBuffer b = ByteBuffer.allocate(f.length);
    for (float v : f) {
      b.put((byte) p.quantize(v, 0, -128, 127));
    }
    ((java.nio.Buffer) b).flip();
    return b;
  }

  /** The float model with every FLOAT32 tensor a node writes added to its outputs; names by tensor id. */
  private static Map<String, Integer> probe(ArtifactGraph p) {
    Map<String, Integer> ids = new LinkedHashMap<>();
    for (Node.Builder n : p.nodes) {
      for (int t : n.getOutputsList()) {
        if (p.type(t) == DataType.FLOAT32) {
          ids.put(p.tensor(t).getName(), t);
          if (!p.outputs.contains(t)) {
            p.outputs.add(t);
          }
        }
      }
    }
    return ids;
  }

  /** Activation parameters per tensor id (graph input and every FLOAT32 tensor a node writes). */
  static Map<Integer, QuantParams> calibrate(byte[] fp32, Quantizer.Options o)
      throws ModelFormatException, ConversionException {
    ArtifactGraph p = ArtifactGraph.read(fp32);
    Map<String, Integer> ids = probe(p);
    Map<Integer, RangeObserver> obs = new HashMap<>();
    for (int id : ids.values()) {
      obs.put(id, o.method().newObserver());
    }
    try (Model m = Model.load(ByteBuffer.wrap(p.toBytes()))) {
      String why = BatchRunner.mismatch(m, o.calibration());
      if (why != null) {
        throw new ConversionException("calibration data (--calibration): " + why);
      }
      BatchRunner.run(m, o.calibration(), 1, (first, valid, outputs) -> {
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
          float[] f = validPart(outputs.get(e.getKey()), valid);
          obs.get(e.getValue()).observe(f);
        }
      });
      Map<Integer, QuantParams> params = new HashMap<>();
      for (Map.Entry<Integer, RangeObserver> e : obs.entrySet()) {
        if (e.getValue().count() > 0) {
          float[] r = e.getValue().range();
          params.put(e.getKey(), Ranges.int8Asymmetric(r[0], r[1]));
        }
      }
      RangeObserver in = o.method().newObserver();
      in.observe(o.calibration().toFloatArray());
      float[] r = in.range();
      params.put(p.inputs.get(0), Ranges.int8Asymmetric(r[0], r[1]));
      return params;
    }
  }

  /** The elements of the batch's real samples: a prefix when the tensor is batch-first, else all. */
  private static float[] validPart(Tensor t, int valid) {
    float[] f = t.toFloatArray();
    int[] d = t.shape().dims();
    if (d.length == 0 || d[0] <= valid) {
      return f;
    }
    return java.util.Arrays.copyOf(f, f.length / d[0] * valid);
  }

  /**
   * SQNR in dB, per node that runs in int8 in {@code int8}, of its output against the float
   * model's over the calibration data: {@code 10·log10(Σ x² / Σ (x − x̂)²)}.
   */
  private static Map<String, Double> sqnr(byte[] fp32, byte[] int8, Quantizer.Options o) throws ModelFormatException {
    ArtifactGraph f = ArtifactGraph.read(fp32);
    ArtifactGraph q = ArtifactGraph.read(int8);
    probe(f);
    Map<String, String[]> names = new LinkedHashMap<>();
    int originals = Quantizer.constantBytesByNode(ArtifactGraph.read(fp32)).size();
    for (int i = 0; i < originals; i++) {
      Node.Builder n = q.nodes.get(i);
      int t = n.getOutputs(0);
      if (q.type(t) != DataType.INT8 || f.type(f.nodes.get(i).getOutputs(0)) != DataType.FLOAT32) {
        continue;
      }
      int d = q.addTensor(q.tensor(t).getName() + "/probe", DataType.FLOAT32, q.shape(t), null, null);
      q.addNode("Dequantize", n.getName() + "/probe", d, t);
      q.outputs.add(d);
      names.put(n.getName(), new String[] {f.tensor(f.nodes.get(i).getOutputs(0)).getName(), q.tensor(d).getName()});
    }
    Map<String, double[]> acc = new HashMap<>();
    try (Model mf = Model.load(ByteBuffer.wrap(f.toBytes())); Model mq = Model.load(ByteBuffer.wrap(q.toBytes()))) {
      BatchRunner.run(mf, mq, o.calibration(), (first, valid, fl, outputs) -> {
        for (Map.Entry<String, String[]> e : names.entrySet()) {
          float[] x = validPart(fl.get(e.getValue()[0]), valid);
          float[] y = validPart(outputs.get(e.getValue()[1]), valid);
          double[] a = acc.computeIfAbsent(e.getKey(), k -> new double[2]);
          for (int i = 0; i < x.length; i++) {
            a[0] += (double) x[i] * x[i];
            a[1] += ((double) x[i] - y[i]) * ((double) x[i] - y[i]);
          }
        }
      });
    }
    Map<String, Double> out = new HashMap<>();
    for (Map.Entry<String, double[]> e : acc.entrySet()) {
      double[] a = e.getValue();
      out.put(e.getKey(), a[0] == 0 ? null : a[1] == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(a[0] / a[1]));
    }
    return out;
  }
}
