package dev.topiary.converter.onnx;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.artifact.RuntimeOps;
import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Lowering;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Shapes;
import java.util.Arrays;
import java.util.Map;

/**
 * MaxPool, AveragePool (1-D and 2-D; ceil_mode, dilations, count_include_pad, auto_pad),
 * GlobalAveragePool and GlobalMaxPool. They lower to the runtime's NHWC pools between transposes;
 * a 1-D pool runs as 2-D with height 1.
 */
final class PoolImport {
  private PoolImport() {}

  static final OnnxRule MAX_POOL = new OnnxRule("MaxPool", 1, (a, in) -> facts(a, in, true), null,
      l -> lower(l, true));
  static final OnnxRule AVG_POOL = new OnnxRule("AveragePool", 1, (a, in) -> facts(a, in, false), null,
      l -> lower(l, false));
  static final OnnxRule GLOBAL_AVG = new OnnxRule("GlobalAveragePool", 1, PoolImport::globalFacts, null,
      l -> lowerGlobal(l, false));
  static final OnnxRule GLOBAL_MAX = new OnnxRule("GlobalMaxPool", 1, PoolImport::globalFacts, null,
      l -> lowerGlobal(l, true));

  static void register(Map<String, OnnxImporter.Importer> m) {
    m.put("MaxPool", n -> {
      if (n.attrs().i("storage_order", 0) != 0) {
        throw n.error("storage_order 1 (column-major indices) is not supported");
      }
      n.emit(MAX_POOL.op(n.attrs()), n.in(0));
    });
    m.put("AveragePool", n -> n.emit(AVG_POOL.op(n.attrs()), n.in(0)));
    m.put("GlobalAveragePool", n -> n.emit(GLOBAL_AVG.op(n.attrs()), n.in(0)));
    m.put("GlobalMaxPool", n -> n.emit(GLOBAL_MAX.op(n.attrs()), n.in(0)));
  }

  private static int[] spatialIn(Fact x) throws ConversionException {
    int[] s = x.shape();
    if (s.length != 3 && s.length != 4) {
      throw new ConversionException("only 1-D and 2-D pooling is supported, input is " + Shapes.format(s));
    }
    return Arrays.copyOfRange(s, 2, s.length);
  }

  private static Fact[] facts(Attributes a, Fact[] in, boolean max) throws ConversionException {
    int[] sp = spatialIn(in[0]);
    if (!max && a.has("dilations") && !allOnes(a.ints("dilations"))) {
      throw new ConversionException("AveragePool with dilations is not supported");
    }
    LinearImport.Window w = LinearImport.window(a, sp.length, null);
    int[] o = LinearImport.windowOut(w, sp, a.i("ceil_mode", 0) != 0);
    int[] s = in[0].shape();
    int[] out = s.clone();
    System.arraycopy(o, 0, out, 2, o.length);
    Fact y = Fact.of(in[0].dtype(), out);
    return new Fact[] {y, Fact.of(dev.topiary.converter.ir.DType.INT64, out)};
  }

  private static boolean allOnes(long[] v) {
    for (long x : v) {
      if (x != 1) {
        return false;
      }
    }
    return true;
  }

  private static void lower(Lowering l, boolean max) throws ConversionException {
    Lowerings.requireFloat(l, 0);
    if (max && l.outputUsed(1)) {
      throw l.error("the Indices output is not supported");
    }
    Attributes a = l.op().attrs();
    int rank = l.inputFact(0).rank();
    LinearImport.Window w = LinearImport.window(a, rank - 2, null);
    Outlet x = l.input(0);
    boolean oneD = rank == 3;
    if (oneD) {
      w = LinearImport.as2d(w);
      x = l.add("as_2d", RuntimeOps.op("Unsqueeze", Attributes.builder().set("axes", new long[] {2}).build()), x);
    }
    Attributes.Builder b = LinearImport.conv2dAttrs(w).set("kernel", w.kernel())
        .set("ceil_mode", a.i("ceil_mode", 0));
    if (max) {
      b.set("dilations", w.dilations());
    } else {
      b.remove("dilations").set("count_include_pad", a.i("count_include_pad", 0));
    }
    Attributes ra = b.build();
    Outlet y = Lowerings.nhwc(l, "pool", x, t -> l.add("", RuntimeOps.op(max ? "MaxPool" : "AvgPool", ra), t));
    if (oneD) {
      y = l.add("as_1d", RuntimeOps.op("Squeeze", Attributes.builder().set("axes", new long[] {2}).build()), y);
    }
    l.replace(0, y);
  }

  private static Fact[] globalFacts(Attributes a, Fact[] in) throws ConversionException {
    int[] s = in[0].shape();
    if (s.length < 3) {
      throw new ConversionException("input must have rank >= 3, got " + Shapes.format(s));
    }
    int[] out = s.clone();
    for (int i = 2; i < out.length; i++) {
      out[i] = 1;
    }
    return new Fact[] {Fact.of(in[0].dtype(), out)};
  }

  private static void lowerGlobal(Lowering l, boolean max) throws ConversionException {
    Lowerings.requireFloat(l, 0);
    int[] s = l.inputFact(0).shape();
    if (s.length != 4) {
      if (max) {
        throw l.error("GlobalMaxPool is supported on rank-4 inputs only");
      }
      long[] axes = new long[s.length - 2];
      for (int i = 0; i < axes.length; i++) {
        axes[i] = i + 2;
      }
      l.replace(0, l.add("", RuntimeOps.op("ReduceMean",
          Attributes.builder().set("axes", axes).set("keepdims", 1L).build()), l.input(0)));
      return;
    }
    l.replace(0, Lowerings.nhwc(l, "pool", l.input(0), t -> max
        ? l.add("", RuntimeOps.op("MaxPool", Attributes.builder().set("kernel", new int[] {s[2], s[3]}).build()), t)
        : l.add("", RuntimeOps.op("GlobalAvgPool"), t)));
  }
}
