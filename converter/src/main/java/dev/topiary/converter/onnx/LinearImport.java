package dev.topiary.converter.onnx;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.artifact.RuntimeOps;
import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Lowering;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.ShapeRules;
import dev.topiary.converter.ir.Shapes;
import dev.topiary.converter.ir.TensorValue;
import java.util.Map;

/**
 * Conv, Gemm and MatMul. Conv (1-D and 2-D, groups, pads, auto_pad, strides, dilations) lowers to
 * a runtime {@code Conv2D} in NHWC between two transposes, with weights permuted to
 * {@code [O,KH,KW,C/group]} at conversion time; Gemm with constant B to {@code FullyConnected}
 * (alpha folded into the weights, beta·C into the bias when C is per-column), otherwise to
 * {@code MatMul} plus elementwise ops.
 */
final class LinearImport {
  private LinearImport() {}

  static final OnnxRule CONV = new OnnxRule("Conv", 2, LinearImport::convFacts, null, LinearImport::lowerConv);
  static final OnnxRule GEMM = new OnnxRule("Gemm", 2, LinearImport::gemmFacts, null, LinearImport::lowerGemm);
  static final OnnxRule MATMUL = new OnnxRule("MatMul", 2,
      (a, in) -> new Fact[] {Fact.of(in[0].dtype(), ShapeRules.matmul(in[0].shape(), in[1].shape()))}, null,
      l -> {
        Lowerings.requireFloat(l, 0);
        Lowerings.requireFloat(l, 1);
        l.replace(0, l.add("", RuntimeOps.op("MatMul"), l.input(0), l.input(1)));
      });

  static void register(Map<String, OnnxImporter.Importer> m) {
    m.put("Conv", n -> n.emit(CONV.op(n.attrs()), n.inputs()));
    m.put("Gemm", n -> n.emit(GEMM.op(n.attrs()), n.inputs()));
    m.put("MatMul", n -> n.emit(MATMUL.op(n.attrs()), n.inputs()));
  }

  /** Spatial parameters of a Conv or pool on an NCHW input with {@code spatial} dims. */
  record Window(int[] kernel, int[] strides, int[] dilations, long[] pads, String autoPad) {}

  static Window window(Attributes a, int spatial, int[] kernelFromWeights) throws ConversionException {
    long[] k = a.ints("kernel_shape");
    int[] kernel = kernelFromWeights != null ? kernelFromWeights : k == null ? null : Shapes.toInts(k);
    if (kernel == null) {
      throw new ConversionException("attribute 'kernel_shape' is required");
    }
    if (kernel.length != spatial || (k != null && !java.util.Arrays.equals(Shapes.toInts(k), kernel))) {
      throw new ConversionException("kernel_shape " + (k == null ? Shapes.format(kernel) : java.util.Arrays.toString(k))
          + " does not match " + spatial + " spatial dims / weights " + Shapes.format(kernel));
    }
    int[] s = ints(a, "strides", spatial, 1);
    int[] d = ints(a, "dilations", spatial, 1);
    String auto = a.s("auto_pad", "NOTSET");
    long[] pads = a.ints("pads");
    if (pads != null && pads.length != 2 * spatial) {
      throw new ConversionException("attribute 'pads' needs " + 2 * spatial + " values, got " + pads.length);
    }
    if (pads == null) {
      pads = new long[2 * spatial];
    }
    return new Window(kernel, s, d, pads, auto);
  }

  private static int[] ints(Attributes a, String name, int n, int dflt) throws ConversionException {
    long[] v = a.ints(name);
    int[] out = new int[n];
    java.util.Arrays.fill(out, dflt);
    if (v != null) {
      if (v.length != n) {
        throw new ConversionException("attribute '" + name + "' needs " + n + " values, got " + v.length);
      }
      for (int i = 0; i < n; i++) {
        if (v[i] < 1 || v[i] > 1 << 16) {
          throw new ConversionException("attribute '" + name + "' value " + v[i] + " is out of range");
        }
        out[i] = (int) v[i];
      }
    }
    return out;
  }

