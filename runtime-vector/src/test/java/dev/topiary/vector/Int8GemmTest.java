package dev.topiary.vector;

import static org.junit.Assert.assertArrayEquals;

import dev.topiary.internal.cpu.VectorKernels;
import dev.topiary.quantization.FixedPoint;
import java.util.Arrays;
import java.util.Random;
import org.junit.Assume;
import org.junit.Test;

/**
 * Both int8 GEMMs called directly ({@link Int8Panels}, int32 lanes, and {@link Int8SwarPanels},
 * three products per 64-bit lane), A as bytes and as ints, against a scalar loop: int32 sums that
 * wrap, then {@code FixedPoint.multiplyByQuantizedMultiplier}, the zero point and the clamp. The
 * model-level {@code Int8VectorTest} runs only the GEMM the platform selects; this runs both.
 */
public class Int8GemmTest {
  private static final int[][] SHAPES = {
    // rows, k, n
    {1, 1, 1}, {6, 3, 16}, {7, 62, 17}, {13, 63, 33}, {12, 64, 16}, {6, 65, 40}, {25, 189, 96}, {6, 190, 8},
    {19, 1280, 30}, {1, 961, 1000}, {8, 2, 5},
  };

  @Test
  public void intLanesMatchScalarLoop() {
    for (int[] s : SHAPES) {
      check(new Random(s[1] * 31 + s[2]), s[0], s[1], s[2], false);
    }
  }

  @Test
  public void packedLanesMatchScalarLoop() {
    Assume.assumeTrue("no 8-lane LongVector multiply on this platform", Int8SwarPanels.supported());
    for (int[] s : SHAPES) {
      check(new Random(s[1] * 37 + s[2]), s[0], s[1], s[2], true);
    }
  }

  /**
   * Every row count from 1 to 20, so that every remainder modulo {@code MR} ends a tile, and only
   * the rows of the tile are written (the bytes around them are checked too).
   */
  @Test
  public void everyTileEndMatchesScalarLoop() {
    for (int rows = 1; rows <= 20; rows++) {
      check(new Random(rows), rows, 40, 48, false);
      if (Int8SwarPanels.supported()) {
        check(new Random(rows + 100), rows, 80, 48, true);
      }
    }
  }

  /**
   * The largest magnitudes the packing must carry, exactly: every A value −128 or 127 (the same for
   * all rows), every weight −128 or 127, and rows and columns of −128 only, whose 64-bit sums reach
   * the limit of a chunk;
   * the bias cancels each column's sum up to a small remainder, which the identity requantization
   * ({@code 2^30·2^1 / 2^31}) then shows byte for byte. An error of one in any sum is a wrong byte.
   */
  @Test
  public void extremeSumsAreExact() {
    for (boolean packed : new boolean[] {false, true}) {
      if (packed && !Int8SwarPanels.supported()) {
        continue;
      }
      for (int k : new int[] {63, 64, 126, 1000, 2047}) {
        Random r = new Random(k);
        // Rows of −128 (the worst case: with weights of −128 every product is 2^14) or mixed.
        boolean worst = k % 2 == 0;
        int rows = 13;
        int n = 37;
        byte[] w = new byte[n * k];
        byte[] rowValues = new byte[k];
        for (int d = 0; d < k; d++) {
          rowValues[d] = (byte) (!worst && r.nextInt(4) == 0 ? 127 : -128);
        }
        for (int i = 0; i < w.length; i++) {
          // Every third column all −128.
          w[i] = (byte) (i / k % 3 != 0 && r.nextInt(4) == 0 ? 127 : -128);
        }
        int[] bias = new int[n];
        byte[] expected = new byte[rows * n];
        for (int j = 0; j < n; j++) {
          int sum = 0;
          for (int d = 0; d < k; d++) {
            sum += rowValues[d] * w[j * k + d];
          }
          int rest = r.nextInt(255) - 127;
          bias[j] = rest - sum;
          for (int i = 0; i < rows; i++) {
            expected[i * n + j] = (byte) rest;
          }
        }
        int[] mult = new int[n];
        int[] shift = new int[n];
        Arrays.fill(mult, 1 << 30);
        Arrays.fill(shift, 1);
        byte[] a = new byte[rows * k];
        for (int i = 0; i < rows; i++) {
          System.arraycopy(rowValues, 0, a, i * k, k);
        }
        VectorKernels.Int8Gemm g = gemm(packed, n, k, w, bias, mult, shift, 0, -128, 127);
        byte[] got = new byte[rows * n];
        g.compute(new int[Int8Panels.MR * Int8Panels.NR], new long[g.scratchLongs(rows)], a, 0, k, got, 0, n, rows, 0,
            g.panels());
        assertArrayEquals((packed ? "packed" : "int") + " lanes, k = " + k, expected, got);
      }
    }
  }

