package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.OpTesting.check;
import static dev.topiary.internal.ops.OpTesting.coords;
import static dev.topiary.internal.ops.OpTesting.count;
import static dev.topiary.internal.ops.OpTesting.flat;
import static dev.topiary.internal.ops.OpTesting.loadError;
import static dev.topiary.internal.ops.OpTesting.tensor;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.Shape;
import java.util.Random;
import org.junit.Test;

/** Transpose: fast and reference kernels against a naive per-element oracle, every storage class. */
public class TransposeOpTest {
  /** For each output element, the flat input index it copies: y[c_perm...] = x[c...]. */
  static int[] oracle(int[] in, int[] perm) {
    int r = in.length;
    int[] out = new int[r];
    for (int k = 0; k < r; k++) {
      out[k] = in[perm[k]];
    }
    int[] map = new int[count(out)];
    for (int o = 0; o < map.length; o++) {
      int[] oc = coords(o, out);
      int[] ic = new int[r];
      for (int k = 0; k < r; k++) {
        ic[perm[k]] = oc[k];
      }
      map[o] = flat(ic, in);
    }
    return map;
  }

  static int[] outShape(int[] in, int[] perm) {
    int[] out = new int[in.length];
    for (int k = 0; k < in.length; k++) {
      out[k] = in[perm[k]];
    }
    return out;
  }

  private static void checkPerm(DataType t, Random r, int[] in, int[] perm) throws Exception {
    Object x = OpTesting.random(r, t, count(in));
    Object expected = OpTesting.gather(t, x, oracle(in, perm), 0);
    check("Transpose " + t + " " + Shape.of(in) + " perm " + OpTesting.str(perm), "Transpose",
        n -> n.attrInts("perm", perm), Shape.of(outShape(in, perm)), expected, tensor(t, Shape.of(in), x));
  }

