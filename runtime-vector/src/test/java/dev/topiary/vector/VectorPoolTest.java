package dev.topiary.vector;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * The vector MaxPool and AvgPool give the bits of the C2 and reference kernels (the same taps in
 * the same order), over random geometries: kernels, strides, dilations, explicit and SAME pads,
 * ceil mode, count_include_pad, channel counts around the vector width, NaN and signed zeros.
 */
public class VectorPoolTest {
  private static final String[] PADDINGS = {"EXPLICIT", "SAME_UPPER", "SAME_LOWER", "VALID"};

  @Test
  public void poolsMatchTheOtherKernelsBitForBit() throws Exception {
    Random r = new Random(0x9001);
    int[] channels = {1, 5, 16, 24, 64, 70, 130};
    int compared = 0;
    for (int t = 0; t < 120; t++) {
      boolean max = t % 2 == 0;
      int c = channels[r.nextInt(channels.length)];
      int n = 1 + r.nextInt(2);
      int h = 1 + r.nextInt(9);
      int w = 1 + r.nextInt(9);
      int kh = 1 + r.nextInt(Math.min(3, h));
      int kw = 1 + r.nextInt(Math.min(3, w));
      int sh = 1 + r.nextInt(2);
      int sw = 1 + r.nextInt(2);
      int dh = max && h >= 5 ? 1 + r.nextInt(2) : 1;
      int dw = max && w >= 5 ? 1 + r.nextInt(2) : 1;
      String padding = PADDINGS[r.nextInt(PADDINGS.length)];
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(n, h, w, c));
      GraphBuilder.NodeBuilder node = g.node(max ? "MaxPool" : "AvgPool", "pool", x).attrInts("kernel", kh, kw)
          .attrInts("strides", sh, sw).attr("padding", padding);
      if (max) {
        node.attrInts("dilations", dh, dw);
      } else {
        node.attr("count_include_pad", (long) r.nextInt(2));
      }
      if (padding.equals("EXPLICIT")) {
        node.attrInts("pads", r.nextInt(kh), r.nextInt(kw), r.nextInt(kh), r.nextInt(kw));
        node.attr("ceil_mode", (long) r.nextInt(2));
      }
      g.output(node.output("y"));
      byte[] model = g.build();
      float[] v = VectorTesting.random(r, n * h * w * c);
      for (int i = 0; i < v.length; i += 1 + r.nextInt(40)) {
        v[i] = r.nextBoolean() ? Float.NaN : (r.nextBoolean() ? -0f : 0f);
      }
      Map<String, Tensor> in = Collections.singletonMap("x", Tensor.ofFloats(Shape.of(n, h, w, c), v));
      String what = (max ? "MaxPool" : "AvgPool") + " x[" + n + "," + h + "," + w + "," + c + "] kernel " + kh + "x" + kw
          + " strides " + sh + "," + sw + " dilations " + dh + "," + dw + " " + padding + " (case " + t + ")";
      float[] ref;
      try {
        ref = VectorTesting.run(model, VectorTesting.Kernels.REFERENCE, 1, in);
      } catch (dev.topiary.ModelFormatException e) {
        continue; // a window entirely in the padding: rejected by every kernel alike
      }
      List<String> kernels = VectorTesting.kernelNames(model, VectorTesting.Kernels.VECTOR);
      assertEquals(1, kernels.size());
      compared++;
      for (VectorTesting.Kernels k : new VectorTesting.Kernels[] {VectorTesting.Kernels.C2, VectorTesting.Kernels.VECTOR}) {
        for (int threads = 1; threads <= (k == VectorTesting.Kernels.VECTOR ? 3 : 1); threads++) {
          float[] got = VectorTesting.run(model, k, threads, in);
          assertEquals(what, ref.length, got.length);
          for (int i = 0; i < ref.length; i++) {
            if (Float.floatToIntBits(ref[i]) != Float.floatToIntBits(got[i])) {
              fail(what + " " + k + " " + threads + " thread(s): element " + i + " is " + got[i] + ", reference "
                  + ref[i]);
            }
          }
        }
      }
    }
    assertTrue("only " + compared + " of 120 geometries were valid", compared >= 80);
  }
}