  private static void check(Random r, int rows, int k, int n, boolean packed) {
    byte[] w = new byte[n * k];
    for (int i = 0; i < w.length; i++) {
      w[i] = (byte) (r.nextInt(256) - 128);
    }
    int[] bias = new int[n];
    int[] mult = new int[n];
    int[] shift = new int[n];
    for (int j = 0; j < n; j++) {
      bias[j] = r.nextInt(1 << 20) - (1 << 19);
      mult[j] = (1 << 30) + r.nextInt(1 << 30);
      shift[j] = -(6 + r.nextInt(8));
    }
    int zp = r.nextInt(21) - 10;
    int lo = -128 + r.nextInt(20);
    int hi = 127 - r.nextInt(20);
    // Rows start at an offset and are padded, so a packing that ignores lda or aOff fails.
    int lda = k + 3;
    int aOff = 5;
    byte[] a = new byte[aOff + rows * lda];
    int[] ai = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = (byte) (r.nextInt(256) - 128);
      ai[i] = a[i];
    }
    int ldc = n + 2;
    byte[] expected = new byte[1 + rows * ldc];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < n; j++) {
        int sum = bias[j];
        for (int d = 0; d < k; d++) {
          sum += a[aOff + i * lda + d] * w[j * k + d];
        }
        int v = FixedPoint.multiplyByQuantizedMultiplier(sum, mult[j], shift[j]) + zp;
        expected[1 + i * ldc + j] = (byte) Math.max(lo, Math.min(hi, v));
      }
    }
    VectorKernels.Int8Gemm g = gemm(packed, n, k, w, bias, mult, shift, zp, lo, hi);
    String what = (packed ? "packed" : "int") + " lanes, " + rows + "×" + k + "×" + n;
    for (int form = 0; form < 2; form++) {
      byte[] got = new byte[expected.length];
      int[] s = new int[Int8Panels.MR * Int8Panels.NR];
      long[] ls = new long[g.scratchLongs(rows)];
      // Two calls over halves of the panels, as two workers would make them.
      int half = g.panels() / 2;
      for (int[] range : new int[][] {{0, half}, {half, g.panels()}}) {
        if (form == 0) {
          g.compute(s, ls, a, aOff, lda, got, 1, ldc, rows, range[0], range[1]);
        } else {
          g.compute(s, ls, ai, aOff, lda, got, 1, ldc, rows, range[0], range[1]);
        }
      }
      assertArrayEquals(what + (form == 0 ? ", byte rows" : ", int rows"), expected, got);
    }
  }

  private static VectorKernels.Int8Gemm gemm(boolean packed, int n, int k, byte[] w, int[] bias, int[] mult,
      int[] shift, int zp, int lo, int hi) {
    Int8Requant rq = new Int8Requant(n, Int8Requant.pad(n), mult, shift, zp, lo, hi);
    return packed ? new Int8SwarPanels(n, k, w, 0, bias, rq) : new Int8Panels(n, k, w, 0, bias, rq);
  }
}
