package dev.topiary.converter.quantize;

import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.internal.format.proto.DataType;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.ops.OpRegistry;
import dev.topiary.internal.ops.Precision;
import dev.topiary.quantization.Float16;
import dev.topiary.quantization.LogScales;
import dev.topiary.quantization.QuantParams;
import dev.topiary.quantization.calibration.Ranges;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a FLOAT32 artifact into a compressed one (docs/OPS.md, "Quantized execution").
 *
 * <ul>
 *   <li>{@link QuantizeMode#FP16}: FLOAT32 weights and biases of {@code Conv2D} and
 *       {@code FullyConnected} become FLOAT16; other FLOAT32 constants of 64 elements or more too,
 *       as long as the runtime still plans the model (its {@code MatMul} and elementwise ops take
 *       FLOAT32 only, so their constants stay FLOAT32).
 *   <li>{@link QuantizeMode#DYNAMIC}: weights of {@code Conv2D}, {@code FullyConnected} and
 *       {@code MatMul} with a constant 2-D B become INT8, symmetric per output channel (axis 0 of
 *       {@code [O,KH,KW,I]} and {@code [N,K]}, axis 1 of MatMul's {@code [K,N]}); biases stay FLOAT32.
 *   <li>{@link QuantizeMode#INT8}: see {@link Int8Rewriter}.
 * </ul>
 */
public final class Quantizer {
  /** What the rewrite produced. */
  public record Result(byte[] artifact, List<LayerReport> layers, List<String> notes) {}

  /** Options of the rewrite. */
  public record Options(QuantizeMode mode, Tensor calibration, CalibrationMethod method, Set<String> keepFloat) {}

  private Quantizer() {}

  /**
   * Rewrites {@code fp32} (an artifact the converter just wrote).
   *
   * @throws ConversionException if the calibration data does not fit the model or the runtime
   *     rejects the float model
   */
  public static Result apply(byte[] fp32, Options o) throws ConversionException {
    try {
      switch (o.mode()) {
        case FP16: return fp16(fp32);
        case DYNAMIC: return dynamic(fp32);
        case INT8: return Int8Rewriter.rewrite(fp32, o);
        default: return new Result(fp32, List.of(), List.of());
      }
    } catch (ModelFormatException e) {
      throw new ConversionException("quantization (" + o.mode().cliName() + "): " + e.getMessage(), e);
    }
  }

  /**
   * FLOAT16 for every FLOAT32 constant of at least 64 elements whose readers all take FLOAT16 at
   * that input ({@link OpRegistry#acceptsFloat16}: weights and biases of Conv2D and FullyConnected);
   * the others stay FLOAT32, said in a note.
   */
  private static Result fp16(byte[] fp32) throws ModelFormatException {
    ArtifactGraph g = ArtifactGraph.read(fp32);
    Map<Integer, long[]> before = constantBytesByNode(g);
    List<String> notes = new ArrayList<>();
    OpRegistry runtime = OpRegistry.builtin();
    Map<Integer, Boolean> halfOk = new HashMap<>();
    for (Node.Builder n : g.nodes) {
      for (int slot = 0; slot < n.getInputsCount(); slot++) {
        int t = n.getInputs(slot);
        if (t >= 0 && g.isConstant(t) && g.type(t) == DataType.FLOAT32) {
          halfOk.merge(t, runtime.acceptsFloat16(n.getOpType(), slot), Boolean::logicalAnd);
        }
      }
    }
    int kept = 0;
    for (Map.Entry<Integer, Boolean> e : new java.util.TreeMap<>(halfOk).entrySet()) {
      if (e.getValue()) {
        toHalf(g, e.getKey());
      } else if (ArtifactGraph.count(g.shape(e.getKey())) >= 64) {
        kept++;
      }
    }
    if (kept > 0) {
      notes.add(kept + " FLOAT32 constant(s) of 64 or more elements stay FLOAT32: the runtime takes FLOAT16"
          + " constants only as weights and biases of Conv2D and FullyConnected");
    }
    return new Result(g.toBytes(), layers(ArtifactGraph.read(fp32), g, before, null), notes);
  }

  private static void toHalf(ArtifactGraph g, int t) {
    if (t < 0 || !g.isConstant(t) || g.type(t) != DataType.FLOAT32) {
      return;
    }
    float[] f = g.floats(t);
    ByteBuffer b = ByteBuffer.allocate(f.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : f) {
      b.putShort(Float16.fromFloat(v));
    }
    ((java.nio.Buffer) b).flip();
    g.replaceConstant(t, DataType.FLOAT16, b, null);
  }

  private static Result dynamic(byte[] fp32) throws ModelFormatException {
    ArtifactGraph g = ArtifactGraph.read(fp32);
    Map<Integer, long[]> before = constantBytesByNode(g);
    for (Node.Builder n : g.nodes) {
      int axis = weightAxis(g, n);
      if (axis >= 0) {
        quantizeWeights(g, n.getInputs(1), axis);
      }
    }
    return new Result(g.toBytes(), layers(ArtifactGraph.read(fp32), g, before, null), List.of());
  }

  /**
   * The output-channel axis of node {@code n}'s constant FLOAT32 weights (input 1) when the node
   * is a Conv2D, FullyConnected or MatMul with a constant 2-D B; −1 otherwise.
   */
  static int weightAxis(ArtifactGraph g, Node.Builder n) {
    if (n.getInputsCount() < 2 || !OpRegistry.builtin().supports(n.getOpType(), Precision.DYNAMIC_RANGE)) {
      return -1;
    }
    int w = n.getInputs(1);
    if (w < 0 || !g.isConstant(w) || g.type(w) != DataType.FLOAT32) {
      return -1;
    }
    switch (n.getOpType()) {
      case "Conv2D": case "FullyConnected": return 0;
      case "MatMul": return g.shape(w).length == 2 ? 1 : -1;
      default: return -1;
    }
  }

  /**
   * Replaces FLOAT32 constant {@code w} by INT8 symmetric per-channel values along {@code axis}.
   * The scales are {@code max|w_c| / 127} rounded up to the 8-bit logarithmic codes the artifact
   * stores them in ({@link LogScales}), so the weights are quantized with exactly the stored scales
   * and none clips; an all-zero channel (any scale represents it) takes the tensor's largest scale.
   */
  static QuantParams quantizeWeights(ArtifactGraph g, int w, int axis) {
    float[] f = g.floats(w);
    int[] s = g.shape(w);
    int inner = 1;
    for (int i = axis + 1; i < s.length; i++) {
      inner *= s[i];
    }
    QuantParams q = storableScales(Ranges.int8SymmetricPerChannel(f, s[axis], axis, inner), f, s[axis], inner);
    ByteBuffer b = ByteBuffer.allocate(f.length);
    for (int i = 0; i < f.length; i++) {
      int c = (i / inner) % s[axis];
      b.put((byte) q.quantize(f[i], c, -127, 127));
    }
    ((java.nio.Buffer) b).flip();
    g.replaceConstant(w, DataType.INT8, b, q);
    return q;
  }

  /**
   * {@code raw}'s scales rounded up to {@link LogScales} codes; all-zero channels (scale 1 in
   * {@code raw}) get the largest scale of the others instead, so they do not stretch the code range.
   */
  static QuantParams storableScales(QuantParams raw, float[] values, int channels, int inner) {
    boolean[] nonZero = new boolean[channels];
    for (int i = 0; i < values.length; i++) {
      nonZero[(i / inner) % channels] |= values[i] != 0;
    }
    float[] scales = raw.scales();
    float largest = 0;
    for (int c = 0; c < channels; c++) {
      if (nonZero[c]) {
        largest = Math.max(largest, scales[c]);
      }
    }
    for (int c = 0; c < channels; c++) {
      if (!nonZero[c]) {
        scales[c] = largest > 0 ? largest : 1f;
      }
    }
    return QuantParams.perAxis(LogScales.roundUp(scales), raw.zeroPoints(), raw.axis());
  }

  /** The per-node report of an artifact left as it is (before and after equal, no SQNR). */
  public static List<LayerReport> layersOf(byte[] artifact) throws ConversionException {
    try {
      ArtifactGraph g = ArtifactGraph.read(artifact);
      return layers(g, g, constantBytesByNode(g), null);
    } catch (ModelFormatException e) {
      throw new ConversionException("reading the artifact: " + e.getMessage(), e);
    }
  }

  /** Per node index: {parameters, bytes} of its constant inputs. */
  static Map<Integer, long[]> constantBytesByNode(ArtifactGraph g) {
    Map<Integer, long[]> m = new HashMap<>();
    for (int i = 0; i < g.nodes.size(); i++) {
      long params = 0;
      long bytes = 0;
      for (int in : g.nodes.get(i).getInputsList()) {
        if (in >= 0 && g.isConstant(in)) {
          params += ArtifactGraph.count(g.shape(in));
          bytes += g.bytes(in);
        }
      }
      m.put(i, new long[] {params, bytes});
    }
    return m;
  }

  /**
   * One report per original node (the first {@code before.size()} nodes of {@code after} are the
   * originals, in the same order; rewrites only append nodes).
   */
  static List<LayerReport> layers(ArtifactGraph fp32, ArtifactGraph after, Map<Integer, long[]> before,
      Map<String, Double> sqnr) {
    List<LayerReport> l = new ArrayList<>();
    Map<Integer, long[]> now = constantBytesByNode(after);
    for (int i = 0; i < before.size(); i++) {
      Node.Builder a = fp32.nodes.get(i);
      Node.Builder b = after.nodes.get(i);
      String tb = typeOf(fp32, a);
      String ta = typeOf(after, b);
      Double s = sqnr == null ? null : sqnr.get(a.getName());
      l.add(new LayerReport(a.getName(), a.getOpType(), tb, ta, before.get(i)[0], before.get(i)[1], now.get(i)[1], s));
    }
    return l;
  }

  /** The type of the node's weights (input 1 when constant), else of its first output. */
  private static String typeOf(ArtifactGraph g, Node.Builder n) {
    if (n.getInputsCount() > 1 && n.getInputs(1) >= 0 && g.isConstant(n.getInputs(1))) {
      return g.type(n.getInputs(1)).name();
    }
    return g.type(n.getOutputs(0)).name();
  }

}
