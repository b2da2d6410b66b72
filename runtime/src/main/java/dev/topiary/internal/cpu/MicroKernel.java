package dev.topiary.internal.cpu;

/**
 * The inner loops shared by {@link Gemm} and {@link TransposedGemm}: one accumulator row of
 * {@link #W} floats updated with up to {@link #KC} rows of a block, {@code acc[j] += Σ_q x_q ·
 * block[q][j]}, everything in one scratch array at constant offsets.
 *
 * <p>Why it looks like this (HotSpot C2, JDK 11–25, no Vector API):
 * <ul>
 *   <li>C2 vectorises a loop only when all float array accesses in it share one loop-invariant
 *       offset, so accumulator, block and scalars live in one scratch array at compile-time
 *       constant offsets (multiples of 16 floats, so every access has the same alignment).
 *   <li>C2 unrolls (and so vectorises) only small loop bodies: four block rows per loop, five loads
 *       and one store per four multiply-adds, is the largest body it still widens fully.
 *   <li>C2 picks the vector width from the loop's profiled trip count: loops of 64 run 4 floats
 *       wide, loops of 192 or more use the full 16. {@link #full} therefore always runs exactly
 *       {@code W = 256} iterations (its profile never sees anything else); narrower tiles go
 *       through {@link #tail}, a separate copy with its own profile.
 * </ul>
 * The sum is left-associated, so products are added one at a time in ascending depth: the order
 * of the plain reference loops.
 */
final class MicroKernel {
  /** Loop length and row stride of the block. */
  static final int W = 256;
  /** Block depth: {@code KC × W} floats (16 KiB) stay in L1. */
  static final int KC = 16;

  // Scratch layout, floats from index 0.
  //   [0, ACC)          block: row q at q·W (unless the caller passes a packed block)
  //   [ACC, ACC + W)    accumulator
  //   [XS, XS + KC)     the KC scalars x_q (zero beyond the block depth)
  //   [BIAS, BIAS + W)  a row for the caller's epilogue (Gemm keeps its panel bias there)
  static final int ACC = KC * W;
  static final int XS = ACC + W;
  static final int BIAS = XS + KC;
  static final int END = BIAS + W;

  private MicroKernel() {}

  /**
   * {@code acc[j] += Σ_{q < kb} x_q · block[q][j]} for {@code j < W}, the block being rows of
   * {@code blk} at {@code q·W}: the scratch itself, or a block packed at load time (an array of
   * its own, so also at constant offsets). Block rows and scalars beyond {@code kb}, up to the
   * next multiple of 4, must be zero.
   */
  static void full(float[] s, float[] blk, int kb) {
    float x0 = s[XS];
    float x1 = s[XS + 1];
    float x2 = s[XS + 2];
    float x3 = s[XS + 3];
    for (int j = 0; j < W; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[j] + x1 * blk[W + j] + x2 * blk[2 * W + j] + x3 * blk[3 * W + j];
    }
    if (kb <= 4) {
      return;
    }
    x0 = s[XS + 4];
    x1 = s[XS + 5];
    x2 = s[XS + 6];
    x3 = s[XS + 7];
    for (int j = 0; j < W; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[4 * W + j] + x1 * blk[5 * W + j] + x2 * blk[6 * W + j] + x3 * blk[7 * W + j];
    }
    if (kb <= 8) {
      return;
    }
    x0 = s[XS + 8];
    x1 = s[XS + 9];
    x2 = s[XS + 10];
    x3 = s[XS + 11];
    for (int j = 0; j < W; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[8 * W + j] + x1 * blk[9 * W + j] + x2 * blk[10 * W + j] + x3 * blk[11 * W + j];
    }
    if (kb <= 12) {
      return;
    }
    x0 = s[XS + 12];
    x1 = s[XS + 13];
    x2 = s[XS + 14];
    x3 = s[XS + 15];
    for (int j = 0; j < W; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[12 * W + j] + x1 * blk[13 * W + j] + x2 * blk[14 * W + j] + x3 * blk[15 * W + j];
    }
  }

  /** As {@link #full} for the first {@code w < W} columns. */
  static void tail(float[] s, float[] blk, int kb, int w) {
    float x0 = s[XS];
    float x1 = s[XS + 1];
    float x2 = s[XS + 2];
    float x3 = s[XS + 3];
    for (int j = 0; j < w; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[j] + x1 * blk[W + j] + x2 * blk[2 * W + j] + x3 * blk[3 * W + j];
    }
    if (kb <= 4) {
      return;
    }
    x0 = s[XS + 4];
    x1 = s[XS + 5];
    x2 = s[XS + 6];
    x3 = s[XS + 7];
    for (int j = 0; j < w; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[4 * W + j] + x1 * blk[5 * W + j] + x2 * blk[6 * W + j] + x3 * blk[7 * W + j];
    }
    if (kb <= 8) {
      return;
    }
    x0 = s[XS + 8];
    x1 = s[XS + 9];
    x2 = s[XS + 10];
    x3 = s[XS + 11];
    for (int j = 0; j < w; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[8 * W + j] + x1 * blk[9 * W + j] + x2 * blk[10 * W + j] + x3 * blk[11 * W + j];
    }
    if (kb <= 12) {
      return;
    }
    x0 = s[XS + 12];
    x1 = s[XS + 13];
    x2 = s[XS + 14];
    x3 = s[XS + 15];
    for (int j = 0; j < w; j++) {
      s[ACC + j] = s[ACC + j] + x0 * blk[12 * W + j] + x1 * blk[13 * W + j] + x2 * blk[14 * W + j] + x3 * blk[15 * W + j];
    }
  }

  /** Runs {@link #full} or {@link #tail}. */
  static void accumulate(float[] s, float[] blk, int kb, int w) {
    if (w == W) {
      full(s, blk, kb);
    } else {
      tail(s, blk, kb, w);
    }
  }

  /** Zeroes the scratch block's rows {@code [kb, next multiple of 4)}. */
  static void padRows(float[] s, int kb) {
    int padded = (kb + 3) & ~3;
    for (int i = kb * W; i < padded * W; i++) {
      s[i] = 0f;
    }
  }

  /** Zeroes scalars {@code [kb, KC)}. */
  static void padScalars(float[] s, int kb) {
    for (int q = kb; q < KC; q++) {
      s[XS + q] = 0f;
    }
  }

  /** Applies an activation to {@code s[off, off + w)} in place (a loop over one array: vectorises). */
  static void activate(float[] s, int off, int w, Gemm.Act act, float lo, float hi) {
    switch (act) {
      case CLAMP:
        // Math.max/min vectorise but cost a few instructions each (NaN and -0 rules): skip an
        // infinite bound (RELU has no upper one).
        if (hi == Float.POSITIVE_INFINITY) {
          for (int j = off; j < off + w; j++) {
            s[j] = Math.max(s[j], lo);
          }
        } else if (lo == Float.NEGATIVE_INFINITY) {
          for (int j = off; j < off + w; j++) {
            s[j] = Math.min(s[j], hi);
          }
        } else {
          for (int j = off; j < off + w; j++) {
            s[j] = Math.min(Math.max(s[j], lo), hi);
          }
        }
        break;
      case HARD_SWISH:
        for (int j = off; j < off + w; j++) {
          float x = s[j];
          s[j] = x * Math.min(Math.max(x + 3f, 0f), 6f) * (1f / 6f);
        }
        break;
      default:
        break;
    }
  }
}
