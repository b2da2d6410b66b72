package dev.topiary.converter.report;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.internal.build.GraphBuilder;
import java.util.Random;

/** Small artifacts with hand-countable MACs and bytes, for the profiler's tests. */
public final class ProfileModels {
  /** A node name that would break HTML and SVG if written unescaped. */
  public static final String HOSTILE_NAME = "<script>alert('x')</script></svg></text>&amp;\"q\"";

  private ProfileModels() {}

  /**
   * x [1,8,8,3] → Conv2D 'conv' (w [4,3,3,3], VALID) [1,6,6,4] → Relu (named {@link #HOSTILE_NAME})
   * → depthwise Conv2D 'dw' (w [4,3,3,1], group 4) [1,4,4,4] → Reshape [1,64] → FullyConnected 'fc'
   * (w [10,64], half zeros, stored sparsely) [1,10] → MatMul 'mm' (b [10,5] constant) → y [1,5].
   *
   * <p>MACs by hand: conv 6·6·4 outputs × 3·3·3 = 3888; dw 4·4·4 × 3·3·1 = 576; fc 10 × 64 = 640;
   * mm 5 × 10 = 50.
   */
  public static byte[] linearChain() throws Exception {
    Random r = new Random(1);
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 8, 8, 3));
    int w1 = g.constant("conv/w", Shape.of(4, 3, 3, 3), random(r, 108, 0));
    int b1 = g.constant("conv/b", Shape.of(4), random(r, 4, 0));
    int c1 = g.node("Conv2D", "conv", x, w1, b1).output("c1");
    int a1 = g.node("Relu", HOSTILE_NAME, c1).output("a1");
    int w2 = g.constant("dw/w", Shape.of(4, 3, 3, 1), random(r, 36, 0));
    int c2 = g.node("Conv2D", "dw", a1, w2).attr("group", 4L).output("c2");
    int flat = g.node("Reshape", "flat", c2).attrInts("shape", 1, 64).output("flat");
    int w3 = g.constantSparse("fc/w", Shape.of(10, 64), random(r, 640, 0.5));
    int b3 = g.constant("fc/b", Shape.of(10), random(r, 10, 0));
    int f = g.node("FullyConnected", "fc", flat, w3, b3).output("f");
    int w4 = g.constant("mm/b", Shape.of(10, 5), random(r, 50, 0));
    int y = g.node("MatMul", "mm", f, w4).output("y");
    g.output(y);
    return g.build();
  }

  /** {@code n} values uniform in [-1, 1), each zero with probability {@code zeros}. */
  static float[] random(Random r, int n, double zeros) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextDouble() < zeros ? 0f : r.nextFloat() * 2 - 1;
      if (v[i] == 0f && zeros == 0) {
        v[i] = 0.5f;
      }
    }
    return v;
  }
}
