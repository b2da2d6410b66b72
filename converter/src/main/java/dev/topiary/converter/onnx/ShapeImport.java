package dev.topiary.converter.onnx;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.artifact.RuntimeOps;
import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Lowering;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.ShapeRules;
import dev.topiary.converter.ir.Shapes;
import dev.topiary.converter.ir.TensorValue;
import java.util.Map;

/**
 * Shape and data-movement ops, and the ones that only exist to compute shapes: Reshape (shape as
 * an input from opset 5, allowzero), Flatten, Transpose, Concat, Pad (opset &lt; 11 attributes,
 * from 11 inputs, from 18 axes), Slice (opset &lt; 10 attributes, from 10 inputs), Squeeze and
 * Unsqueeze (opset &lt; 13 attributes, from 13 inputs), Gather, Shape (start/end from 15),
 * ConstantOfShape, Cast, Identity, Dropout and Constant. All of them are evaluated over constants,
 * so PyTorch's Shape→Gather→Unsqueeze→Concat→Reshape chains fold to a constant shape.
 */
final class ShapeImport {
  private ShapeImport() {}

  static final OnnxRule RESHAPE = new OnnxRule("Reshape", 2, (a, in) -> {
    TensorValue shape = requireConst(in[1], "shape");
    return one(in[0].dtype(), ShapeRules.reshape(in[0].shape(), shape.longs(), a.i("allowzero", 0) != 0));
  }, (a, in, out) -> in[0].reshape(out.shape()),
      l -> l.replace(0, l.add("", RuntimeOps.reshape(l.outputFact(0).shape()), l.input(0))));

  static final OnnxRule FLATTEN = new OnnxRule("Flatten", 1,
      (a, in) -> one(in[0].dtype(), ShapeRules.flatten(in[0].shape(), a.i("axis", 1))),
      (a, in, out) -> in[0].reshape(out.shape()),
      l -> {
        int r = l.inputFact(0).rank();
        long axis = l.op().attrs().i("axis", 1);
        l.replace(0, l.add("", RuntimeOps.op("Flatten",
            Attributes.builder().set("axis", axis < 0 ? axis + r : axis).build()), l.input(0)));
      });

  static final OnnxRule TRANSPOSE = new OnnxRule("Transpose", 1,
      (a, in) -> one(in[0].dtype(), Shapes.permute(in[0].shape(), perm(a, in[0].rank()))),
      (a, in, out) -> in[0].transpose(perm(a, in[0].rank())),
      l -> l.replace(0, l.add("", RuntimeOps.transpose(perm(l.op().attrs(), l.inputFact(0).rank())), l.input(0))));

  static final OnnxRule CONCAT = new OnnxRule("Concat", 1, (a, in) -> {
    int[][] s = new int[in.length][];
    for (int i = 0; i < in.length; i++) {
      if (in[i] == null) {
        throw new ConversionException("input " + i + " is missing");
      }
      if (in[i].dtype() != in[0].dtype()) {
        throw new ConversionException("input " + i + " is " + in[i].dtype() + ", input 0 is " + in[0].dtype());
      }
      s[i] = in[i].shape();
    }
    return one(in[0].dtype(), ShapeRules.concat(s, a.i("axis", 0)));
  }, (a, in, out) -> Eval.concat(in, ShapeRules.axis("axis", a.i("axis", 0), in[0].rank()), out.shape()),
      l -> {
        int r = l.inputFact(0).rank();
        Outlet[] ins = new Outlet[l.node().inputs().size()];
        for (int i = 0; i < ins.length; i++) {
          ins[i] = l.input(i);
        }
        long axis = ShapeRules.axis("axis", l.op().attrs().i("axis", 0), r);
        l.replace(0, l.add("", RuntimeOps.op("Concat", Attributes.builder().set("axis", axis).build()), ins));
      });

  static final OnnxRule PAD = new OnnxRule("Pad", 2, (a, in) -> one(in[0].dtype(),
      ShapeRules.pad(in[0].shape(), pads(in))), (a, in, out) -> {
        if (!a.s("mode", "constant").equals("constant")) {
          return null;
        }
        return Eval.pad(in[0], pads(facts(in)), padValue(in), out.shape());
      }, ShapeImport::lowerPad);

  static final OnnxRule SLICE = new OnnxRule("Slice", 3, (a, in) -> one(in[0].dtype(),
      ShapeRules.sliceShape(sliceRanges(in))), (a, in, out) -> Eval.slice(in[0], sliceRanges(facts(in))),
      ShapeImport::lowerSlice);

