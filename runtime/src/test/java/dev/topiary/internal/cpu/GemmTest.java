package dev.topiary.internal.cpu;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.testing.TestSupport;
import java.util.Random;
import org.junit.Test;

/**
 * The GEMM engine on its own: odd sizes, strided operands, every B source, and the promise that a
 * value does not depend on how rows and panels are split.
 */
public class GemmTest {
  /** C = act(A·B + bias) summed in ascending k from 0, the order the engine promises. */
  private static float[] naive(float[] a, int lda, float[] b, int ldb, float[] bias, int m, int n, int k,
      Gemm.Act act, float lo, float hi) {
    float[] c = new float[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float s = 0f;
        for (int kk = 0; kk < k; kk++) {
          s += a[i * lda + kk] * b[kk * ldb + j];
        }
        if (bias != null) {
          s += bias[j];
        }
        if (act == Gemm.Act.CLAMP) {
          s = Math.min(Math.max(s, lo), hi);
        } else if (act == Gemm.Act.HARD_SWISH) {
          s = s * Math.min(Math.max(s + 3f, 0f), 6f) * (1f / 6f);
        }
        c[i * n + j] = s;
      }
    }
    return c;
  }

  /** Runs every tile of {@code g}, rows split into tiles of {@code rows}; C is m × n with stride ldc. */
  private static float[] compute(Gemm g, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int ldc,
      int rows) {
    float[] s = new float[Gemm.SCRATCH];
    float[] c = new float[3 + Math.max(0, g.m() * ldc)];
    for (int p = 0; p < g.panels(); p++) {
      for (int i0 = 0; i0 < g.m(); i0 += rows) {
        g.compute(s, a, aOff + i0 * lda, lda, b, bOff, ldb, c, 3 + i0 * ldc, ldc, Math.min(rows, g.m() - i0), p);
      }
    }
    float[] dense = new float[g.m() * g.n()];
    for (int i = 0; i < g.m(); i++) {
      System.arraycopy(c, 3 + i * ldc, dense, i * g.n(), g.n());
    }
    return dense;
  }

  @Test
  public void everyBSourceMatchesTheNaiveProduct() {
    Random r = new Random(42);
    int[] ms = {0, 1, 2, 7, 31, 65};
    int[] ns = {1, 3, 16, 17, 255, 256, 257, 600};
    int[] ks = {0, 1, 3, 4, 15, 16, 17, 33, 100};
    Gemm.Act[] acts = Gemm.Act.values();
    for (int t = 0; t < 120; t++) {
      int m = ms[r.nextInt(ms.length)];
      int n = ns[r.nextInt(ns.length)];
      int k = ks[r.nextInt(ks.length)];
      int lda = k + r.nextInt(3);
      int ldb = n + r.nextInt(3);
      int ldc = n + r.nextInt(3);
      float[] a = TestSupport.randomFloats(r, 5 + m * lda, -1, 1);
      float[] b = TestSupport.randomFloats(r, 2 + k * ldb, -1, 1);
      float[] bias = r.nextBoolean() ? TestSupport.randomFloats(r, n, -1, 1) : null;
      Gemm.Act act = acts[r.nextInt(acts.length)];
      float[] aa = new float[m * lda];
      System.arraycopy(a, 5, aa, 0, aa.length);
      float[] bb = new float[k * ldb];
      System.arraycopy(b, 2, bb, 0, bb.length);
      float[] expected = naive(aa, lda, bb, ldb, bias, m, n, k, act, -0.25f, 0.5f);
      // B transposed: bt[j][kk] = B[kk][j].
      float[] bt = new float[n * k];
      for (int kk = 0; kk < k; kk++) {
        for (int j = 0; j < n; j++) {
          bt[j * k + kk] = bb[kk * ldb + j];
        }
      }
      String what = m + "x" + n + "x" + k + " " + act + (bias != null ? " bias" : "");
      int rows = 1 + r.nextInt(40);
      Gemm rowMajor = new Gemm(m, n, k, Gemm.Packed.ofRowMajor(b, 2, ldb, k, n), bias, act, -0.25f, 0.5f);
      Gemm transposed = new Gemm(m, n, k, Gemm.Packed.ofTransposed(bt, 0, k, k, n), bias, act, -0.25f, 0.5f);
      Gemm computed = new Gemm(m, n, k, null, bias, act, -0.25f, 0.5f);
      TestSupport.assertClose(what + " packed row-major", expected, compute(rowMajor, a, 5, lda, null, 0, 0, ldc, rows),
          0, 0);
      TestSupport.assertClose(what + " packed transposed", expected,
          compute(transposed, a, 5, lda, null, 0, 0, ldc, rows), 0, 0);
      TestSupport.assertClose(what + " computed", expected, compute(computed, a, 5, lda, b, 2, ldb, ldc, rows), 0, 0);
    }
  }

  @Test
  public void transposedEngineMatchesTheNaiveProduct() {
    Random r = new Random(43);
    int[] ms = {0, 1, 5, 255, 256, 257, 600};
    int[] ns = {1, 3, 16, 17, 64, 191};
    int[] ks = {0, 1, 3, 4, 16, 17, 40};
    Gemm.Act[] acts = Gemm.Act.values();
    for (int t = 0; t < 80; t++) {
      int m = ms[r.nextInt(ms.length)];
      int n = ns[r.nextInt(ns.length)];
      int k = ks[r.nextInt(ks.length)];
      int lda = k + r.nextInt(3);
      int ldc = n + r.nextInt(3);
      float[] a = TestSupport.randomFloats(r, 5 + m * lda, -1, 1);
      float[] b = TestSupport.randomFloats(r, k * n, -1, 1);
      float[] bias = r.nextBoolean() ? TestSupport.randomFloats(r, n, -1, 1) : null;
      Gemm.Act act = acts[r.nextInt(acts.length)];
      float[] aa = new float[m * lda];
      System.arraycopy(a, 5, aa, 0, aa.length);
      float[] expected = naive(aa, lda, b, n, bias, m, n, k, act, -0.25f, 0.5f);
      float[] bt = new float[2 + n * k];
      for (int kk = 0; kk < k; kk++) {
        for (int j = 0; j < n; j++) {
          bt[2 + j * k + kk] = b[kk * n + j];
        }
      }
      TransposedGemm g = new TransposedGemm(m, n, k, bias, act, -0.25f, 0.5f);
      float[] s = new float[TransposedGemm.scratchFloats(n, k)];
      float[] c1 = new float[m * ldc];
      float[] c2 = new float[m * ldc];
      int splits = 1 + r.nextInt(Math.min(n, 4));
      for (int tile = 0; tile < g.tiles(); tile++) {
        // B stored [K][N] (column j at stride 1, depth at stride n) in one column range, and
        // [N][K] (weights) in several.
        g.compute(s, TransposedGemm.ROW_MAJOR, a, 5, lda, b, 0, 1, n, c1, 0, ldc, tile, 0, n);
        for (int split = 0; split < splits; split++) {
          g.compute(s, TransposedGemm.ROW_MAJOR, a, 5, lda, bt, 2, k, 1, c2, 0, ldc, tile,
              Parallel.chunkStart(n, split, splits), Parallel.chunkStart(n, split + 1, splits));
        }
      }
      String what = m + "x" + n + "x" + k + " " + act + (bias != null ? " bias" : "");
      TestSupport.assertClose(what + " [K][N]", expected, dense(c1, m, n, ldc), 0, 0);
      TestSupport.assertClose(what + " [N][K]", expected, dense(c2, m, n, ldc), 0, 0);
    }
  }

  private static float[] dense(float[] c, int m, int n, int ldc) {
    float[] d = new float[m * n];
    for (int i = 0; i < m; i++) {
      System.arraycopy(c, i * ldc, d, i * n, n);
    }
    return d;
  }

  @Test
  public void resultsDoNotDependOnTheRowSplit() {
    Random r = new Random(7);
    int m = 97;
    int n = 300;
    int k = 45;
    float[] a = TestSupport.randomFloats(r, m * k, -1, 1);
    float[] b = TestSupport.randomFloats(r, k * n, -1, 1);
    Gemm g = new Gemm(m, n, k, Gemm.Packed.ofRowMajor(b, 0, n, k, n), null, Gemm.Act.NONE, 0, 0);
    float[] whole = compute(g, a, 0, k, null, 0, 0, n, m);
    for (int rows : new int[] {1, 2, 5, 16, 64}) {
      float[] split = compute(g, a, 0, k, null, 0, 0, n, rows);
      for (int i = 0; i < whole.length; i++) {
        assertEquals("rows per tile " + rows + ", element " + i, Float.floatToRawIntBits(whole[i]),
            Float.floatToRawIntBits(split[i]));
      }
    }
  }

  @Test
  public void columnSplitsOnlyWhenWorkersWouldIdle() {
    TransposedGemm oneTile = new TransposedGemm(49, 64, 9, null, Gemm.Act.NONE, 0, 0);
    assertEquals(1, oneTile.columnSplits(1, 1));
    assertEquals(4, oneTile.columnSplits(1, 2));
    assertEquals(1, oneTile.columnSplits(4, 2));
    TransposedGemm narrow = new TransposedGemm(49, 10, 9, null, Gemm.Act.NONE, 0, 0);
    assertEquals(2, narrow.columnSplits(1, 4));
    TransposedGemm many = new TransposedGemm(3136, 32, 9, null, Gemm.Act.NONE, 0, 0);
    assertEquals(1, many.columnSplits(1, 4));
  }

  @Test
  public void rowsPerTileBalancesAndStaysInBounds() {
    assertEquals(1, Gemm.rowsPerTile(0, 1, 4, 64));
    assertEquals(1, Gemm.rowsPerTile(1, 1, 4, 64));
    assertEquals(64, Gemm.rowsPerTile(10_000, 1, 1, 64));
    assertEquals(3, Gemm.rowsPerTile(100, 1, 2, 3));
    for (int m = 1; m < 300; m += 7) {
      for (int workers = 1; workers <= 4; workers++) {
        int rows = Gemm.rowsPerTile(m, 2, workers, 64);
        assertTrue(rows >= 1 && rows <= 64 && rows <= Math.max(m, 1));
      }
    }
  }

  @Test
  public void argumentsAreChecked() {
    try {
      new Gemm(2, 3, 4, Gemm.Packed.ofRowMajor(new float[12], 0, 4, 3, 4), null, Gemm.Act.NONE, 0, 0);
      fail();
    } catch (IllegalArgumentException e) {
      assertEquals("packed B is 3x4, expected 4x3", e.getMessage());
    }
    try {
      new Gemm(2, 3, 4, null, new float[2], Gemm.Act.NONE, 0, 0);
      fail();
    } catch (IllegalArgumentException e) {
      assertEquals("bias has 2 values, expected 3", e.getMessage());
    }
  }

  /** Packing from the transposed layout (offset, padded rows) gives exactly the row-major packing. */
  @Test
  public void transposedPackingEqualsRowMajorPacking() {
    java.util.Random r = new java.util.Random(11);
    int[][] shapes = {{1, 1}, {3, 5}, {16, 256}, {17, 257}, {33, 600}, {5, 513}, {40, 255}};
    for (int[] s : shapes) {
      int k = s[0];
      int n = s[1];
      int off = r.nextInt(4);
      int ldbt = k + r.nextInt(3);
      float[] bt = TestSupport.randomFloats(r, off + n * ldbt, -1, 1);
      float[] b = new float[k * n];
      for (int kk = 0; kk < k; kk++) {
        for (int j = 0; j < n; j++) {
          b[kk * n + j] = bt[off + j * ldbt + kk];
        }
      }
      Gemm.Packed t = Gemm.Packed.ofTransposed(bt, off, ldbt, k, n);
      Gemm.Packed m = Gemm.Packed.ofRowMajor(b, 0, n, k, n);
      String what = k + "x" + n;
      org.junit.Assert.assertEquals(what, m.blocks.length, t.blocks.length);
      for (int i = 0; i < m.blocks.length; i++) {
        org.junit.Assert.assertArrayEquals(what + " block " + i, m.blocks[i], t.blocks[i], 0f);
      }
      org.junit.Assert.assertArrayEquals(what + " tail", m.tail, t.tail, 0f);
    }
  }
}
