package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.OpTesting.coords;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import java.util.Random;
import org.junit.Test;

/**
 * The copy engine under every data-movement op: random views (permuted layouts, steps of 1 or 2,
 * negative strides, size-1 and empty dims) against a naive per-element loop, with and without the
 * tiled transpose, for each mover.
 */
public class StridedCopyTest {
  private static final DataType[] ONE_PER_STORAGE = {DataType.FLOAT32, DataType.INT32, DataType.INT64, DataType.INT8};

  /** A random injective layout of {@code dims}: permuted dense strides, scaled by ±1 or ±2. */
  private static int[] randomStrides(Random r, int[] dims) {
    int rank = dims.length;
    int[] order = new int[rank];
    for (int i = 0; i < rank; i++) {
      order[i] = i;
    }
    for (int i = rank - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int[] s = new int[rank];
    int acc = 1 + r.nextInt(2);
    for (int i = rank - 1; i >= 0; i--) {
      int k = order[i];
      s[k] = r.nextInt(3) == 0 ? -acc : acc;
      acc *= Math.max(1, dims[k]) * (r.nextInt(4) == 0 ? 2 : 1);
    }
    return s;
  }

  /** The offset of the view's first element so that every element index is >= pad. */
  private static int base(int[] dims, int[] strides, int pad) {
    int b = pad;
    for (int k = 0; k < dims.length; k++) {
      if (strides[k] < 0 && dims[k] > 0) {
        b += -strides[k] * (dims[k] - 1);
      }
    }
    return b;
  }

  private static int extent(int[] dims, int[] strides, int base) {
    int hi = base;
    for (int k = 0; k < dims.length; k++) {
      if (strides[k] > 0 && dims[k] > 0) {
        hi += strides[k] * (dims[k] - 1);
      }
    }
    return hi + 1;
  }

  @Test
  public void randomViewsMatchNaiveLoop() {
    Random r = new Random(17);
    for (int trial = 0; trial < 400; trial++) {
      DataType t = ONE_PER_STORAGE[trial % ONE_PER_STORAGE.length];
      Mover m = Mover.of(t);
      int rank = 1 + r.nextInt(5);
      int[] dims = OpTesting.randomShape(r, rank, 1, trial % 5 == 0 ? 40 : 5);
      if (trial % 23 == 0) {
        dims[r.nextInt(rank)] = 0;
      }
      int[] ss = randomStrides(r, dims);
      int[] ds = randomStrides(r, dims);
      int sb = base(dims, ss, r.nextInt(3));
      int db = base(dims, ds, r.nextInt(3));
      Object src = OpTesting.random(r, t, extent(dims, ss, sb) + 2);
      Object initial = OpTesting.random(r, t, extent(dims, ds, db) + 2);
      Object expected = OpTesting.fromLongs(t, new long[OpTesting.length(initial)]);
      System.arraycopy(initial, 0, expected, 0, OpTesting.length(initial));
      int n = OpTesting.count(dims);
      for (int i = 0; i < n; i++) {
        int[] c = coords(i, dims);
        int so = sb;
        int dO = db;
        for (int k = 0; k < rank; k++) {
          so += c[k] * ss[k];
          dO += c[k] * ds[k];
        }
        System.arraycopy(src, so, expected, dO, 1);
      }
      for (boolean tiled : new boolean[] {false, true}) {
        Object actual = OpTesting.fromLongs(t, new long[OpTesting.length(initial)]);
        System.arraycopy(initial, 0, actual, 0, OpTesting.length(initial));
        StridedCopy.plan(m, dims, ss, ds, tiled).run(src, sb, actual, db);
        String what = "trial " + trial + " " + t + " dims " + OpTesting.str(dims) + " src " + OpTesting.str(ss)
            + " dst " + OpTesting.str(ds) + (tiled ? " tiled" : "");
        assertSameArray(what, expected, actual);
      }
    }
  }

  private static void assertSameArray(String what, Object expected, Object actual) {
    if (expected instanceof float[]) {
      assertArrayEquals(what, (float[]) expected, (float[]) actual, 0f);
    } else if (expected instanceof int[]) {
      assertArrayEquals(what, (int[]) expected, (int[]) actual);
    } else if (expected instanceof long[]) {
      assertArrayEquals(what, (long[]) expected, (long[]) actual);
    } else {
      assertArrayEquals(what, (byte[]) expected, (byte[]) actual);
    }
  }

  @Test
  public void denseViewsMergeIntoOneRun() {
    StridedCopy c = StridedCopy.plan(Mover.F32, new int[] {2, 3, 4}, new int[] {12, 4, 1}, new int[] {12, 4, 1}, true);
    assertEquals(true, c.isRuns());
    float[] src = new float[24];
    float[] dst = new float[24];
    for (int i = 0; i < 24; i++) {
      src[i] = i;
    }
    c.run(src, 0, dst, 0);
    assertArrayEquals(src, dst, 0f);
  }

  @Test
  public void fillConvertsToTheElementType() {
    float[] f = new float[3];
    Mover.F32.fill(f, 1, 2, -2.5);
    assertArrayEquals(new float[] {0, -2.5f, -2.5f}, f, 0f);
    int[] i = new int[2];
    Mover.I32.fill(i, 0, 2, -2.9);
    assertArrayEquals(new int[] {-2, -2}, i);
    long[] l = new long[1];
    Mover.I64.fill(l, 0, 1, 1e12);
    assertArrayEquals(new long[] {1000000000000L}, l);
    byte[] b = new byte[2];
    Mover.I8.fill(b, 0, 2, 255);
    assertArrayEquals(new byte[] {(byte) 255, (byte) 255}, b);
  }
}
