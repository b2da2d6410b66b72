package dev.topiary.converter.quantize;

import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.internal.format.proto.Attribute;
import dev.topiary.internal.format.proto.DataType;
import dev.topiary.internal.format.proto.Node;
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
 *       output channel and its bias INT32 with {@code scale = input_scale × weight_scale[c]}. A
 *       FLOAT32 activation read by an int8 node goes through one {@code Quantize}; an int8 result
 *       read by a float node, or that is a graph output, goes through one {@code Dequantize} that
 *       writes the original FLOAT32 tensor, so the float nodes and the model boundary are unchanged.
 *   <li>Measure, per int8 node, the SQNR of its output: the float model's output on the
 *       calibration data against the same values quantized with the chosen parameters and
 *       dequantized (the error that the output's own rounding and clipping adds).
 * </ol>
 */
final class Int8Rewriter {
  private static final Set<String> LINEAR = Set.of("Conv2D", "FullyConnected", "MatMul");
  private static final Set<String> SAME_PARAMS = Set.of("MaxPool", "AvgPool", "GlobalAvgPool", "Reshape",
      "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Pad", "Gather");

  private Int8Rewriter() {}

  static Quantizer.Result rewrite(byte[] fp32, Quantizer.Options o) throws ModelFormatException, ConversionException {
    if (o.calibration() == null) {
      throw new ConversionException("int8 quantization needs calibration data (--calibration X.npy)");
    }
    Map<Integer, QuantParams> params = calibrate(fp32, o);
    Set<String> noKernel = new java.util.LinkedHashSet<>();
    while (true) {
      Quantizer.Result r = rewrite(fp32, o, params, noKernel);
      String node = unplannableNode(r.artifact());
      if (node == null || !noKernel.add(node)) {
        return r;
      }
    }
  }

  /**
   * The name of the node this runtime cannot plan in {@code artifact}, or null when it plans. The
   * runtime declares no int8 capability table yet, so its load-time check is the one place that
   * knows which int8 kernels exist; such nodes are rewritten again in float.
   */
  private static String unplannableNode(byte[] artifact) {
    try (Model m = Model.load(ByteBuffer.wrap(artifact))) {
      return null;
    } catch (ModelFormatException e) {
      java.util.regex.Matcher x = java.util.regex.Pattern.compile("node '([^']*)' \\(").matcher(e.getMessage());
      return x.find() ? x.group(1) : null;
    }
  }

  private static Quantizer.Result rewrite(byte[] fp32, Quantizer.Options o, Map<Integer, QuantParams> params,
      Set<String> noKernel) throws ModelFormatException {
    ArtifactGraph g = ArtifactGraph.read(fp32);
    Map<Integer, long[]> before = Quantizer.constantBytesByNode(g);
    List<String> notes = new ArrayList<>();

    Map<Integer, Integer> int8Of = new HashMap<>();
    Map<Integer, QuantParams> qp = new HashMap<>();
    Set<Integer> int8Nodes = new HashSet<>();
    List<Node.Builder> originals = new ArrayList<>(g.nodes);
    List<String> keptFloat = new ArrayList<>();
    for (Node.Builder n : g.topological()) {
      String why = noKernel.contains(n.getName()) ? "this runtime has no int8 kernel for it"
          : whyFloat(g, n, o.keepFloat(), params);
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
    if (!keptFloat.isEmpty()) {
      notes.add("int8: " + keptFloat.size() + " node(s) stay float: " + String.join(", ", keptFloat));
    }
    Map<String, Double> sqnr = sqnr(fp32, o, params, g, originals, int8Nodes);
    return new Quantizer.Result(g.toBytes(), Quantizer.layers(ArtifactGraph.read(fp32), g, before, sqnr), notes);
  }

  /** Why node {@code n} stays float: null when it can run in int8, "" when there is nothing to say. */
  private static String whyFloat(ArtifactGraph g, Node.Builder n, Set<String> keepFloat,
      Map<Integer, QuantParams> params) {
    String op = n.getOpType();
    if (keepFloat.contains(n.getName())) {
      return "--keep-float";
    }
    boolean known = LINEAR.contains(op) || SAME_PARAMS.contains(op) || op.equals("Add") || op.equals("Mul")
        || op.equals("Concat");
    if (!known) {
      return "no int8 kernel";
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
    g.replaceConstant(b, DataType.INT32, bytes, QuantParams.perAxis(scales, new int[f.length], 0));
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
  private static Map<Integer, QuantParams> calibrate(byte[] fp32, Quantizer.Options o)
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
        throw new ConversionException("calibration data: " + why);
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

  /** SQNR in dB of each int8 node's output rounded to its parameters, over the calibration data. */
  private static Map<String, Double> sqnr(byte[] fp32, Quantizer.Options o, Map<Integer, QuantParams> params,
      ArtifactGraph g, List<Node.Builder> originals, Set<Integer> int8Nodes) throws ModelFormatException {
    ArtifactGraph p = ArtifactGraph.read(fp32);
    Map<String, Integer> ids = probe(p);
    Map<String, QuantParams> byName = new HashMap<>();
    for (int i = 0; i < originals.size(); i++) {
      Node.Builder n = originals.get(i);
      if (int8Nodes.contains(System.identityHashCode(n))) {
        int out = p.nodes.get(i).getOutputs(0);
        QuantParams q = g.tensor(n.getOutputs(0)).hasQuantization() ? fromProto(g, n.getOutputs(0)) : null;
        if (q != null) {
          byName.put(p.tensor(out).getName() + "\u0000" + n.getName(), q);
        }
      }
    }
    Map<String, double[]> acc = new HashMap<>();
    try (Model m = Model.load(ByteBuffer.wrap(p.toBytes()))) {
      BatchRunner.run(m, o.calibration(), 1, (first, valid, outputs) -> {
        for (Map.Entry<String, QuantParams> e : byName.entrySet()) {
          String tensor = e.getKey().substring(0, e.getKey().indexOf('\u0000'));
          float[] f = validPart(outputs.get(tensor), valid);
          double[] a = acc.computeIfAbsent(e.getKey(), k -> new double[2]);
          QuantParams q = e.getValue();
          for (float x : f) {
            float d = q.dequantize(q.quantize(x, 0, -128, 127), 0);
            a[0] += (double) x * x;
            a[1] += (double) (x - d) * (x - d);
          }
        }
      });
    }
    Map<String, Double> out = new HashMap<>();
    for (Map.Entry<String, double[]> e : acc.entrySet()) {
      double[] a = e.getValue();
      String node = e.getKey().substring(e.getKey().indexOf('\u0000') + 1);
      out.put(node, a[0] == 0 ? null : a[1] == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(a[0] / a[1]));
    }
    return out;
  }

  private static QuantParams fromProto(ArtifactGraph g, int t) {
    var q = g.tensor(t).getQuantization();
    int[] zp = new int[q.getScaleCount()];
    float[] s = new float[q.getScaleCount()];
    for (int i = 0; i < s.length; i++) {
      s[i] = q.getScale(i);
      zp[i] = i < q.getZeroPointCount() ? (int) q.getZeroPoint(i) : 0;
    }
    return s.length == 1 ? QuantParams.perTensor(s[0], zp[0]) : QuantParams.perAxis(s, zp, q.getAxis());
  }
}