  static final OnnxRule SQUEEZE = new OnnxRule("Squeeze", 1, (a, in) -> one(in[0].dtype(),
      ShapeRules.squeeze(in[0].shape(), in.length > 1 && in[1] != null ? requireConst(in[1], "axes").longs() : null)),
      (a, in, out) -> in[0].reshape(out.shape()), l -> {
        int[] s = l.inputFact(0).shape();
        long[] axes;
        if (l.input(1).isNone()) {
          int n = 0;
          for (int d : s) {
            n += d == 1 ? 1 : 0;
          }
          axes = new long[n];
          int k = 0;
          for (int i = 0; i < s.length; i++) {
            if (s[i] == 1) {
              axes[k++] = i;
            }
          }
        } else {
          axes = Shapes.toLongs(ShapeRules.axes("axes", Lowerings.constant(l, 1, "axes").longs(), s.length));
        }
        l.replace(0, l.add("", RuntimeOps.op("Squeeze", Attributes.builder().set("axes", axes).build()), l.input(0)));
      });

  static final OnnxRule UNSQUEEZE = new OnnxRule("Unsqueeze", 2, (a, in) -> one(in[0].dtype(),
      ShapeRules.unsqueeze(in[0].shape(), requireConst(in[1], "axes").longs())),
      (a, in, out) -> in[0].reshape(out.shape()), l -> {
        int rank = l.outputFact(0).rank();
        long[] axes = Shapes.toLongs(ShapeRules.axes("axes", Lowerings.constant(l, 1, "axes").longs(), rank));
        l.replace(0, l.add("", RuntimeOps.op("Unsqueeze", Attributes.builder().set("axes", axes).build()),
            l.input(0)));
      });

  static final OnnxRule GATHER = new OnnxRule("Gather", 2, (a, in) -> {
    if (in[1].dtype() != DType.INT64 && in[1].dtype() != DType.INT32) {
      throw new ConversionException("indices must be INT32 or INT64, got " + in[1].dtype());
    }
    return one(in[0].dtype(), ShapeRules.gather(in[0].shape(), in[1].shape(), a.i("axis", 0)));
  }, (a, in, out) -> Eval.gather(in[0], in[1], ShapeRules.axis("axis", a.i("axis", 0), in[0].rank()), out.shape()),
      l -> {
        long axis = ShapeRules.axis("axis", l.op().attrs().i("axis", 0), l.inputFact(0).rank());
        l.replace(0, l.add("", RuntimeOps.op("Gather", Attributes.builder().set("axis", axis).build()),
            l.input(0), l.input(1)));
      });

  static final OnnxRule SHAPE = new OnnxRule("Shape", 1, (a, in) -> {
    int[] s = in[0].shape();
    int r = s.length;
    long start = clampIndex(a.i("start", 0), r);
    long end = clampIndex(a.i("end", r), r);
    long[] v = new long[(int) Math.max(0, end - start)];
    for (int i = 0; i < v.length; i++) {
      v[i] = s[(int) start + i];
    }
    return new Fact[] {Fact.of(TensorValue.vector(v))};
  }, null, null);

