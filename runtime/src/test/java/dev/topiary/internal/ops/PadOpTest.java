package dev.topiary.internal.ops;

import static dev.topiary.internal.ops.OpTesting.check;
import static dev.topiary.internal.ops.OpTesting.coords;
import static dev.topiary.internal.ops.OpTesting.count;
import static dev.topiary.internal.ops.OpTesting.flat;
import static dev.topiary.internal.ops.OpTesting.loadError;
import static dev.topiary.internal.ops.OpTesting.tensor;
import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import java.util.Random;
import org.junit.Test;

/** Pad in constant, edge and reflect modes, negative pads included, against a naive oracle. */
public class PadOpTest {
  /**
   * For each output element the input index it copies, or -1 for the constant. Output coordinate
   * {@code c} is input coordinate {@code c - b}; outside the kept range {@code [lo, hi)} edge clamps
   * and reflect mirrors about the end elements again and again until inside.
   */
  static int[] oracle(int[] in, long[] pads, String mode) {
    int r = in.length;
    int[] out = outShape(in, pads);
    int[] map = new int[count(out)];
    for (int o = 0; o < map.length; o++) {
      int[] c = coords(o, out);
      boolean constant = false;
      for (int k = 0; k < r; k++) {
        int lo = (int) Math.max(0, -pads[k]);
        int hi = in[k] - (int) Math.max(0, -pads[k + r]);
        int i = c[k] - (int) pads[k];
        if (i >= lo && i < hi) {
          c[k] = i;
        } else if (mode.equals("constant")) {
          constant = true;
        } else if (mode.equals("edge") || hi - lo == 1) {
          c[k] = Math.min(Math.max(i, lo), hi - 1);
        } else {
          while (i < lo || i >= hi) {
            i = i < lo ? 2 * lo - i : 2 * (hi - 1) - i;
          }
          c[k] = i;
        }
      }
      map[o] = constant ? -1 : flat(c, in);
    }
    return map;
  }

  static int[] outShape(int[] in, long[] pads) {
    int[] out = new int[in.length];
    for (int k = 0; k < in.length; k++) {
      out[k] = (int) (in[k] + pads[k] + pads[k + in.length]);
    }
    return out;
  }

  private static OpTesting.Attrs attrs(long[] pads, String mode, float value) {
    return n -> {
      n.attrInts("pads", pads);
      if (!mode.equals("constant") || value != 0) {
        n.attr("mode", mode);
      }
      if (value != 0) {
        n.attr("value", value);
      }
    };
  }

  private static Tensor floats(Shape s, float... v) {
    return tensor(DataType.FLOAT32, s, v);
  }

  @Test
  public void onnxDocumentationExamples() throws Exception {
    Tensor x = floats(Shape.of(3, 2), 1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f);
    long[] pads = {0, 2, 0, 0};
    check("constant", "Pad", attrs(pads, "constant", 0), Shape.of(3, 4),
        new float[] {0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f}, x);
    check("reflect", "Pad", attrs(pads, "reflect", 0), Shape.of(3, 4),
        new float[] {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}, x);
    check("edge", "Pad", attrs(pads, "edge", 0), Shape.of(3, 4),
        new float[] {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f}, x);
  }

  @Test
  public void handComputedOneDimensional() throws Exception {
    Tensor x = tensor(DataType.INT32, Shape.of(3), new int[] {1, 2, 3});
    check("reflect 2,2", "Pad", attrs(new long[] {2, 2}, "reflect", 0), Shape.of(7),
        new int[] {3, 2, 1, 2, 3, 2, 1}, x);
    // Wider than the input: reflection repeats with period 2(n-1) = 4, as numpy.pad does.
    check("reflect 5,4", "Pad", attrs(new long[] {5, 4}, "reflect", 0), Shape.of(12),
        new int[] {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3}, x);
    check("edge 2,1", "Pad", attrs(new long[] {2, 1}, "edge", 0), Shape.of(6), new int[] {1, 1, 1, 2, 3, 3}, x);
    check("constant 7.9 truncates", "Pad", attrs(new long[] {1, 1}, "constant", 7.9f), Shape.of(5),
        new int[] {7, 1, 2, 3, 7}, x);
    Tensor one = tensor(DataType.INT32, Shape.of(1), new int[] {4});
    check("reflect of size 1 is edge", "Pad", attrs(new long[] {2, 1}, "reflect", 0), Shape.of(4),
        new int[] {4, 4, 4, 4}, one);
    Tensor u8 = tensor(DataType.UINT8, Shape.of(2), new byte[] {1, 2});
    check("uint8 255", "Pad", attrs(new long[] {1, 0}, "constant", 255f), Shape.of(3), new byte[] {(byte) 255, 1, 2},
        u8);
  }

