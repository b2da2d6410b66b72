package dev.topiary.internal.ops;

import static org.junit.Assert.assertEquals;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Shape;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.ThreadPool;
import dev.topiary.internal.plan.Plan;
import dev.topiary.testing.TestSupport;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Assume;
import org.junit.Test;

/**
 * Linear kernels (every fast path and the references) allocate nothing in {@code run}, on the
 * calling thread, both sequentially and when dispatching to a thread pool.
 */
public class LinearKernelAllocationTest {
  private static byte[] conv(int h, int c, int o, int k, int group, String padding) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, h, h, c));
    int w = g.constant("w", Shape.of(o, k, k, c / group), new float[o * k * k * (c / group)]);
    int b = g.constant("b", Shape.of(o), new float[o]);
    g.output(g.node("Conv2D", "conv", x, w, b).attr("group", (long) group).attr("padding", padding)
        .attr("activation", "RELU6").output("y"));
    return g.build();
  }

  private static byte[] fc(int m, int k, int n) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(m, k));
    int w = g.constant("w", Shape.of(n, k), new float[n * k]);
    g.output(g.node("FullyConnected", "fc", x, w).attr("activation", "HARD_SWISH").output("y"));
    return g.build();
  }

  private static byte[] matmul(Shape a, Shape b, boolean constant) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int ai = g.input("a", DataType.FLOAT32, a);
    int bi = constant ? g.constant("b", b, new float[b.elementCount()]) : g.input("b", DataType.FLOAT32, b);
    g.output(g.node("MatMul", "mm", ai, bi).output("y"));
    return g.build();
  }

  private static Map<String, byte[]> cases() throws Exception {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("conv 3x3 narrow", conv(20, 8, 16, 3, 1, "SAME_UPPER"));
    m.put("conv 3x3 wide", conv(6, 8, 130, 3, 1, "VALID"));
    m.put("conv 1x1 narrow", conv(20, 8, 16, 1, 1, "VALID"));
    m.put("conv 1x1 wide", conv(6, 8, 300, 1, 1, "VALID"));
    m.put("conv grouped", conv(9, 8, 8, 3, 2, "SAME_LOWER"));
    m.put("depthwise", conv(9, 16, 16, 3, 16, "SAME_UPPER"));
    m.put("depthwise x2", conv(9, 16, 32, 3, 16, "SAME_UPPER"));
    m.put("fc wide", fc(3, 20, 300));
    m.put("fc narrow", fc(300, 20, 10));
    m.put("matmul constant batched", matmul(Shape.of(2, 3, 5, 7), Shape.of(3, 7, 4), true));
    m.put("matmul computed", matmul(Shape.of(4, 7), Shape.of(7, 200), false));
    m.put("matmul computed narrow", matmul(Shape.of(2, 300, 7), Shape.of(2, 7, 3), false));
    return m;
  }

  @Test
  public void kernelsDoNotAllocate() throws Exception {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    Assume.assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    long thread = Thread.currentThread().getId();
    try (ThreadPool pool = new ThreadPool(2)) {
      for (Map.Entry<String, byte[]> e : cases().entrySet()) {
        for (boolean reference : new boolean[] {false, true}) {
          for (Parallel parallel : new Parallel[] {Parallel.sequential(), pool}) {
            try (Model model = TestSupport.load(e.getValue(), reference)) {
              Plan p = TestSupport.planOf(model);
              float[][] scratch = new float[parallel.workers()][];
              for (int w = 0; w < scratch.length; w++) {
                scratch[w] = new float[p.scratchFloats()];
              }
              Frame f = new Frame(p.newFrameArrays(), p.frameOffsets(), parallel, scratch);
              Kernel k = p.steps().get(0).kernel;
              for (int i = 0; i < 50; i++) {
                k.run(f);
              }
              // A kernel that allocates does so on every run; the measurement itself may allocate
              // a few bytes now and then (an interpreted JMX call), so the best of three counts.
              long allocated = Long.MAX_VALUE;
              for (int attempt = 0; attempt < 3 && allocated != 0; attempt++) {
                long before = mx.getThreadAllocatedBytes(thread);
                for (int i = 0; i < 50; i++) {
                  k.run(f);
                }
                allocated = Math.min(allocated, mx.getThreadAllocatedBytes(thread) - before);
              }
              assertEquals(e.getKey() + (reference ? " (reference)" : " (fast)") + " on " + parallel.workers()
                  + " worker(s): allocated bytes", 0, allocated);
            }
          }
        }
      }
    }
  }
}
