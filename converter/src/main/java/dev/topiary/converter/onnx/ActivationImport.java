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
 * Elementwise ops: Add/Sub/Mul/Div (evaluated over constants for shape arithmetic), Relu, Clip
 * (opset &lt; 11 bounds as attributes, from 11 as inputs), Sigmoid, Tanh, HardSwish, HardSigmoid,
 * LeakyRelu, Gelu, Erf (only as part of the GELU pattern), and Softmax (opset &lt; 13 "coerce to
 * 2-D" semantics, from 13 a single axis).
 */
final class ActivationImport {
  private ActivationImport() {}

  static final Map<String, OnnxRule> BINARY = Map.of(
      "Add", binary("Add", (a, b) -> a + b, (a, b) -> a + b),
      "Sub", binary("Sub", (a, b) -> a - b, (a, b) -> a - b),
      "Mul", binary("Mul", (a, b) -> a * b, (a, b) -> a * b),
      "Div", binary("Div", (a, b) -> a / b, Eval::intDiv));

  static final OnnxRule CLIP = new OnnxRule("Clip", 1, ActivationImport::same, null, ActivationImport::lowerClip);
  static final OnnxRule SOFTMAX = new OnnxRule("Softmax", 1, ActivationImport::same, null,
      ActivationImport::lowerSoftmax);
  static final OnnxRule HARD_SIGMOID = new OnnxRule("HardSigmoid", 1, ActivationImport::same, null, l -> {
    Lowerings.requireFloat(l, 0);
    Attributes a = l.op().attrs();
    Outlet y = l.add("scale", RuntimeOps.op("Mul"), l.input(0),
        l.constant("alpha", TensorValue.scalar(a.f("alpha", 0.2f))));
    y = l.add("shift", RuntimeOps.op("Add"), y, l.constant("beta", TensorValue.scalar(a.f("beta", 0.5f))));
    l.replace(0, l.add("", clip(0f, 1f), y));
  });
  /** Erf has no runtime op; it converts only inside the GELU pattern the Gelu fusion pass rewrites. */
  static final OnnxRule ERF = new OnnxRule("Erf", 1, ActivationImport::same, null, l -> {
    throw l.error("Erf is supported only as part of the GELU pattern x·0.5·(1 + erf(x/√2))");
  });

  static final OnnxRule GELU = new OnnxRule("Gelu", 1, ActivationImport::same, null, l -> {
        String approx = l.op().attrs().s("approximate", "none");
        if (!approx.equals("none") && !approx.equals("tanh")) {
          throw l.error("attribute 'approximate' is '" + approx + "', expected 'none' or 'tanh'");
        }
        Lowerings.unary(l, "Gelu", Attributes.builder().set("approximate", approx).build());
      });

  static final OnnxRule HARD_SWISH = unary("HardSwish", "HardSwish");

  private static final Map<String, OnnxRule> UNARY = Map.of(
      "Relu", unary("Relu", "Relu"),
      "Sigmoid", unary("Sigmoid", "Sigmoid"),
      "Tanh", unary("Tanh", "Tanh"),
      "HardSwish", HARD_SWISH,
      "LeakyRelu", new OnnxRule("LeakyRelu", 1, ActivationImport::same, null,
          l -> Lowerings.unary(l, "LeakyRelu",
              Attributes.builder().set("alpha", l.op().attrs().f("alpha", 0.01f)).build())),
      "Gelu", GELU);

  static void register(Map<String, OnnxImporter.Importer> m) {
    for (Map.Entry<String, OnnxRule> e : BINARY.entrySet()) {
      m.put(e.getKey(), n -> {
        if (n.opset() < 7 && n.attrs().has("broadcast")) {
          throw n.error("legacy broadcast attribute is not supported");
        }
        n.emit(e.getValue().op(Attributes.EMPTY), n.in(0), n.in(1));
      });
    }
    for (Map.Entry<String, OnnxRule> e : UNARY.entrySet()) {
      m.put(e.getKey(), n -> n.emit(e.getValue().op(n.attrs()), n.in(0)));
    }
    m.put("HardSigmoid", n -> n.emit(HARD_SIGMOID.op(n.attrs()), n.in(0)));
    m.put("Erf", n -> n.emit(ERF.op(Attributes.EMPTY), n.in(0)));
    m.put("Clip", n -> {
      if (n.opset() < 11) {
        Outlet lo = n.constant("min", TensorValue.scalar(n.attrs().f("min", Float.NEGATIVE_INFINITY)));
        Outlet hi = n.constant("max", TensorValue.scalar(n.attrs().f("max", Float.POSITIVE_INFINITY)));
        n.emit(CLIP.op(Attributes.EMPTY), n.in(0), lo, hi);
      } else {
        n.emit(CLIP.op(Attributes.EMPTY), n.in(0), n.in(1), n.in(2));
      }
    });
    m.put("Softmax", n -> {
      long axis = n.attrs().i("axis", n.opset() < 13 ? 1 : -1);
      Attributes a = Attributes.builder().set("axis", axis).set("coerce_2d", n.opset() < 13 ? 1L : 0L).build();
      n.emit(SOFTMAX.op(a), n.in(0));
    });
  }

  static Fact[] same(Attributes a, Fact[] in) {
    return new Fact[] {Fact.of(in[0].dtype(), in[0].shape())};
  }

  private static OnnxRule unary(String onnx, String runtime) {
    return new OnnxRule(onnx, 1, ActivationImport::same, null, l -> Lowerings.unary(l, runtime, Attributes.EMPTY));
  }

  private static OnnxRule binary(String type, java.util.function.DoubleBinaryOperator f,
      java.util.function.LongBinaryOperator g) {
    return new OnnxRule(type, 2, (a, in) -> {
      if (in[0].dtype() != in[1].dtype()) {
        throw new ConversionException("input types differ: " + in[0].dtype() + " and " + in[1].dtype());
      }
      return new Fact[] {Fact.of(in[0].dtype(), ShapeRules.broadcast(type, in[0].shape(), in[1].shape()))};
    }, (a, in, out) -> {
      try {
        return Eval.binary(in[0], in[1], out, f, g);
      } catch (ArithmeticException e) {
        throw new ConversionException(e.getMessage());
      }
    }, l -> {
      Lowerings.requireFloat(l, 0);
      Lowerings.requireFloat(l, 1);
      l.replace(0, l.add("", RuntimeOps.op(type), l.input(0), l.input(1)));
    });
  }

  /** The runtime op for clamping to [lo, hi]: Relu, Relu6 or Clip. */
  static dev.topiary.converter.ir.Op clip(float lo, float hi) {
    if (lo == 0f && hi == Float.POSITIVE_INFINITY) {
      return RuntimeOps.op("Relu");
    }
    if (lo == 0f && hi == 6f) {
      return RuntimeOps.op("Relu6");
    }
    return RuntimeOps.op("Clip", Attributes.builder().set("min", lo).set("max", hi).build());
  }

  /** The constant bound of a Clip input (±∞ when omitted). */
  static float bound(Lowering l, int i, float dflt) throws ConversionException {
    TensorValue v = Lowerings.optionalConstant(l, i, i == 1 ? "min" : "max");
    if (v == null) {
      return dflt;
    }
    if (v.count() != 1) {
      throw l.error((i == 1 ? "min" : "max") + " must be a scalar, got " + Shapes.format(v.shape()));
    }
    return v.floatAt(0);
  }

  private static void lowerClip(Lowering l) throws ConversionException {
    Lowerings.requireFloat(l, 0);
    float lo = bound(l, 1, Float.NEGATIVE_INFINITY);
    float hi = bound(l, 2, Float.POSITIVE_INFINITY);
    if (Float.isNaN(lo) || Float.isNaN(hi)) {
      throw l.error("min " + lo + " and max " + hi + " must not be NaN");
    }
    if (lo > hi) {
      // ONNX: Clip is min(max, max(x, min)), so min > max sets every value to max.
      lo = hi;
    }
    l.replace(0, l.add("", clip(lo, hi), l.input(0)));
  }

  private static void lowerSoftmax(Lowering l) throws ConversionException {
    Lowerings.requireFloat(l, 0);
    Attributes a = l.op().attrs();
    int[] shape = l.inputFact(0).shape();
    int axis = ShapeRules.axis("axis", a.i("axis", -1), shape.length);
    Attributes last = Attributes.builder().set("axis", -1L).build();
    if (a.i("coerce_2d", 0) == 0 || axis == shape.length - 1) {
      l.replace(0, l.add("", RuntimeOps.op("Softmax", axis == shape.length - 1 ? last
          : Attributes.builder().set("axis", (long) axis).build()), l.input(0)));
      return;
    }
    Outlet f = l.add("as_2d", RuntimeOps.op("Flatten", Attributes.builder().set("axis", (long) axis).build()),
        l.input(0));
    Outlet s = l.add("", RuntimeOps.op("Softmax", last), f);
    l.replace(0, l.add("restore", RuntimeOps.reshape(shape), s));
  }

  static boolean isFloat(Fact f) {
    return f.dtype() == DType.FLOAT32;
  }
}