  @Test
  public void negativePadsCropFirst() throws Exception {
    Tensor x = tensor(DataType.INT64, Shape.of(5), new long[] {1, 2, 3, 4, 5});
    check("crop both", "Pad", attrs(new long[] {-1, -2}, "constant", 0), Shape.of(2), new long[] {2, 3}, x);
    check("crop then edge", "Pad", attrs(new long[] {-1, 2}, "edge", 0), Shape.of(6), new long[] {2, 3, 4, 5, 5, 5},
        x);
    check("crop then reflect", "Pad", attrs(new long[] {2, -2}, "reflect", 0), Shape.of(5),
        new long[] {3, 2, 1, 2, 3}, x);
    check("crop all", "Pad", attrs(new long[] {-3, -2}, "constant", 0), Shape.of(0), new long[0], x);
  }

  @Test
  public void randomShapesEveryModeAndType() throws Exception {
    Random r = new Random(11);
    String[] modes = {"constant", "edge", "reflect"};
    for (int trial = 0; trial < 90; trial++) {
      DataType t = OpTesting.ALL_TYPES[trial % OpTesting.ALL_TYPES.length];
      String mode = modes[trial % 3];
      int rank = 1 + r.nextInt(5);
      int[] in = OpTesting.randomShape(r, rank, 1, rank <= 2 ? 9 : 4);
      long[] pads = new long[2 * rank];
      for (int k = 0; k < rank; k++) {
        // Crop at most leaving one element, pad up to 2·d + 1 (beyond one reflection).
        int b = -r.nextInt(in[k]) / 2 + (r.nextInt(3) == 0 ? 0 : r.nextInt(2 * in[k] + 2));
        int e = -r.nextInt(in[k]) / 2 + (r.nextInt(3) == 0 ? 0 : r.nextInt(2 * in[k] + 2));
        pads[k] = b;
        pads[k + rank] = e;
      }
      if (mode.equals("constant") && trial % 9 == 0) {
        in[0] = 0;
        pads[0] = Math.max(0, pads[0]);
        pads[rank] = Math.max(0, pads[rank]);
      }
      float value = mode.equals("constant") ? r.nextInt(50) - 25 : 0;
      Object x = OpTesting.random(r, t, count(in));
      Object expected = OpTesting.gather(t, x, oracle(in, pads, mode), value);
      check("Pad " + t + " " + mode + " " + Shape.of(in) + " pads " + ShapeOps.format(pads), "Pad",
          attrs(pads, mode, value), Shape.of(outShape(in, pads)), expected, tensor(t, Shape.of(in), x));
    }
  }

  @Test
  public void sourceIndexMatchesRepeatedReflection() {
    for (int n = 1; n <= 6; n++) {
      for (int i = -20; i < 20 + n; i++) {
        int want;
        if (n == 1) {
          want = 0;
        } else {
          want = i;
          while (want < 0 || want >= n) {
            want = want < 0 ? -want : 2 * (n - 1) - want;
          }
        }
        assertEquals("n=" + n + " i=" + i, want, PadOp.source(i, n, true));
        assertEquals("edge n=" + n + " i=" + i, Math.min(Math.max(i, 0), n - 1), PadOp.source(i, n, false));
      }
    }
  }

  @Test
  public void errors() throws Exception {
    Tensor x = OpTesting.iotaTensor(2, 3);
    assertEquals("node 'n' (Pad): attribute 'pads' needs 4 values (begin and end for each dimension of [2,3]), got 2",
        loadError("Pad", n -> n.attrInts("pads", 1, 1), x));
    assertEquals("node 'n' (Pad): attribute 'pads' is required", loadError("Pad", OpTesting.NONE, x));
    assertEquals("node 'n' (Pad): attribute 'mode' is 'wrap', expected constant, reflect or edge",
        loadError("Pad", n -> n.attrInts("pads", 0, 0, 0, 0).attr("mode", "wrap"), x));
    assertEquals("node 'n' (Pad): pads [0,-2,0,-2] crop 4 elements from dimension 1 of [2,3], which has 3",
        loadError("Pad", n -> n.attrInts("pads", 0, -2, 0, -2), x));
    assertEquals("node 'n' (Pad): pads [0,-4,0,2] crop 4 elements from dimension 1 of [2,3], which has 3",
        loadError("Pad", n -> n.attrInts("pads", 0, -4, 0, 2), x));
    assertEquals("node 'n' (Pad): cannot pad dimension 1 of [2,3] in 'reflect' mode: it has no elements after"
        + " cropping", loadError("Pad", n -> n.attrInts("pads", 0, -3, 0, 1).attr("mode", "reflect"), x));
    assertEquals("node 'n' (Pad): cannot pad dimension 0 of [0,3] in 'edge' mode: it has no elements",
        loadError("Pad", n -> n.attrInts("pads", 1, 0, 0, 0).attr("mode", "edge"), OpTesting.iotaTensor(0, 3)));
  }
}
