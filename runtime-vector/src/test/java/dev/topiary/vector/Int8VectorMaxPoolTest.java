package dev.topiary.vector;

import static org.junit.Assert.assertArrayEquals;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * The INT8 MaxPool of the vector module through a model, against the reference kernel, byte for
 * byte: channel counts below, at and past one byte vector (a masked block), strides, padding,
 * dilation, ceil mode, and two images.
 */
public class Int8VectorMaxPoolTest {
  @Test
  public void matchesTheReferenceKernel() throws Exception {
    Random r = new Random(11);
    int[][] shapes = {{1, 9, 8, 3}, {2, 7, 7, 64}, {1, 13, 11, 70}, {1, 6, 5, 130}};
    for (int[] s : shapes) {
      for (int variant = 0; variant < 4; variant++) {
        GraphBuilder g = new GraphBuilder();
        Shape shape = Shape.of(s[0], s[1], s[2], s[3]);
        int x = g.input("x", DataType.INT8, shape);
        g.quantization(x, new float[] {0.05f}, new long[] {-7}, 0);
        GraphBuilder.NodeBuilder n = g.node("MaxPool", "mp", x);
        switch (variant) {
          case 0:
            n.attrInts("kernel", 3, 3);
            break;
          case 1:
            n.attrInts("kernel", 3, 3).attrInts("strides", 2, 2).attrInts("pads", 1, 1, 1, 1);
            break;
          case 2:
            n.attrInts("kernel", 2, 3).attrInts("strides", 1, 2).attrInts("dilations", 2, 1).attrInts("pads", 1, 0, 0, 1);
            break;
          default:
            n.attrInts("kernel", 2, 2).attrInts("strides", 2, 2).attr("ceil_mode", 1L);
            break;
        }
        int y = n.output("y", DataType.INT8, null);
        g.quantization(y, new float[] {0.05f}, new long[] {-7}, 0);
        g.output(y);
        byte[] artifact = g.build();
        byte[] xv = new byte[shape.elementCount()];
        r.nextBytes(xv);
        Map<String, Tensor> in = Map.of("x", Tensor.ofBytes(DataType.INT8, shape, xv));
        assertArrayEquals(java.util.Arrays.toString(s) + " variant " + variant,
            VectorTesting.runBytes(artifact, VectorTesting.Kernels.REFERENCE, 2, in),
            VectorTesting.runBytes(artifact, VectorTesting.Kernels.VECTOR, 2, in));
      }
    }
  }
}
