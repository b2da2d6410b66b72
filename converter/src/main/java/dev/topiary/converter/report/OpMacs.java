package dev.topiary.converter.report;

/**
 * Multiply-accumulates of one run of a runtime op, from resolved shapes (the runtime-artifact
 * counterpart of {@code prune.Macs}, which counts IR graphs):
 *
 * <ul>
 *   <li>{@code Conv2D}: {@code |out| · KH · KW · C/group}, from {@code w [O,KH,KW,C/group]};
 *   <li>{@code FullyConnected}: {@code |out| · K}, from {@code x [..., K]};
 *   <li>{@code MatMul}: {@code |out| · K}, K the last dimension of {@code a} (its only one when rank 1).
 * </ul>
 *
 * Every other op counts 0: elementwise ops, pools and data movement do no multiply-accumulate.
 */
public final class OpMacs {
  private OpMacs() {}

  /**
   * MACs of op {@code op} with input shapes {@code inputs} (null for an omitted input) and first
   * output shape {@code output}.
   */
  public static long of(String op, int[][] inputs, int[] output) {
    switch (op) {
      case "Conv2D": {
        int[] w = inputs.length > 1 ? inputs[1] : null;
        if (w == null || w.length != 4) {
          return 0;
        }
        return count(output) * w[1] * w[2] * w[3];
      }
      case "FullyConnected":
      case "MatMul": {
        int[] a = inputs.length > 0 ? inputs[0] : null;
        if (a == null) {
          return 0;
        }
        return count(output) * (a.length == 0 ? 1 : a[a.length - 1]);
      }
      default:
        return 0;
    }
  }

  static long count(int[] shape) {
    long c = 1;
    for (int d : shape) {
      c *= d;
    }
    return c;
  }
}