  /** Output spatial sizes of a window op; also resolves SAME/VALID pads. */
  static int[] windowOut(Window w, int[] in, boolean ceil) throws ConversionException {
    long[] p = ShapeRules.resolvePads(w.autoPad(), in, w.kernel(), w.strides(), w.dilations(), w.pads());
    int n = in.length;
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = ShapeRules.windowOut("spatial dim " + i, in[i], p[i], p[i + n], w.kernel()[i], w.strides()[i],
          w.dilations()[i], ceil);
    }
    return out;
  }

  private static Fact[] convFacts(Attributes a, Fact[] in) throws ConversionException {
    int[] x = in[0].shape();
    int[] w = in[1].shape();
    if (x.length != 3 && x.length != 4) {
      throw new ConversionException("only 1-D and 2-D convolutions are supported, input is " + Shapes.format(x));
    }
    if (w.length != x.length) {
      throw new ConversionException("weights " + Shapes.format(w) + " do not match input " + Shapes.format(x));
    }
    long group = a.i("group", 1);
    if (group < 1 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1]) {
      throw new ConversionException("input channels " + x[1] + ", weights " + Shapes.format(w) + " and group " + group
          + " do not match");
    }
    if (in.length > 2 && in[2] != null && (in[2].rank() != 1 || in[2].dim(0) != w[0])) {
      throw new ConversionException("bias must be [" + w[0] + "], got " + Shapes.format(in[2].shape()));
    }
    int sp = x.length - 2;
    Window win = window(a, sp, java.util.Arrays.copyOfRange(w, 2, w.length));
    int[] o = windowOut(win, java.util.Arrays.copyOfRange(x, 2, x.length), false);
    int[] out = new int[x.length];
    out[0] = x[0];
    out[1] = w[0];
    System.arraycopy(o, 0, out, 2, sp);
    return new Fact[] {Fact.of(in[0].dtype(), out)};
  }

  /** Runtime Conv2D window attributes from a 2-D window. */
  static Attributes.Builder conv2dAttrs(Window w) {
    Attributes.Builder b = Attributes.builder().set("strides", w.strides()).set("dilations", w.dilations());
    if (w.autoPad().equals("NOTSET")) {
      if (!java.util.Arrays.equals(w.pads(), new long[4])) {
        b.set("pads", w.pads());
      }
    } else {
      b.set("padding", w.autoPad());
    }
    return b;
  }

  /** A 1-D window seen as 2-D with height 1. */
  static Window as2d(Window w) {
    return new Window(new int[] {1, w.kernel()[0]}, new int[] {1, w.strides()[0]}, new int[] {1, w.dilations()[0]},
        new long[] {0, w.pads()[0], 0, w.pads()[1]}, w.autoPad());
  }

  private static void lowerConv(Lowering l) throws ConversionException {
    Lowerings.requireFloat(l, 0);
    TensorValue w = Lowerings.f32(Lowerings.constant(l, 1, "weights"));
    TensorValue b = Lowerings.optionalConstant(l, 2, "bias");
    int[] ws = w.shape();
    boolean oneD = ws.length == 3;
    Window win = window(l.op().attrs(), ws.length - 2, java.util.Arrays.copyOfRange(ws, 2, ws.length));
    Outlet x = l.input(0);
    if (oneD) {
      win = as2d(win);
      w = w.reshape(new int[] {ws[0], ws[1], 1, ws[2]});
      x = l.add("as_2d", RuntimeOps.op("Unsqueeze", Attributes.builder().set("axes", new long[] {2}).build()), x);
    }
    Outlet wt = l.constant("weights_ohwi", w.transpose(Lowerings.TO_NHWC));
    Outlet bias = b == null ? Outlet.NONE : l.constant("bias", Lowerings.f32(b));
    Attributes attrs = conv2dAttrs(win).set("group", l.op().attrs().i("group", 1)).build();
    Outlet y = Lowerings.nhwc(l, "conv", x, t -> b == null
        ? l.add("", RuntimeOps.op("Conv2D", attrs), t, wt)
        : l.add("", RuntimeOps.op("Conv2D", attrs), t, wt, bias));
    if (oneD) {
      y = l.add("as_1d", RuntimeOps.op("Squeeze", Attributes.builder().set("axes", new long[] {2}).build()), y);
    }
    l.replace(0, y);
  }

  private static Fact[] gemmFacts(Attributes a, Fact[] in) throws ConversionException {
    int[] sa = in[0].shape();
    int[] sb = in[1].shape();
    if (sa.length != 2 || sb.length != 2) {
      throw new ConversionException("A and B must be 2-D, got " + Shapes.format(sa) + " and " + Shapes.format(sb));
    }
    boolean ta = a.i("transA", 0) != 0;
    boolean tb = a.i("transB", 0) != 0;
    int m = ta ? sa[1] : sa[0];
    int k = ta ? sa[0] : sa[1];
    int k2 = tb ? sb[1] : sb[0];
    int n = tb ? sb[0] : sb[1];
    if (k != k2) {
      throw new ConversionException("inner dimensions differ: A " + Shapes.format(sa) + (ta ? "ᵀ" : "") + ", B "
          + Shapes.format(sb) + (tb ? "ᵀ" : ""));
    }
    int[] out = {m, n};
    if (in.length > 2 && in[2] != null) {
      int[] c = in[2].shape();
      int[] bc = Shapes.broadcast(out, c);
      if (bc == null || !java.util.Arrays.equals(bc, out)) {
        throw new ConversionException("C " + Shapes.format(c) + " does not broadcast to " + Shapes.format(out));
      }
    }
    return new Fact[] {Fact.of(in[0].dtype(), out)};
  }

  private static void lowerGemm(Lowering l) throws ConversionException {
    Lowerings.requireFloat(l, 0);
    Attributes a = l.op().attrs();
    float alpha = a.f("alpha", 1f);
    float beta = a.f("beta", 1f);
    boolean ta = a.i("transA", 0) != 0;
    boolean tb = a.i("transB", 0) != 0;
    Outlet x = l.input(0);
    if (ta) {
      x = l.add("a_t", RuntimeOps.transpose(new int[] {1, 0}), x);
    }
    int n = l.outputFact(0).dim(1);
    Fact cf = l.inputFact(2);
    Fact bf = l.inputFact(1);
    Outlet y;
    boolean cDone = false;
    if (bf.isConstant()) {
      TensorValue w = Lowerings.f32(bf.value());
      if (!tb) {
        w = w.transpose(new int[] {1, 0});
      }
      if (alpha != 1f) {
        float[] v = w.floats().clone();
        for (int i = 0; i < v.length; i++) {
          v[i] *= alpha;
        }
        w = TensorValue.ofFloats(w.shape(), v);
      }
      Outlet wo = l.constant("weights", w);
      int[] cs = cf == null ? null : cf.shape();
      boolean perColumn = cf != null && cf.isConstant()
          && (Shapes.count(cs) == 1 || (cs[cs.length - 1] == n && Shapes.count(cs) == n));
      if (perColumn) {
        TensorValue c = Lowerings.f32(cf.value());
        float[] bias = new float[n];
        for (int j = 0; j < n; j++) {
          bias[j] = beta * c.floatAt(c.count() == 1 ? 0 : j);
        }
        y = l.add("", RuntimeOps.op("FullyConnected"), x, wo, l.constant("bias", TensorValue.ofFloats(new int[] {n}, bias)));
        cDone = true;
      } else {
        y = l.add("", RuntimeOps.op("FullyConnected"), x, wo);
      }
    } else {
      Lowerings.requireFloat(l, 1);
      Outlet b = l.input(1);
      if (tb) {
        b = l.add("b_t", RuntimeOps.transpose(new int[] {1, 0}), b);
      }
      y = l.add("", RuntimeOps.op("MatMul"), x, b);
      if (alpha != 1f) {
        y = l.add("alpha", RuntimeOps.op("Mul"), y, l.constant("alpha_value", TensorValue.scalar(alpha)));
      }
    }
    if (cf != null && !cDone && beta != 0f) {
      Outlet c = l.input(2);
      if (cf.dtype() != DType.FLOAT32) {
        throw l.error("C is " + cf.dtype() + "; the runtime computes Gemm in FLOAT32 only");
      }
      if (beta != 1f) {
        c = cf.isConstant() ? l.constant("c_scaled", scale(cf.value(), beta))
            : l.add("beta", RuntimeOps.op("Mul"), c, l.constant("beta_value", TensorValue.scalar(beta)));
      }
      y = l.add("c", RuntimeOps.op("Add"), y, c);
    }
    l.replace(0, y);
  }

  static TensorValue scale(TensorValue v, float s) {
    float[] f = v.floats().clone();
    for (int i = 0; i < f.length; i++) {
      f[i] *= s;
    }
    return TensorValue.ofFloats(v.shape(), f);
  }
}
