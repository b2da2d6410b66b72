package dev.topiary.vector;

import static dev.topiary.vector.VectorTesting.kernelNames;
import static org.junit.Assert.assertEquals;

import dev.topiary.vector.VectorConvTest.Case;
import java.util.Collections;
import java.util.Random;
import org.junit.Test;

/**
 * The direct convolution (ungrouped, at most eight input channels) against the reference kernel:
 * every input channel count it takes, output channel counts around the vector widths (one, a prime,
 * 16, 32, just above, and a partial second vector), 1×1 to 7×7 and non-square kernels, strides,
 * dilation, asymmetric padding, images smaller than the kernel, each activation with and without
 * bias, on 1–3 threads.
 */
public class VectorDirectConvTest {
  private static final int[] INPUT_CHANNELS = {1, 2, 3, 4, 5, 8};
  private static final int[] OUTPUT_CHANNELS = {1, 7, 16, 24, 32, 33, 40, 56};

  @Test
  public void stemsTakeTheDirectKernel() throws Exception {
    for (int c : INPUT_CHANNELS) {
      Case stem = new Case(28, 28, c, 32, 3, 3);
      stem.sh = 2;
      stem.sw = 2;
      stem.pads = new int[] {1, 1, 1, 1};
      assertEquals("C = " + c, Collections.singletonList("VectorDirectConvKernel"),
          kernelNames(stem.artifact(new Random(1)), VectorTesting.Kernels.VECTOR));
    }
    Case wide = new Case(8, 8, 9, 32, 3, 3);
    assertEquals(Collections.singletonList("VectorConvKernel"),
        kernelNames(wide.artifact(new Random(1)), VectorTesting.Kernels.VECTOR));
  }

  @Test
  public void everyChannelCountAndKernelSize() throws Exception {
    Random r = new Random(31);
    int[][] kernels = {{1, 1}, {3, 3}, {5, 5}, {7, 7}, {3, 1}};
    int i = 0;
    for (int c : INPUT_CHANNELS) {
      for (int o : OUTPUT_CHANNELS) {
        for (int[] k : kernels) {
          Case t = new Case(13, 17, c, o, k[0], k[1]);
          t.sh = 1 + i % 2;
          t.sw = 1 + i / 2 % 2;
          t.pads = new int[] {k[0] / 2, k[1] / 2, (k[0] - 1) / 2, k[1] - 1};
          t.bias = i % 3 != 0;
          t.activation = VectorConvTest.ACTIVATIONS[i % VectorConvTest.ACTIVATIONS.length];
          t.check(r);
          i++;
        }
      }
    }
  }

  @Test
  public void activationsWithAndWithoutBias() throws Exception {
    Random r = new Random(32);
    for (String act : VectorConvTest.ACTIVATIONS) {
      for (boolean bias : new boolean[] {false, true}) {
        Case t = new Case(15, 14, 3, 40, 3, 3);
        t.sh = 2;
        t.sw = 2;
        t.pads = new int[] {1, 1, 1, 1};
        t.bias = bias;
        t.activation = act;
        t.check(r);
      }
    }
  }

  @Test
  public void dilationBatchesAndPadding() throws Exception {
    Random r = new Random(33);
    Case t = new Case(19, 23, 2, 33, 3, 3);
    t.dh = 2;
    t.dw = 2;
    t.n = 2;
    t.pads = new int[] {2, 0, 1, 3};
    t.check(r);
    t = new Case(11, 30, 4, 16, 5, 5);
    t.dh = 2;
    t.dw = 2;
    t.sw = 2;
    t.pads = new int[] {0, 4, 3, 1};
    t.activation = "HARD_SWISH";
    t.check(r);
    t = new Case(12, 12, 3, 7, 7, 7);
    t.n = 2;
    t.sh = 2;
    t.sw = 2;
    t.padding = "SAME_UPPER";
    t.check(r);
    t = new Case(9, 9, 1, 32, 3, 1);
    t.padding = "SAME_LOWER";
    t.check(r);
  }

  @Test
  public void grayscaleStemsInStripsOfSeven() throws Exception {
    Random r = new Random(35);
    // One input channel, 3×3, pad 1: 28 → 14 and 27 → 14 at stride 2, 14 and 7 at stride 1;
    // 32 outputs (two vectors), 40 and 48 (a pair, then a partial or a whole third vector).
    int[][] sizes = {{28, 28, 2}, {13, 27, 2}, {14, 14, 1}, {9, 7, 1}, {7, 21, 1}};
    int i = 0;
    for (int[] s : sizes) {
      for (int o : new int[] {32, 40, 48}) {
        Case t = new Case(s[0], s[1], 1, o, 3, 3);
        t.sh = s[2];
        t.sw = s[2];
        t.pads = new int[] {1, 1, 1, 1};
        t.bias = i % 2 == 0;
        t.activation = VectorConvTest.ACTIVATIONS[i % VectorConvTest.ACTIVATIONS.length];
        t.n = 1 + i % 2;
        t.check(r);
        i++;
      }
    }
  }

  @Test
  public void imagesSmallerThanTheKernel() throws Exception {
    Random r = new Random(34);
    int[][] sizes = {{1, 1}, {2, 3}, {4, 2}, {3, 5}};
    for (int[] s : sizes) {
      Case t = new Case(s[0], s[1], 3, 40, 5, 5);
      t.pads = new int[] {2, 2, 2, 2};
      t.n = 2;
      t.check(r);
      t = new Case(s[0], s[1], 1, 17, 7, 7);
      t.sh = 2;
      t.sw = 2;
      t.padding = "SAME_UPPER";
      t.activation = "CLIP";
      t.check(r);
    }
  }

  @Test
  public void modelStems() throws Exception {
    Random r = new Random(35);
    // Fashion-MNIST CNN and MobileNetV2 (a smaller image than the model's).
    Case cnn = new Case(28, 28, 1, 32, 3, 3);
    cnn.sh = 2;
    cnn.sw = 2;
    cnn.pads = new int[] {1, 1, 1, 1};
    cnn.activation = "RELU";
    cnn.check(r);
    Case mobilenet = new Case(56, 57, 3, 32, 3, 3);
    mobilenet.sh = 2;
    mobilenet.sw = 2;
    mobilenet.pads = new int[] {1, 1, 1, 1};
    mobilenet.n = 2;
    mobilenet.check(r);
  }
}
