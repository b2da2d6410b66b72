package dev.topiary.converter.onnx;

import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.Op;

/** ONNX-dialect ops that passes create outside the importer. */
public final class OnnxOps {
  private OnnxOps() {}

  /** ONNX {@code Gelu} (opset 20) with {@code approximate} "none" or "tanh". */
  public static Op gelu(String approximate) {
    return ActivationImport.GELU.op(Attributes.builder().set("approximate", approximate).build());
  }

  /** ONNX {@code HardSwish} (opset 14). */
  public static Op hardSwish() {
    return ActivationImport.HARD_SWISH.op(Attributes.EMPTY);
  }
}
