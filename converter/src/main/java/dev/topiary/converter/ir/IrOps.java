package dev.topiary.converter.ir;

import dev.topiary.converter.ConversionException;

/** The two structural ops: {@code Input} (a graph input with its declared fact) and {@code Const}. */
public final class IrOps {
  private IrOps() {}

  private static final OpRule INPUT = new OpRule() {
    @Override
    public Dialect dialect() {
      return Dialect.IR;
    }

    @Override
    public Fact[] facts(Op op, Fact[] inputs, int outputCount) {
      long[] s = op.attrs().ints("shape");
      return new Fact[] {Fact.of(DType.valueOf(op.attrs().s("dtype", "FLOAT32")), s == null ? null : Shapes.toInts(s))};
    }
  };

  private static final OpRule CONST = new OpRule() {
    @Override
    public Dialect dialect() {
      return Dialect.IR;
    }

    @Override
    public Fact[] facts(Op op, Fact[] inputs, int outputCount) throws ConversionException {
      return new Fact[] {Fact.of(op.attrs().tensor("value"))};
    }
  };

  /** A graph input of {@code dtype} and {@code shape} (null: rank unknown; −1: dimension unknown). */
  public static Op input(DType dtype, int[] shape) {
    Attributes.Builder b = Attributes.builder().set("dtype", dtype.name());
    if (shape != null) {
      b.set("shape", shape);
    }
    return new Op("Input", b.build(), INPUT);
  }

  public static Op constant(TensorValue v) {
    return new Op("Const", Attributes.builder().set("value", v).build(), CONST);
  }

  public static boolean isConst(Op op) {
    return op.rule() == CONST;
  }

  public static boolean isInput(Op op) {
    return op.rule() == INPUT;
  }
}
