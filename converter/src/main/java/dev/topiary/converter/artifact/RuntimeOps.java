package dev.topiary.converter.artifact;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Op;
import dev.topiary.converter.ir.OpRule;
import dev.topiary.converter.ir.ShapeRules;
import dev.topiary.converter.ir.Shapes;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The runtime op set of docs/OPS.md as IR rules: output facts for each op with the runtime's
 * attributes and layout (NHWC for spatial ops), so that passes working after lowering see exactly
 * the shapes the runtime will compute when it loads the artifact.
 */
public final class RuntimeOps {
  private RuntimeOps() {}

  @FunctionalInterface
  private interface FactFn {
    Fact[] facts(Attributes a, Fact[] in) throws ConversionException;
  }

  private record Rule(String type, int minInputs, int maxInputs, FactFn fn) implements OpRule {
    @Override
    public Dialect dialect() {
      return Dialect.RUNTIME;
    }

    @Override
    public Fact[] facts(Op op, Fact[] in, int outputCount) throws ConversionException {
      if (in.length < minInputs || in.length > maxInputs) {
        throw new ConversionException("expects " + minInputs + ".." + maxInputs + " inputs, got " + in.length);
      }
      for (int i = 0; i < minInputs; i++) {
        if (in[i] == null) {
          throw new ConversionException("input " + i + " is required");
        }
      }
      return fn.facts(op.attrs(), in);
    }
  }

  /** Unary ops whose output has the input's fact. */
  public static final Set<String> UNARY =
      Set.of("Relu", "Relu6", "Clip", "Sigmoid", "Tanh", "HardSwish", "LeakyRelu", "Gelu");

  /** Binary ops with NumPy broadcasting. */
  public static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div");

  private static final Map<String, Rule> RULES = new TreeMap<>();

  static {
    add("Conv2D", 2, 3, RuntimeOps::conv2d);
    add("FullyConnected", 2, 3, (a, in) -> {
      int[] x = in[0].shape();
      int[] w = in[1].shape();
      if (w.length != 2 || x.length < 1 || x[x.length - 1] != w[1]) {
        throw new ConversionException("x " + Shapes.format(x) + " and w " + Shapes.format(w) + " do not match");
      }
      x[x.length - 1] = w[0];
      return one(DType.FLOAT32, x);
    });
    add("MatMul", 2, 2, (a, in) -> one(DType.FLOAT32, ShapeRules.matmul(in[0].shape(), in[1].shape())));
    for (String b : BINARY) {
      add(b, 2, 2, (a, in) -> one(in[0].dtype(), ShapeRules.broadcast(b, in[0].shape(), in[1].shape())));
    }
    for (String u : UNARY) {
      add(u, 1, 1, (a, in) -> one(in[0].dtype(), in[0].shape()));
    }
    add("Softmax", 1, 1, (a, in) -> {
      ShapeRules.axis("axis", a.i("axis", -1), in[0].rank());
      return one(in[0].dtype(), in[0].shape());
    });
    add("MaxPool", 1, 1, (a, in) -> pool(a, in[0], true));
    add("AvgPool", 1, 1, (a, in) -> pool(a, in[0], false));
    add("GlobalAvgPool", 1, 1, (a, in) -> {
      int[] x = rank4(in[0]);
      return one(DType.FLOAT32, new int[] {x[0], 1, 1, x[3]});
    });
    add("Reshape", 1, 1, (a, in) -> one(in[0].dtype(),
        ShapeRules.reshape(in[0].shape(), a.ints("shape"), a.i("allowzero", 0) != 0)));
    add("Flatten", 1, 1, (a, in) -> one(in[0].dtype(), ShapeRules.flatten(in[0].shape(), a.i("axis", 1))));
    add("Transpose", 1, 1, (a, in) -> {
      int[] perm = Shapes.toInts(a.ints("perm"));
      if (!Shapes.isPermutation(perm, in[0].rank())) {
        throw new ConversionException("perm " + java.util.Arrays.toString(perm) + " is not a permutation of rank "
            + in[0].rank());
      }
      return one(in[0].dtype(), Shapes.permute(in[0].shape(), perm));
    });
    add("Concat", 1, Integer.MAX_VALUE, (a, in) -> {
      int[][] s = new int[in.length][];
      for (int i = 0; i < in.length; i++) {
        s[i] = in[i].shape();
      }
      return one(in[0].dtype(), ShapeRules.concat(s, a.i("axis", 0)));
    });
    add("Pad", 1, 1, (a, in) -> one(in[0].dtype(), ShapeRules.pad(in[0].shape(), a.ints("pads"))));
    add("Slice", 1, 1, (a, in) -> one(in[0].dtype(), ShapeRules.sliceShape(
        ShapeRules.slice(in[0].shape(), a.ints("starts"), a.ints("ends"), a.ints("axes"), a.ints("steps")))));
    add("Squeeze", 1, 1, (a, in) -> one(in[0].dtype(), ShapeRules.squeeze(in[0].shape(), a.ints("axes"))));
    add("Unsqueeze", 1, 1, (a, in) -> one(in[0].dtype(), ShapeRules.unsqueeze(in[0].shape(), a.ints("axes"))));
    add("Gather", 2, 2, (a, in) -> one(in[0].dtype(), ShapeRules.gather(in[0].shape(), in[1].shape(), a.i("axis", 0))));
    add("BatchNorm", 5, 5, (a, in) -> {
      ShapeRules.axis("axis", a.i("axis", -1), in[0].rank());
      return one(DType.FLOAT32, in[0].shape());
    });
    add("LayerNorm", 2, 3, (a, in) -> {
      ShapeRules.axis("axis", a.i("axis", -1), in[0].rank());
      return one(DType.FLOAT32, in[0].shape());
    });
    add("ReduceMean", 1, 1, (a, in) -> {
      long[] ax = a.ints("axes");
      int r = in[0].rank();
      int[] axes = ax == null ? allAxes(r) : ShapeRules.axes("axes", ax, r);
      return one(DType.FLOAT32, ShapeRules.reduce(in[0].shape(), axes, a.i("keepdims", 1) != 0));
    });
  }

