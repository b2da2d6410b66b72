package dev.topiary.converter.onnx;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Fact;
import dev.topiary.converter.ir.Lowering;
import dev.topiary.converter.ir.Op;
import dev.topiary.converter.ir.OpRule;
import dev.topiary.converter.ir.TensorValue;

/**
 * An ONNX-dialect rule assembled from three functions: output facts (required), evaluation over
 * constants (optional: ops with it are constant-folded) and lowering to runtime ops (optional:
 * ops without it can only exist when folded away).
 */
final class OnnxRule implements OpRule {
  @FunctionalInterface
  interface Facts {
    Fact[] apply(Attributes a, Fact[] in) throws ConversionException;
  }

  @FunctionalInterface
  interface Eval {
    TensorValue apply(Attributes a, TensorValue[] in, Fact out) throws ConversionException;
  }

  @FunctionalInterface
  interface Lower {
    void apply(Lowering l) throws ConversionException;
  }

  private final String type;
  private final int minInputs;
  private final Facts facts;
  private final Eval eval;
  private final Lower lower;

  OnnxRule(String type, int minInputs, Facts facts, Eval eval, Lower lower) {
    this.type = type;
    this.minInputs = minInputs;
    this.facts = facts;
    this.eval = eval;
    this.lower = lower;
  }

  Op op(Attributes a) {
    return new Op(type, a, this);
  }

  @Override
  public Dialect dialect() {
    return Dialect.ONNX;
  }

  @Override
  public Fact[] facts(Op op, Fact[] in, int outputCount) throws ConversionException {
    if (in.length < minInputs) {
      throw new ConversionException("expects at least " + minInputs + " inputs, got " + in.length);
    }
    for (int i = 0; i < minInputs; i++) {
      if (in[i] == null) {
        throw new ConversionException("input " + i + " is required");
      }
    }
    Fact[] f = facts.apply(op.attrs(), in);
    if (f.length < outputCount) {
      Fact[] g = java.util.Arrays.copyOf(f, outputCount);
      for (int i = f.length; i < outputCount; i++) {
        g[i] = f[0];
      }
      return g;
    }
    return f.length == outputCount ? f : java.util.Arrays.copyOf(f, outputCount);
  }

  @Override
  public boolean foldable(Op op) {
    return eval != null;
  }

  @Override
  public TensorValue[] eval(Op op, TensorValue[] inputs, Fact[] outputs) throws ConversionException {
    if (eval == null) {
      return null;
    }
    TensorValue[] out = new TensorValue[outputs.length];
    out[0] = eval.apply(op.attrs(), inputs, outputs[0]);
    return out;
  }

  @Override
  public void lower(Lowering l) throws ConversionException {
    if (lower == null) {
      throw l.error("cannot run in the runtime: its inputs are only known at run time, and Topiary computes "
          + type + " only at conversion time");
    }
    lower.apply(l);
  }

  @Override
  public String toString() {
    return "onnx." + type;
  }
}