  static final OnnxRule CONSTANT_OF_SHAPE = new OnnxRule("ConstantOfShape", 1, (a, in) -> {
    long[] dims = requireConst(in[0], "shape").longs();
    int[] shape = new int[dims.length];
    long count = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
        throw new ConversionException("shape has invalid dimension " + dims[i]);
      }
      shape[i] = (int) dims[i];
      count *= dims[i];
      if (count > (1 << 26)) {
        throw new ConversionException("a constant of " + java.util.Arrays.toString(dims) + " is too large to fold");
      }
    }
    TensorValue v = a.tensor("value");
    if (v == null) {
      return new Fact[] {Fact.of(TensorValue.ofFloats(DType.FLOAT32, shape, new float[(int) count]))};
    }
    if (v.count() != 1) {
      throw new ConversionException("attribute 'value' must hold one element");
    }
    int[] idx = new int[(int) count];
    return new Fact[] {Fact.of(v.reshape(new int[0]).gatherFlat(shape, idx))};
  }, null, null);

  static final OnnxRule CAST = new OnnxRule("Cast", 1,
      (a, in) -> one(DType.valueOf(a.s("to", "FLOAT32")), in[0].shape()),
      (a, in, out) -> in[0].cast(out.dtype()), l -> {
        if (l.inputFact(0).dtype() != l.outputFact(0).dtype()) {
          throw l.error("casting " + l.inputFact(0).dtype() + " to " + l.outputFact(0).dtype()
              + " at run time is not supported (only casts of constants, which are folded)");
        }
        Lowerings.passThrough(l);
      });

  static final OnnxRule IDENTITY = new OnnxRule("Identity", 1, ActivationImport::same, (a, in, out) -> in[0],
      Lowerings::passThrough);

  static final OnnxRule DROPOUT = new OnnxRule("Dropout", 1,
      (a, in) -> new Fact[] {Fact.of(in[0].dtype(), in[0].shape()), Fact.of(DType.BOOL, in[0].shape())},
      null, l -> {
        if (l.outputUsed(1)) {
          throw l.error("the mask output is not supported");
        }
        Lowerings.passThrough(l);
      });

  static void register(Map<String, OnnxImporter.Importer> m) {
    m.put("Reshape", n -> {
      if (n.opset() < 5) {
        n.emit(RESHAPE.op(Attributes.EMPTY), n.in(0), n.constant("shape", TensorValue.vector(n.requireInts("shape"))));
      } else {
        n.emit(RESHAPE.op(Attributes.builder().set("allowzero", n.attrs().i("allowzero", 0)).build()),
            n.in(0), n.in(1));
      }
    });
    m.put("Flatten", n -> n.emit(FLATTEN.op(n.attrs()), n.in(0)));
    m.put("Transpose", n -> n.emit(TRANSPOSE.op(n.attrs()), n.in(0)));
    m.put("Concat", n -> n.emit(CONCAT.op(n.attrs()), n.inputs()));
    m.put("Pad", n -> {
      if (n.opset() < 11) {
        Attributes a = Attributes.builder().set("mode", n.attrs().s("mode", "constant")).build();
        n.emit(PAD.op(a), n.in(0), n.constant("pads", TensorValue.vector(n.requireInts("pads"))),
            n.constant("value", TensorValue.scalar(n.attrs().f("value", 0f))));
      } else {
        n.emit(PAD.op(n.attrs()), n.inputs());
      }
    });
    m.put("Slice", n -> {
      if (n.opset() < 10) {
        Outlet axes = n.attrs().has("axes") ? n.constant("axes", TensorValue.vector(n.attrs().ints("axes")))
            : Outlet.NONE;
        n.emit(SLICE.op(Attributes.EMPTY), n.in(0), n.constant("starts", TensorValue.vector(n.requireInts("starts"))),
            n.constant("ends", TensorValue.vector(n.requireInts("ends"))), axes);
      } else {
        n.emit(SLICE.op(Attributes.EMPTY), n.inputs());
      }
    });
    m.put("Squeeze", n -> {
      if (n.opset() < 13) {
        n.emit(SQUEEZE.op(Attributes.EMPTY), n.in(0),
            n.attrs().has("axes") ? n.constant("axes", TensorValue.vector(n.attrs().ints("axes"))) : Outlet.NONE);
      } else {
        n.emit(SQUEEZE.op(Attributes.EMPTY), n.in(0), n.in(1));
      }
    });
    m.put("Unsqueeze", n -> {
      if (n.opset() < 13) {
        n.emit(UNSQUEEZE.op(Attributes.EMPTY), n.in(0), n.constant("axes", TensorValue.vector(n.requireInts("axes"))));
      } else {
        n.requireInput(1);
        n.emit(UNSQUEEZE.op(Attributes.EMPTY), n.in(0), n.in(1));
      }
    });
    m.put("Gather", n -> n.emit(GATHER.op(n.attrs()), n.in(0), n.in(1)));
    m.put("Shape", n -> n.emit(SHAPE.op(n.attrs()), n.in(0)));
    m.put("ConstantOfShape", n -> n.emit(CONSTANT_OF_SHAPE.op(n.attrs()), n.in(0)));
    m.put("Cast", n -> {
      int to = (int) n.attrs().i("to", 0);
      DType t = OnnxReader.dtype(to);
      if (t == null) {
        throw n.error("cast to " + OnnxReader.typeName(to) + " is not supported");
      }
      n.emit(CAST.op(Attributes.builder().set("to", t.name()).build()), n.in(0));
    });
    m.put("Identity", n -> n.emit(IDENTITY.op(Attributes.EMPTY), n.in(0)));
    m.put("Dropout", n -> {
      if (n.attrs().i("is_test", 1) == 0) {
        throw n.error("Dropout in training mode (is_test = 0) is not supported");
      }
      n.emit(DROPOUT.op(Attributes.EMPTY), n.in(0), n.in(1), n.in(2));
    });
    m.put("Constant", n -> n.emit(IrOps.constant(constantValue(n))));
  }

  private static TensorValue constantValue(NodeImport n) throws ConversionException {
    Attributes a = n.attrs();
    if (a.has("value") && a.get("value") instanceof TensorValue) {
      return a.tensor("value");
    }
    if (a.has("value_float")) {
      return TensorValue.scalar(a.f("value_float", 0f));
    }
    if (a.has("value_floats")) {
      float[] v = a.floats("value_floats");
      return TensorValue.ofFloats(new int[] {v.length}, v);
    }
    if (a.has("value_int")) {
      return TensorValue.ofLongs(new int[0], a.i("value_int", 0));
    }
    if (a.has("value_ints")) {
      return TensorValue.vector(a.ints("value_ints"));
    }
    throw n.error("only tensor, float(s) and int(s) values are supported (attributes: " + a.names() + ")");
  }

  static Fact[] one(DType t, int[] shape) {
    return new Fact[] {Fact.of(t, shape)};
  }

  static TensorValue requireConst(Fact f, String what) throws ConversionException {
    if (f == null || !f.isConstant()) {
      throw new ConversionException(what + " is computed at run time; Topiary needs static shapes, so it must be "
          + "constant at conversion time");
    }
    return f.value();
  }

  private static long clampIndex(long i, int r) {
    long v = i < 0 ? i + r : i;
    return Math.max(0, Math.min(r, v));
  }

  static int[] perm(Attributes a, int rank) throws ConversionException {
    long[] p = a.ints("perm");
    int[] perm = new int[rank];
    if (p == null) {
      for (int i = 0; i < rank; i++) {
        perm[i] = rank - 1 - i;
      }
      return perm;
    }
    perm = Shapes.toInts(p);
    if (!Shapes.isPermutation(perm, rank)) {
      throw new ConversionException("perm " + java.util.Arrays.toString(p) + " is not a permutation of rank " + rank);
    }
    return perm;
  }

  /** Full-rank pads [b_0..b_{r-1}, e_0..e_{r-1}] from the pads input and the optional axes input. */
  private static long[] pads(Fact[] in) throws ConversionException {
    int r = in[0].rank();
    long[] p = requireConst(in[1], "pads").longs();
    if (in.length < 4 || in[3] == null) {
      return p;
    }
    long[] ax = requireConst(in[3], "axes").longs();
    if (p.length != 2 * ax.length) {
      throw new ConversionException("pads needs " + 2 * ax.length + " values for " + ax.length + " axes");
    }
    long[] full = new long[2 * r];
    for (int i = 0; i < ax.length; i++) {
      int a = ShapeRules.axis("axes", ax[i], r);
      full[a] = p[i];
      full[a + r] = p[i + ax.length];
    }
    return full;
  }

  private static float padValue(TensorValue[] in) {
    return in.length > 2 && in[2] != null && in[2].count() > 0 ? in[2].floatAt(0) : 0f;
  }

  private static void lowerPad(Lowering l) throws ConversionException {
    Lowerings.requireFloat(l, 0);
    String mode = l.op().attrs().s("mode", "constant");
    if (!mode.equals("constant") && !mode.equals("reflect") && !mode.equals("edge")) {
      throw l.error("pad mode '" + mode + "' is not supported (constant, reflect, edge)");
    }
    Fact[] in = new Fact[Math.max(4, l.node().inputs().size())];
    for (int i = 0; i < in.length; i++) {
      in[i] = l.inputFact(i);
    }
    TensorValue v = Lowerings.optionalConstant(l, 2, "constant_value");
    Attributes a = Attributes.builder().set("pads", pads(in)).set("mode", mode)
        .set("value", v == null || v.count() == 0 ? 0f : v.floatAt(0)).build();
    l.replace(0, l.add("", RuntimeOps.op("Pad", a), l.input(0)));
  }

  private static long[][] sliceRanges(Fact[] in) throws ConversionException {
    return ShapeRules.slice(in[0].shape(), requireConst(in[1], "starts").longs(), requireConst(in[2], "ends").longs(),
        in.length > 3 && in[3] != null ? requireConst(in[3], "axes").longs() : null,
        in.length > 4 && in[4] != null ? requireConst(in[4], "steps").longs() : null);
  }

  private static Fact[] facts(TensorValue[] in) {
    Fact[] f = new Fact[in.length];
    for (int i = 0; i < in.length; i++) {
      f[i] = in[i] == null ? null : Fact.of(in[i]);
    }
    return f;
  }

  private static long[] clamp32(long[] v) {
    long[] out = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v[i]));
    }
    return out;
  }

  private static void lowerSlice(Lowering l) throws ConversionException {
    int r = l.inputFact(0).rank();
    long[] starts = Lowerings.constant(l, 1, "starts").longs();
    long[] ends = Lowerings.constant(l, 2, "ends").longs();
    TensorValue ax = Lowerings.optionalConstant(l, 3, "axes");
    TensorValue st = Lowerings.optionalConstant(l, 4, "steps");
    long[] axes = new long[starts.length];
    for (int i = 0; i < axes.length; i++) {
      axes[i] = ax == null ? i : ShapeRules.axis("axes", ax.longAt(i), r);
    }
    Attributes.Builder b = Attributes.builder().set("starts", clamp32(starts)).set("ends", clamp32(ends))
        .set("axes", axes);
    if (st != null) {
      b.set("steps", st.longs());
    }
    l.replace(0, l.add("", RuntimeOps.op("Slice", b.build()), l.input(0)));
  }
}
