package dev.topiary.converter.onnx;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.artifact.RuntimeOps;
import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Lowering;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.TensorValue;

/** Helpers shared by the op families' lowerings: constants, layout transposes, simple rewrites. */
final class Lowerings {
  private Lowerings() {}

  /** NCHW → NHWC. */
  static final int[] TO_NHWC = {0, 2, 3, 1};
  /** NHWC → NCHW. */
  static final int[] TO_NCHW = {0, 3, 1, 2};

  /** The constant value of input {@code i}, or an error naming {@code what}. */
  static TensorValue constant(Lowering l, int i, String what) throws ConversionException {
    Fact f = l.inputFact(i);
    if (f == null) {
      throw l.error(what + " (input " + i + ") is missing");
    }
    if (!f.isConstant()) {
      throw l.error(what + " (input " + i + ") is computed at run time; Topiary needs it constant at conversion time");
    }
    return f.value();
  }

  /** The value of optional input {@code i} (null when omitted), which must be constant when present. */
  static TensorValue optionalConstant(Lowering l, int i, String what) throws ConversionException {
    return l.input(i).isNone() ? null : constant(l, i, what);
  }

  /** Fails unless input {@code i} is FLOAT32 (the runtime's compute type). */
  static void requireFloat(Lowering l, int i) throws ConversionException {
    Fact f = l.inputFact(i);
    if (f != null && f.dtype() != DType.FLOAT32) {
      throw l.error("input " + i + " is " + f.dtype() + "; the runtime computes this op in FLOAT32 only");
    }
  }

  /** A float constant as FLOAT32 (FLOAT16 and FLOAT64 values are widened/narrowed). */
  static TensorValue f32(TensorValue v) {
    return v.dtype() == DType.FLOAT32 ? v : v.cast(DType.FLOAT32);
  }

  /** Runs {@code op} on {@code x} in NHWC: transposes in, op, transposes out. */
  static Outlet nhwc(Lowering l, String what, Outlet x, java.util.function.Function<Outlet, Outlet> body) {
    Outlet t = l.add(what + "_to_nhwc", RuntimeOps.transpose(TO_NHWC), x);
    Outlet y = body.apply(t);
    return l.add(what + "_to_nchw", RuntimeOps.transpose(TO_NCHW), y);
  }

  /** Adds a runtime unary op on input 0 and replaces output 0 with it. */
  static void unary(Lowering l, String type, Attributes a) throws ConversionException {
    requireFloat(l, 0);
    l.replace(0, l.add("", RuntimeOps.op(type, a), l.input(0)));
  }

  /** Output 0 becomes input 0 (Identity-like). */
  static void passThrough(Lowering l) {
    l.replace(0, l.input(0));
  }
}
