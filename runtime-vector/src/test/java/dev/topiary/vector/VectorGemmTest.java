package dev.topiary.vector;

import static dev.topiary.vector.VectorTesting.assertVectorMatchesReference;
import static dev.topiary.vector.VectorTesting.kernelNames;
import static dev.topiary.vector.VectorTesting.random;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.cpu.VectorSupport;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.Test;

/**
 * The vector GEMM (FullyConnected, MatMul with constant B) against the reference kernels: sizes 1,
 * primes, multiples and non-multiples of the vector width and of the 6-row micro-kernel (so every
 * end of a tile: blocks of seven, four and one), one- and two-vector panels, every activation, batches, on 1–3 threads with bit-identical results.
 */
public class VectorGemmTest {
  private static final String[] ACTIVATIONS = {"NONE", "RELU", "RELU6", "CLIP", "HARD_SWISH"};

  static GraphBuilder.NodeBuilder activation(GraphBuilder.NodeBuilder node, String name) {
    node.attr("activation", name);
    if (name.equals("CLIP")) {
      node.attr("activation_min", -0.5f).attr("activation_max", 0.75f);
    }
    return node;
  }

  private static byte[] fullyConnected(Random r, int m, int n, int k, boolean bias, String act) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(m, k));
    int w = g.constant("w", Shape.of(n, k), random(r, n * k));
    GraphBuilder.NodeBuilder node = bias
        ? g.node("FullyConnected", "fc", x, w, g.constant("b", Shape.of(n), random(r, n)))
        : g.node("FullyConnected", "fc", x, w);
    activation(node, act);
    g.output(node.output("y"));
    return g.build();
  }

  @Test
  public void theProviderIsFoundWithTheIncubatorModule() throws Exception {
    assertNotNull("VectorSupport.kernels() with --add-modules jdk.incubator.vector", VectorSupport.kernels());
    assertTrue(VectorSupport.kernels().description(), VectorSupport.kernels().description().startsWith("jdk.incubator.vector"));
    byte[] a = fullyConnected(new Random(1), 3, 5, 7, true, "RELU");
    assertEquals(Collections.singletonList("VectorGemmKernel"), kernelNames(a, VectorTesting.Kernels.VECTOR));
    assertEquals(Collections.singletonList("GemmKernel"), kernelNames(fullyConnected(new Random(1), 300, 200, 7, true,
        "RELU"), VectorTesting.Kernels.C2));
  }

  @Test
  public void tilesEndInBlocksOfSevenAndFourRatherThanOnes() {
    for (int rows = 1; rows <= 200; rows++) {
      List<Integer> blocks = new ArrayList<>();
      for (int left = rows; left > 0; left -= blocks.get(blocks.size() - 1)) {
        blocks.add(PackedPanels.block(left));
      }
      assertEquals(rows + ": " + blocks, rows, blocks.stream().mapToInt(Integer::intValue).sum());
      for (int b : blocks) {
        assertTrue(rows + ": " + blocks, b == 1 || b == 4 || b == 6 || b == 7 && PackedPanels.SEVEN);
      }
      // With seven-row kernels, a one-row block only where no sum of 4, 6 and 7 makes the rows.
      boolean ones = blocks.contains(1);
      boolean avoidable = rows >= 4 && rows != 5 && rows != 9;
      if (PackedPanels.SEVEN) {
        assertEquals(rows + ": " + blocks, !avoidable, ones);
      }
    }
  }

  /**
   * Six-row blocks of two whole panels run as one kernel ({@code PackedPanels.rows6x4}, AVX-512):
   * widths of two whole panels, of four and a partial one, and of six (which three threads split
   * into pairs and two threads into a pair and a single panel), every activation, with and without
   * a bias, depths from one to past a cache line.
   */
  @Test
  public void panelPairsMatchTheReference() throws Exception {
    Random r = new Random(0x6464);
    int[] ns = {64, 130, 192};
    int[] ms = {6, 13, 49};
    int[] ks = {1, 32, 65};
    int i = 0;
    for (int n : ns) {
      for (int m : ms) {
        for (String act : ACTIVATIONS) {
          int k = ks[i % ks.length];
          boolean bias = i % 2 == 0;
          byte[] a = fullyConnected(r, m, n, k, bias, act);
          assertVectorMatchesReference("FC " + m + "x" + n + "x" + k + (bias ? " bias " : " ") + act, a,
              java.util.Map.of("x", Tensor.ofFloats(Shape.of(m, k), random(r, m * k))), k, 1, 1);
          i++;
        }
      }
    }
  }

  @Test
  public void fullyConnectedOverAwkwardSizes() throws Exception {
    Random r = new Random(0x7ec7);
    int[] ms = {1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 16, 17, 49, 61, 130};
    int[] ns = {1, 3, 8, 15, 16, 17, 31, 32, 33, 48, 64, 97};
    int[] ks = {1, 2, 7, 16, 33, 300};
    int done = 0;
    for (int m : ms) {
      for (int n : ns) {
        int k = ks[r.nextInt(ks.length)];
        boolean bias = r.nextBoolean();
        String act = ACTIVATIONS[r.nextInt(ACTIVATIONS.length)];
        byte[] a = fullyConnected(r, m, n, k, bias, act);
        assertVectorMatchesReference("FC " + m + "x" + n + "x" + k + (bias ? " bias " : " ") + act, a,
            java.util.Map.of("x", Tensor.ofFloats(Shape.of(m, k), random(r, m * k))), k, 1, 1);
        done++;
      }
    }
    assertEquals(ms.length * ns.length, done);
  }

  @Test
  public void matMulWithConstantBatchedAndBroadcastB() throws Exception {
    Random r = new Random(0x6a7);
    int[][] cases = {
      // a shape, b shape
      {256, 256, 256, 256}, // 256x256 · 256x256 (one tall GEMM)
      {2, 3, 9, 9, 70}, // a [2,3,9] · b [9,70]: batches of a flattened into one GEMM
      {2, 7, 5, 2, 5, 19}, // a [2,7,5] · b [2,5,19]: one packing per batch of b
      {1, 1, 1000, 1000, 1}, // matrix × vector
    };
    for (int[] cs : cases) {
      int[] as;
      int[] bs;
      if (cs.length == 4) {
        as = new int[] {cs[0], cs[1]};
        bs = new int[] {cs[2], cs[3]};
      } else if (cs.length == 5) {
        as = new int[] {cs[0], cs[1], cs[2]};
        bs = new int[] {cs[3], cs[4]};
      } else {
        as = new int[] {cs[0], cs[1], cs[2]};
        bs = new int[] {cs[3], cs[4], cs[5]};
      }
      GraphBuilder g = new GraphBuilder();
      int x = g.input("x", DataType.FLOAT32, Shape.of(as));
      int b = g.constant("b", Shape.of(bs), random(r, Shape.of(bs).elementCount()));
      GraphBuilder.NodeBuilder node = g.node("MatMul", "mm", x, b);
      activation(node, "RELU6");
      g.output(node.output("y"));
      byte[] art = g.build();
      assertEquals(Collections.singletonList("VectorGemmKernel"), kernelNames(art, VectorTesting.Kernels.VECTOR));
      int k = as[as.length - 1];
      assertVectorMatchesReference("MatMul " + Shape.of(as) + " x " + Shape.of(bs), art,
          java.util.Map.of("x", Tensor.ofFloats(Shape.of(as), random(r, Shape.of(as).elementCount()))), k, 1, 1);
    }
  }

  @Test
  public void largeValuesStayWithinTheDepthScaledTolerance() throws Exception {
    // Inputs up to 100 and weights up to 1: the tolerance scales with max|a|·max|b|.
    Random r = new Random(5);
    int m = 37;
    int n = 45;
    int k = 1024;
    byte[] a = fullyConnected(r, m, n, k, true, "NONE");
    float[] xs = random(r, m * k);
    for (int i = 0; i < xs.length; i++) {
      xs[i] *= 100f;
    }
    assertVectorMatchesReference("FC x100", a, java.util.Map.of("x", Tensor.ofFloats(Shape.of(m, k), xs)), k, 100, 1);
  }
}
