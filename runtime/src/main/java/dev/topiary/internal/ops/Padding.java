package dev.topiary.internal.ops;

import java.util.Arrays;

/**
 * Output sizes and padding of windowed ops (pools, convolutions), shared so that every op pads the
 * same way. For each spatial dimension with input {@code in}, kernel {@code k}, stride {@code s},
 * dilation {@code d}, the window spans {@code e = d·(k − 1) + 1} input positions and:
 * <ul>
 *   <li>{@code EXPLICIT}: pads as given ({@code [begin_0.., end_0..]}, e.g. {@code [top, left,
 *       bottom, right]}); {@code out = floor((in + pb + pe − e)/s) + 1}.
 *   <li>{@code VALID}: no padding; same formula.
 *   <li>{@code SAME_UPPER}/{@code SAME_LOWER}: {@code out = ceil(in/s)}, total padding
 *       {@code max((out − 1)·s + e − in, 0)} split evenly, the odd element at the end (UPPER) or
 *       the start (LOWER). {@code ceilMode} does not apply.
 *   <li>{@code ceilMode} (EXPLICIT, VALID): {@code out} rounds up instead, but a last window that
 *       would start at or after {@code in + pb} (entirely in the end padding) is dropped: the
 *       ONNX / PyTorch rule. The last window may then reach past the end padding; kernels clip
 *       windows to the input (and, for counting padded positions, to the padded extent).
 * </ul>
 */
public final class Padding {
  private Padding() {}

  /** Padding modes as spelled in the {@code padding} attribute. */
  public static final String EXPLICIT = "EXPLICIT";
  public static final String VALID = "VALID";
  public static final String SAME_UPPER = "SAME_UPPER";
  public static final String SAME_LOWER = "SAME_LOWER";

  /**
   * Resolves padding and output sizes for {@code n = in.length} spatial dimensions.
   *
   * @param mode EXPLICIT, VALID, SAME_UPPER or SAME_LOWER
   * @param explicitPads {@code 2n} pads (begins, then ends) for EXPLICIT; for other modes null or
   *     all zero
   * @return {@code 3n} values: begin pads, end pads, output sizes
   * @throws IllegalArgumentException naming the bad value: unknown mode, non-positive kernel,
   *     stride or dilation, negative pads, pads with a non-EXPLICIT mode, or a window larger than the
   *     padded input
   */
  public static int[] resolve(String mode, int[] explicitPads, int[] in, int[] kernel, int[] strides,
      int[] dilations, boolean ceilMode) {
    int n = in.length;
    if (kernel.length != n || strides.length != n || dilations.length != n) {
      throw new IllegalArgumentException("kernel, strides and dilations need " + n + " values each, got "
          + Arrays.toString(kernel) + ", " + Arrays.toString(strides) + ", " + Arrays.toString(dilations));
    }
    for (int i = 0; i < n; i++) {
      if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1) {
        throw new IllegalArgumentException("kernel, strides and dilations must be >= 1, got kernel "
            + Arrays.toString(kernel) + ", strides " + Arrays.toString(strides) + ", dilations "
            + Arrays.toString(dilations));
      }
    }
    boolean explicit = EXPLICIT.equals(mode);
    if (!explicit && !VALID.equals(mode) && !SAME_UPPER.equals(mode) && !SAME_LOWER.equals(mode)) {
      throw new IllegalArgumentException(
          "unknown padding '" + mode + "' (expected EXPLICIT, VALID, SAME_UPPER or SAME_LOWER)");
    }
    if (explicitPads != null) {
      if (explicitPads.length != 2 * n) {
        throw new IllegalArgumentException("pads need " + 2 * n + " values, got " + Arrays.toString(explicitPads));
      }
      for (int p : explicitPads) {
        if (p < 0) {
          throw new IllegalArgumentException("pads must be >= 0, got " + Arrays.toString(explicitPads));
        }
        if (p != 0 && !explicit) {
          throw new IllegalArgumentException(
              "pads " + Arrays.toString(explicitPads) + " are only allowed with padding EXPLICIT, got " + mode);
        }
      }
    }
    int[] r = new int[3 * n];
    for (int i = 0; i < n; i++) {
      long window = (long) dilations[i] * (kernel[i] - 1) + 1;
      long s = strides[i];
      long size = in[i];
      if (SAME_UPPER.equals(mode) || SAME_LOWER.equals(mode)) {
        long out = (size + s - 1) / s;
        long total = Math.max((out - 1) * s + window - size, 0);
        long small = total / 2;
        long big = total - small;
        r[i] = (int) (SAME_UPPER.equals(mode) ? small : big);
        r[n + i] = (int) (SAME_UPPER.equals(mode) ? big : small);
        r[2 * n + i] = (int) out;
        continue;
      }
      long pb = explicit && explicitPads != null ? explicitPads[i] : 0;
      long pe = explicit && explicitPads != null ? explicitPads[n + i] : 0;
      long span = size + pb + pe - window;
      if (span < 0) {
        throw new IllegalArgumentException("window " + window + " (kernel " + kernel[i] + ", dilation "
            + dilations[i] + ") is larger than the padded input " + (size + pb + pe) + " along spatial dimension "
            + i);
      }
      long out = (ceilMode ? (span + s - 1) / s : span / s) + 1;
      if (ceilMode && (out - 1) * s >= size + pb) {
        out--;
      }
      if (out > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("output size " + out + " too large along spatial dimension " + i);
      }
      r[i] = (int) pb;
      r[n + i] = (int) pe;
      r[2 * n + i] = (int) out;
    }
    return r;
  }
}