  private static int[] randomPerm(Random r, int rank) {
    int[] p = new int[rank];
    for (int i = 0; i < rank; i++) {
      p[i] = i;
    }
    for (int i = rank - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  @Test
  public void handComputed2x3() throws Exception {
    // [[0,1,2],[3,4,5]] transposed is [[0,3],[1,4],[2,5]].
    check("2x3", "Transpose", OpTesting.NONE, Shape.of(3, 2), new float[] {0, 3, 1, 4, 2, 5},
        OpTesting.iotaTensor(2, 3));
    check("2x3 perm", "Transpose", n -> n.attrInts("perm", 1, 0), Shape.of(3, 2), new float[] {0, 3, 1, 4, 2, 5},
        OpTesting.iotaTensor(2, 3));
  }

  @Test
  public void handComputedNchwToNhwc() throws Exception {
    // x[n,c,h,w] = 100c + 10h + w, with N=1, C=2, H=2, W=2; y[n,h,w,c] = x[n,c,h,w].
    float[] x = {0, 1, 10, 11, 100, 101, 110, 111};
    float[] y = {0, 100, 1, 101, 10, 110, 11, 111};
    check("NCHW->NHWC", "Transpose", n -> n.attrInts("perm", 0, 2, 3, 1), Shape.of(1, 2, 2, 2), y,
        tensor(DataType.FLOAT32, Shape.of(1, 2, 2, 2), x));
    check("NHWC->NCHW", "Transpose", n -> n.attrInts("perm", 0, 3, 1, 2), Shape.of(1, 2, 2, 2), x,
        tensor(DataType.FLOAT32, Shape.of(1, 2, 2, 2), y));
  }

  @Test
  public void defaultPermReversesAndNegativeEntriesCountFromTheEnd() throws Exception {
    Random r = new Random(1);
    int[] in = {2, 3, 4};
    Object x = OpTesting.random(r, DataType.FLOAT32, 24);
    Object expected = OpTesting.gather(DataType.FLOAT32, x, oracle(in, new int[] {2, 1, 0}), 0);
    check("default", "Transpose", OpTesting.NONE, Shape.of(4, 3, 2), expected, tensor(DataType.FLOAT32, Shape.of(in), x));
    Object e2 = OpTesting.gather(DataType.FLOAT32, x, oracle(in, new int[] {0, 2, 1}), 0);
    check("negative", "Transpose", n -> n.attrInts("perm", 0, -1, -2), Shape.of(2, 4, 3), e2,
        tensor(DataType.FLOAT32, Shape.of(in), x));
  }

  @Test
  public void randomShapesEveryType() throws Exception {
    Random r = new Random(42);
    for (int trial = 0; trial < 60; trial++) {
      int rank = 1 + trial % 5;
      int[] in = OpTesting.randomShape(r, rank, 1, rank <= 2 ? 40 : 6);
      if (trial % 7 == 3) {
        in[r.nextInt(rank)] = 0;
      }
      DataType t = OpTesting.ALL_TYPES[trial % OpTesting.ALL_TYPES.length];
      checkPerm(t, r, in, randomPerm(r, rank));
    }
  }

  @Test
  public void layoutSwapsLargerThanOneTileEveryType() throws Exception {
    Random r = new Random(7);
    for (DataType t : OpTesting.ALL_TYPES) {
      checkPerm(t, r, new int[] {2, 5, 7, 9}, new int[] {0, 2, 3, 1});
      checkPerm(t, r, new int[] {2, 7, 9, 5}, new int[] {0, 3, 1, 2});
      checkPerm(t, r, new int[] {33, 65}, new int[] {1, 0});
      checkPerm(t, r, new int[] {3, 70, 37}, new int[] {0, 2, 1});
      checkPerm(t, r, new int[] {4, 1, 35, 1, 40}, new int[] {3, 4, 1, 2, 0});
      checkPerm(t, r, new int[] {6, 5, 4, 3}, new int[] {3, 1, 2, 0});
    }
  }

  @Test
  public void fastPathPlansCollapseDims() {
    // NCHW -> NHWC on [2,8,5,7]: C and HW swap per image, a batch of tiled 2-D transposes.
    assertTrue(plan(new int[] {2, 8, 5, 7}, new int[] {0, 2, 3, 1}).isTiledTranspose());
    // Only outer dims move: contiguous runs.
    assertTrue(plan(new int[] {3, 4, 5, 6}, new int[] {1, 0, 2, 3}).isRuns());
    // Only size-1 dims move: one run.
    assertTrue(plan(new int[] {1, 4, 1, 6}, new int[] {2, 1, 0, 3}).isRuns());
    // A rotation of three dims keeps no run but still has a source-contiguous dim.
    assertTrue(plan(new int[] {3, 4, 5}, new int[] {2, 1, 0}).isTiledTranspose());
    assertFalse(plan(new int[] {3, 4, 5}, new int[] {0, 1, 2}).isTiledTranspose());
  }

  private static StridedCopy plan(int[] in, int[] perm) {
    int[] strides = StridedCopy.contiguousStrides(in);
    int[] src = new int[in.length];
    for (int k = 0; k < in.length; k++) {
      src[k] = strides[perm[k]];
    }
    int[] out = outShape(in, perm);
    return StridedCopy.plan(Mover.F32, out, src, StridedCopy.contiguousStrides(out), true);
  }

  @Test
  public void badPermutations() throws Exception {
    assertEquals("node 'n' (Transpose): attribute 'perm' = [0,0,1] is not a permutation of 0..2",
        loadError("Transpose", n -> n.attrInts("perm", 0, 0, 1), OpTesting.iotaTensor(2, 3, 4)));
    assertEquals("node 'n' (Transpose): attribute 'perm' = [0,3,1] is not a permutation of 0..2",
        loadError("Transpose", n -> n.attrInts("perm", 0, 3, 1), OpTesting.iotaTensor(2, 3, 4)));
    assertEquals("node 'n' (Transpose): attribute 'perm' = [1,0] has 2 values for the input [2,3,4] of rank 3",
        loadError("Transpose", n -> n.attrInts("perm", 1, 0), OpTesting.iotaTensor(2, 3, 4)));
  }
}
