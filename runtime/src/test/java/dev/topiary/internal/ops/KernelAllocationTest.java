package dev.topiary.internal.ops;

import static org.junit.Assert.assertEquals;

import dev.topiary.Model;
import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.plan.Plan;
import dev.topiary.testing.TestSupport;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Assume;
import org.junit.Test;

/**
 * Kernels allocate nothing in {@code run} (sequential path): each op's bound kernels, fast and
 * reference, are run directly on a frame many times while the thread's allocated bytes are
 * measured (HotSpot's {@code com.sun.management.ThreadMXBean}).
 */
public class KernelAllocationTest {
  private static Map<String, OpCase> cases() {
    int[] s = {2, 5, 6, 8};
    float[] x = new float[480];
    float[] c8 = {1, 1, 1, 1, 1, 1, 1, 1};
    Map<String, OpCase> m = new LinkedHashMap<>();
    for (String op : new String[] {"Relu6", "Sigmoid", "Tanh", "HardSwish", "LeakyRelu", "Gelu", "Softmax"}) {
      m.put(op, OpCase.of(op).input(s, x));
    }
    m.put("Clip", OpCase.of("Clip").input(s, x).attr("min", -1f).attr("max", 1f));
    m.put("Gelu tanh", OpCase.of("Gelu").input(s, x).attr("approximate", "tanh"));
    m.put("Softmax axis 1", OpCase.of("Softmax").input(s, x).attr("axis", 1L));
    m.put("Add same", OpCase.of("Add").input(s, x).input(s, x));
    m.put("Sub scalar", OpCase.of("Sub").input(s, x).input(new int[0], new float[1]).attr("activation", "RELU"));
    m.put("Mul channel", OpCase.of("Mul").input(s, x).input(new int[] {8}, c8).attr("activation", "HARD_SWISH"));
    m.put("Div general", OpCase.of("Div").input(new int[] {2, 1, 6, 1}, new float[12]).input(new int[] {5, 1, 8},
        new float[40]));
    m.put("MaxPool", OpCase.of("MaxPool").input(s, x).attrInts("kernel", 3, 3).attr("padding", "SAME_UPPER"));
    m.put("AvgPool", OpCase.of("AvgPool").input(s, x).attrInts("kernel", 2, 3).attrInts("pads", 1, 1, 1, 1)
        .attr("ceil_mode", 1L).attr("count_include_pad", 1L));
    m.put("GlobalAvgPool", OpCase.of("GlobalAvgPool").input(s, x));
    m.put("BatchNorm", OpCase.of("BatchNorm").input(s, x).constant(new int[] {8}, c8).constant(new int[] {8}, c8)
        .constant(new int[] {8}, c8).constant(new int[] {8}, c8));
    m.put("BatchNorm axis 1", OpCase.of("BatchNorm").input(s, x).constant(new int[] {5}, new float[5])
        .constant(new int[] {5}, new float[5]).constant(new int[] {5}, new float[5])
        .constant(new int[] {5}, new float[] {1, 1, 1, 1, 1}).attr("axis", 1L));
    m.put("LayerNorm", OpCase.of("LayerNorm").input(s, x).constant(new int[] {6, 1}, new float[6])
        .constant(new int[] {8}, c8).attr("axis", 2L));
    m.put("ReduceMean", OpCase.of("ReduceMean").input(s, x).attrInts("axes", 0, 2));
    m.put("ReduceMean last", OpCase.of("ReduceMean").input(s, x).attrInts("axes", -1));
    return m;
  }

  @Test
  public void kernelsDoNotAllocate() throws Exception {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    Assume.assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    long thread = Thread.currentThread().getId();
    for (Map.Entry<String, OpCase> e : cases().entrySet()) {
      for (boolean reference : new boolean[] {false, true}) {
        try (Model model = TestSupport.load(e.getValue().artifact(), reference)) {
          Plan p = TestSupport.planOf(model);
          Frame f = new Frame(p.newFrameArrays(), p.frameOffsets(), Parallel.sequential(),
              new float[][] {new float[p.scratchFloats()]});
          Kernel k = p.steps().get(0).kernel;
          for (int i = 0; i < 2000; i++) {
            k.run(f);
          }
          // A batch of runs that allocates nothing, within a few tries: a JIT recompilation (or the
          // stub it goes through meanwhile) can allocate a few bytes once, which the kernel does not.
          long allocated = -1;
          for (int batch = 0; batch < 20 && allocated != 0; batch++) {
            long before = mx.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 500; i++) {
              k.run(f);
            }
            allocated = mx.getThreadAllocatedBytes(thread) - before;
          }
          assertEquals(e.getKey() + (reference ? " (reference)" : " (fast)") + " allocated bytes", 0, allocated);
        }
      }
    }
  }
}