  private static void add(String type, int min, int max, FactFn fn) {
    RULES.put(type, new Rule(type, min, max, fn));
  }

  /** A runtime op of {@code type}; throws IllegalArgumentException for a type docs/OPS.md does not list. */
  public static Op op(String type, Attributes attrs) {
    Rule r = RULES.get(type);
    if (r == null) {
      throw new IllegalArgumentException("not a runtime op type: " + type);
    }
    return new Op(type, attrs, r);
  }

  public static Op op(String type) {
    return op(type, Attributes.EMPTY);
  }

  /**
   * A runtime Reshape to a fully resolved {@code shape}: {@code allowzero = 1}, so a 0 is an empty
   * dimension rather than "copy the input dimension".
   */
  public static Op reshape(int[] shape) {
    return op("Reshape", Attributes.builder().set("shape", shape).set("allowzero", 1L).build());
  }

  /** A Transpose with {@code perm}. */
  public static Op transpose(int[] perm) {
    return op("Transpose", Attributes.builder().set("perm", perm).build());
  }

  /** The runtime op types this converter can write. */
  public static Set<String> types() {
    return RULES.keySet();
  }

  static int[] allAxes(int rank) {
    int[] a = new int[rank];
    for (int i = 0; i < rank; i++) {
      a[i] = i;
    }
    return a;
  }

  private static Fact[] one(DType t, int[] shape) {
    return new Fact[] {Fact.of(t, shape)};
  }

  private static int[] rank4(Fact f) throws ConversionException {
    if (f.rank() != 4) {
      throw new ConversionException("input must be NHWC rank 4, got " + Shapes.format(f.shape()));
    }
    return f.shape();
  }

  private static int[] pair(Attributes a, String name, int dflt) throws ConversionException {
    long[] v = a.ints(name);
    if (v == null) {
      return new int[] {dflt, dflt};
    }
    if (v.length != 2) {
      throw new ConversionException("attribute '" + name + "' needs 2 values");
    }
    return Shapes.toInts(v);
  }

  private static long[] onnxPads(Attributes a) {
    long[] p = a.ints("pads");
    // Runtime order [top, left, bottom, right] is the ONNX [begin_h, begin_w, end_h, end_w].
    return p;
  }

  private static Fact[] conv2d(Attributes a, Fact[] in) throws ConversionException {
    int[] x = rank4(in[0]);
    int[] w = in[1].shape();
    if (w.length != 4) {
      throw new ConversionException("weights must be [O,KH,KW,C/group], got " + Shapes.format(w));
    }
    int group = (int) a.i("group", 1);
    if (group < 1 || x[3] % group != 0 || w[0] % group != 0 || w[3] * group != x[3]) {
      throw new ConversionException("input channels " + x[3] + ", weights " + Shapes.format(w) + " and group "
          + group + " do not match");
    }
    if (in.length > 2 && in[2] != null && (in[2].rank() != 1 || in[2].dim(0) != w[0])) {
      throw new ConversionException("bias must be [" + w[0] + "], got " + Shapes.format(in[2].shape()));
    }
    int[] s = pair(a, "strides", 1);
    int[] d = pair(a, "dilations", 1);
    int[] k = {w[1], w[2]};
    long[] p = ShapeRules.resolvePads(a.s("padding", "EXPLICIT"), new int[] {x[1], x[2]}, k, s, d, onnxPads(a));
    int oh = ShapeRules.windowOut("height", x[1], p[0], p[2], k[0], s[0], d[0], false);
    int ow = ShapeRules.windowOut("width", x[2], p[1], p[3], k[1], s[1], d[1], false);
    return one(DType.FLOAT32, new int[] {x[0], oh, ow, w[0]});
  }

  private static Fact[] pool(Attributes a, Fact f, boolean max) throws ConversionException {
    int[] x = rank4(f);
    int[] k = pair(a, "kernel", 1);
    if (a.ints("kernel") == null) {
      throw new ConversionException("attribute 'kernel' is required");
    }
    int[] s = pair(a, "strides", 1);
    int[] d = max ? pair(a, "dilations", 1) : new int[] {1, 1};
    boolean ceil = a.i("ceil_mode", 0) != 0;
    long[] p = ShapeRules.resolvePads(a.s("padding", "EXPLICIT"), new int[] {x[1], x[2]}, k, s, d, onnxPads(a));
    int oh = ShapeRules.windowOut("height", x[1], p[0], p[2], k[0], s[0], d[0], ceil);
    int ow = ShapeRules.windowOut("width", x[2], p[1], p[3], k[1], s[1], d[1], ceil);
    return one(DType.FLOAT32, new int[] {x[0], oh, ow, x[3]});
  }
}
