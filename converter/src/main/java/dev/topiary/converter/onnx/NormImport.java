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
 * BatchNormalization (inference only: spatial = 1 before opset 9, training_mode = 0 from 14),
 * LayerNormalization (opset 17) and ReduceMean (axes as an attribute before opset 18, as an input
 * from 18, with noop_with_empty_axes).
 */
final class NormImport {
  private NormImport() {}

  static final OnnxRule BATCH_NORM = new OnnxRule("BatchNormalization", 5, (a, in) -> {
    int[] x = in[0].shape();
    if (x.length < 2) {
      throw new ConversionException("input must have rank >= 2, got " + Shapes.format(x));
    }
    for (int i = 1; i < 5; i++) {
      if (in[i].rank() != 1 || in[i].dim(0) != x[1]) {
        throw new ConversionException("input " + i + " must be [" + x[1] + "], got " + Shapes.format(in[i].shape()));
      }
    }
    return new Fact[] {Fact.of(in[0].dtype(), x)};
  }, null, NormImport::lowerBatchNorm);

  static final OnnxRule LAYER_NORM = new OnnxRule("LayerNormalization", 2, (a, in) -> {
    int[] x = in[0].shape();
    int axis = ShapeRules.axis("axis", a.i("axis", -1), x.length);
    int[] tail = java.util.Arrays.copyOfRange(x, axis, x.length);
    for (int i = 1; i < Math.min(3, in.length); i++) {
      if (in[i] != null) {
        int[] b = Shapes.broadcast(tail, in[i].shape());
        if (b == null || !java.util.Arrays.equals(b, tail)) {
          throw new ConversionException("input " + i + " " + Shapes.format(in[i].shape())
              + " does not broadcast to the normalized dims " + Shapes.format(tail));
        }
      }
    }
    int[] stat = x.clone();
    for (int i = axis; i < x.length; i++) {
      stat[i] = 1;
    }
    return new Fact[] {Fact.of(in[0].dtype(), x), Fact.of(DType.FLOAT32, stat), Fact.of(DType.FLOAT32, stat)};
  }, null, l -> {
    Lowerings.requireFloat(l, 0);
    if (l.outputUsed(1) || l.outputUsed(2)) {
      throw l.error("the Mean and InvStdDev outputs are not supported");
    }
    Attributes a = l.op().attrs();
    long axis = ShapeRules.axis("axis", a.i("axis", -1), l.inputFact(0).rank());
    Outlet scale = l.constant("scale", Lowerings.f32(Lowerings.constant(l, 1, "scale")));
    TensorValue b = Lowerings.optionalConstant(l, 2, "bias");
    Attributes ra = Attributes.builder().set("axis", axis).set("epsilon", a.f("epsilon", 1e-5f)).build();
    l.replace(0, b == null ? l.add("", RuntimeOps.op("LayerNorm", ra), l.input(0), scale)
        : l.add("", RuntimeOps.op("LayerNorm", ra), l.input(0), scale, l.constant("bias", Lowerings.f32(b))));
  });

  static final OnnxRule REDUCE_MEAN = new OnnxRule("ReduceMean", 1, (a, in) -> {
    int[] x = in[0].shape();
    int[] axes = reduceAxes(a, in.length > 1 ? in[1] : null, x.length);
    if (axes == null) {
      return new Fact[] {Fact.of(in[0].dtype(), x)};
    }
    return new Fact[] {Fact.of(in[0].dtype(), ShapeRules.reduce(x, axes, a.i("keepdims", 1) != 0))};
  }, null, l -> {
    Lowerings.requireFloat(l, 0);
    Attributes a = l.op().attrs();
    int[] axes = reduceAxes(a, l.inputFact(1), l.inputFact(0).rank());
    if (axes == null) {
      Lowerings.passThrough(l);
      return;
    }
    l.replace(0, l.add("", RuntimeOps.op("ReduceMean", Attributes.builder().set("axes", axes)
        .set("keepdims", a.i("keepdims", 1) != 0 ? 1L : 0L).build()), l.input(0)));
  });

  static void register(Map<String, OnnxImporter.Importer> m) {
    m.put("BatchNormalization", n -> {
      if (n.opset() < 9 && n.attrs().i("spatial", 1) != 1) {
        throw n.error("spatial = 0 (per-element statistics) is not supported");
      }
      if (n.attrs().i("training_mode", 0) != 0) {
        throw n.error("training_mode = 1 is not supported (export the model in eval mode)");
      }
      Attributes a = Attributes.builder().set("epsilon", n.attrs().f("epsilon", 1e-5f)).build();
      n.emit(BATCH_NORM.op(a), n.in(0), n.in(1), n.in(2), n.in(3), n.in(4));
    });
    m.put("LayerNormalization", n -> n.emit(LAYER_NORM.op(n.attrs()), n.in(0), n.in(1), n.in(2)));
    m.put("ReduceMean", n -> {
      Attributes.Builder a = Attributes.builder().set("keepdims", n.attrs().i("keepdims", 1));
      if (n.opset() < 18) {
        Outlet axes = n.attrs().has("axes") ? n.constant("axes", TensorValue.vector(n.attrs().ints("axes")))
            : Outlet.NONE;
        n.emit(REDUCE_MEAN.op(a.build()), n.in(0), axes);
      } else {
        a.set("noop_with_empty_axes", n.attrs().i("noop_with_empty_axes", 0));
        n.emit(REDUCE_MEAN.op(a.build()), n.in(0), n.in(1));
      }
    });
  }

  /** Normalized reduction axes; all axes when none are given; null for a no-op reduction. */
  private static int[] reduceAxes(Attributes a, Fact axes, int rank) throws ConversionException {
    long[] ax = axes == null ? new long[0] : ShapeImport.requireConst(axes, "axes").longs();
    if (ax.length == 0) {
      if (a.i("noop_with_empty_axes", 0) != 0) {
        return null;
      }
      int[] all = new int[rank];
      for (int i = 0; i < rank; i++) {
        all[i] = i;
      }
      return all;
    }
    return ShapeRules.axes("axes", ax, rank);
  }

  private static void lowerBatchNorm(Lowering l) throws ConversionException {
    Lowerings.requireFloat(l, 0);
    for (int s = 1; s < 3; s++) {
      if (l.outputUsed(s)) {
        throw l.error("running statistics outputs are training-only and not supported");
      }
    }
    Outlet[] p = new Outlet[5];
    p[0] = l.input(0);
    String[] names = {"", "scale", "bias", "mean", "var"};
    for (int i = 1; i < 5; i++) {
      p[i] = l.constant(names[i], Lowerings.f32(Lowerings.constant(l, i, names[i])));
    }
    Attributes a = Attributes.builder().set("epsilon", l.op().attrs().f("epsilon", 1e-5f)).set("axis", 1L).build();
    l.replace(0, l.add("", RuntimeOps.op("BatchNorm", a), p));
  }
}
