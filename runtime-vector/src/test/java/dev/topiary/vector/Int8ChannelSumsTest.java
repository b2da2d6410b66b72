package dev.topiary.vector;

import static org.junit.Assert.assertArrayEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * The per-channel int8 sums behind the int8 GlobalAvgPool: against sums done here one channel at a
 * time (channel counts below, at and past a vector, all −128 and all 127 over many pixels), and
 * the op through a model against the reference kernel, byte for byte.
 */
public class Int8ChannelSumsTest {
  @Test
  public void sumsEveryChannel() {
    Random r = new Random(3);
    int[] channels = {1, 15, 16, 17, 64, 130};
    int[] pixelCounts = {1, 7, 49, 1000};
    for (int c : channels) {
      for (int pixels : pixelCounts) {
        for (int fill = 0; fill < 3; fill++) {
          int off = r.nextInt(5);
          byte[] in = new byte[off + pixels * c + r.nextInt(3)];
          if (fill == 0) {
            r.nextBytes(in);
          } else {
            Arrays.fill(in, (byte) (fill == 1 ? -128 : 127));
          }
          int[] want = new int[c];
          for (int ch = 0; ch < c; ch++) {
            for (int p = 0; p < pixels; p++) {
              want[ch] += in[off + p * c + ch];
            }
          }
          int[] got = new int[c + 3];
          Arrays.fill(got, 12345);
          Int8ChannelSums.run(in, off, pixels, c, got);
          assertArrayEquals(c + " channels, " + pixels + " pixels, fill " + fill, want, Arrays.copyOf(got, c));
          assertArrayEquals("past the channels", new int[] {12345, 12345, 12345}, Arrays.copyOfRange(got, c, c + 3));
        }
      }
    }
  }

  @Test
  public void globalAvgPoolMatchesTheReferenceKernel() throws Exception {
    Random r = new Random(4);
    int[][] shapes = {{1, 7, 7, 128}, {2, 3, 5, 37}, {1, 1, 1, 16}, {3, 4, 4, 7}};
    for (int[] s : shapes) {
      GraphBuilder g = new GraphBuilder();
      Shape shape = Shape.of(s);
      int x = g.input("x", DataType.INT8, shape);
      g.quantization(x, new float[] {0.05f}, new long[] {-7}, 0);
      int y = g.node("GlobalAvgPool", "gap", x).output("y", DataType.INT8, null);
      g.quantization(y, new float[] {0.05f}, new long[] {-7}, 0);
      g.output(y);
      byte[] artifact = g.build();
      byte[] xv = new byte[shape.elementCount()];
      r.nextBytes(xv);
      Map<String, Tensor> in = Map.of("x", Tensor.ofBytes(DataType.INT8, shape, xv));
      assertArrayEquals(shape.toString(), VectorTesting.runBytes(artifact, VectorTesting.Kernels.REFERENCE, 1, in),
          VectorTesting.runBytes(artifact, VectorTesting.Kernels.VECTOR, 2, in));
    }
  }
}
