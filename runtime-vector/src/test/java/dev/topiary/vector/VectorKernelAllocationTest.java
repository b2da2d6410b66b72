package dev.topiary.vector;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Shape;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.ops.Frame;
import dev.topiary.internal.ops.Kernel;
import dev.topiary.internal.plan.Plan;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Assume;
import org.junit.Test;

/**
 * Once compiled by C2, the vector kernels allocate nothing per run. A {@code FloatVector} is an
 * object: only when every method it passes through is inlined does C2 keep it in a register, and
 * otherwise each one is boxed on the heap (measured: a 1×1 convolution at 17 instead of 82 GFLOP/s).
 * Before C2 compiles them the kernels do allocate (the interpreter and C1 box every vector), so
 * each kernel runs until a batch of runs allocates nothing, for at most a bounded number of runs
 * (and at least a minute, since C2's compile queue lags on a loaded machine).
 */
public class VectorKernelAllocationTest {
  private static final int MAX_BATCHES = 400;
  /** On a loaded machine C2's queue can lag: keep going at least this long before failing. */
  private static final long MIN_WAIT_NANOS = 60_000_000_000L;
  private static final int BATCH = 50;

  private static byte[] conv(int h, int c, int o, int k, int group, String padding) throws Exception {
    return conv(h, c, o, k, group, padding, "RELU6");
  }

  private static byte[] conv(int h, int c, int o, int k, int group, String padding, String activation)
      throws Exception {
    return conv(h, c, o, k, group, padding, activation, 1);
  }

  private static byte[] conv(int h, int c, int o, int k, int group, String padding, String activation, int stride)
      throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, h, h, c));
    int w = g.constant("w", Shape.of(o, k, k, c / group), VectorTesting.random(new java.util.Random(1), o * k * k * (c / group)));
    int b = g.constant("b", Shape.of(o), new float[o]);
    g.output(g.node("Conv2D", "conv", x, w, b).attr("group", (long) group).attr("padding", padding)
        .attr("activation", activation).attrInts("strides", stride, stride).output("y"));
    return g.build();
  }

  private static byte[] fc(int m, int k, int n) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(m, k));
    int w = g.constant("w", Shape.of(n, k), VectorTesting.random(new java.util.Random(2), n * k));
    g.output(g.node("FullyConnected", "fc", x, w).attr("activation", "HARD_SWISH").output("y"));
    return g.build();
  }

  private static byte[] int8Conv(int h, int c, int o, int k, int group, String padding) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.INT8, Shape.of(1, h, h, c));
    g.quantization(x, new float[] {0.05f}, new long[] {3}, 0);
    byte[] wv = new byte[o * k * k * (c / group)];
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < wv.length; i++) {
      wv[i] = (byte) (r.nextInt(255) - 127);
    }
    int w = g.constantRaw("w", DataType.INT8, Shape.of(o, k, k, c / group), java.nio.ByteBuffer.wrap(wv));
    g.quantization(w, new float[] {0.01f}, new long[] {0}, 0);
    int y = g.node("Conv2D", "conv", x, w, g.constantInts("b", Shape.of(o), new int[o])).attr("group", (long) group)
        .attr("padding", padding).attr("activation", "RELU6").output("y", DataType.INT8, null);
    g.quantization(y, new float[] {0.1f}, new long[] {-2}, 0);
    g.output(y);
    return g.build();
  }

  private static byte[] quantize(int n) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(n));
    int y = g.node("Quantize", "q", x).output("y", DataType.INT8, null);
    g.quantization(y, new float[] {0.1f}, new long[] {-2}, 0);
    g.output(y);
    return g.build();
  }

  private static byte[] addPerChannel(int h, int c) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, h, h, c));
    int b = g.constant("b", Shape.of(c), VectorTesting.random(new java.util.Random(4), c));
    g.output(g.node("Add", "add", x, b).attr("activation", "RELU").output("y"));
    return g.build();
  }

  private static byte[] globalPool(int h, int c) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, h, h, c));
    g.output(g.node("GlobalAvgPool", "gap", x).output("y"));
    return g.build();
  }

  private static byte[] maxPool(int h, int c) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, h, h, c));
    g.output(g.node("MaxPool", "pool", x).attrInts("kernel", 3, 3).attrInts("strides", 2, 2)
        .attr("padding", "SAME_UPPER").output("y"));
    return g.build();
  }

  private static byte[] int8MaxPool(int h, int c) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.INT8, Shape.of(1, h, h, c));
    g.quantization(x, new float[] {0.05f}, new long[] {3}, 0);
    int y = g.node("MaxPool", "pool", x).attrInts("kernel", 3, 3).attrInts("strides", 2, 2)
        .attr("padding", "SAME_UPPER").output("y", DataType.INT8, null);
    g.quantization(y, new float[] {0.05f}, new long[] {3}, 0);
    g.output(y);
    return g.build();
  }

  @Test
  public void compiledKernelsDoNotAllocate() throws Exception {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    Assume.assumeTrue(bean instanceof com.sun.management.ThreadMXBean);
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    long thread = Thread.currentThread().getId();
    Map<String, byte[]> cases = new LinkedHashMap<>();
    cases.put("conv 3x3, 40 outputs (a partial panel)", conv(12, 8, 40, 3, 1, "SAME_UPPER"));
    cases.put("conv 1x1, 16 outputs (a one-vector panel)", conv(12, 24, 16, 1, 1, "VALID"));
    cases.put("depthwise 3x3, 24 channels (a masked block)", conv(12, 24, 24, 3, 24, "SAME_UPPER"));
    cases.put("depthwise 3x3 on 7x7, 40 channels (strips of seven and a masked block)", conv(7, 40, 40, 3, 40, "SAME_UPPER"));
    cases.put("depthwise 3x3 stride 2, 40 channels (full and masked blocks)",
        conv(17, 40, 40, 3, 40, "SAME_UPPER", "RELU6", 2));
    cases.put("direct conv 3x3 on 3 channels, 40 outputs (two vectors and a masked one)",
        conv(12, 3, 40, 3, 1, "SAME_UPPER"));
    cases.put("direct conv 3x3 on 1 channel, 14 columns, 32 outputs (strips of seven)",
        conv(14, 1, 32, 3, 1, "SAME_UPPER"));
    cases.put("direct conv 3x3 on 1 channel, 16 outputs, hard-swish", conv(12, 1, 16, 3, 1, "SAME_UPPER", "HARD_SWISH"));
    cases.put("direct conv 5x5 stride 2 on 3 channels, 24 outputs (a full and a partial vector)",
        conv(17, 3, 24, 5, 1, "SAME_UPPER", "RELU6", 2));
    cases.put("fc 7x33x70", fc(7, 33, 70));
    cases.put("int8 conv 3x3 from 12 channels, 40 outputs (im2col GEMM)", int8Conv(12, 12, 40, 3, 1, "SAME_UPPER"));
    cases.put("int8 conv 3x3 from 3 channels, 40 outputs (float direct convolution)",
        int8Conv(12, 3, 40, 3, 1, "SAME_UPPER"));
    cases.put("int8 conv 1x1, 48 outputs (widened rows)", int8Conv(12, 24, 48, 1, 1, "VALID"));
    cases.put("int8 conv 1x1, 16 outputs (bytes in place)", int8Conv(12, 24, 16, 1, 1, "VALID"));
    cases.put("int8 conv 1x1, depth 96 (three products per long lane), 40 outputs", int8Conv(7, 96, 40, 1, 1, "VALID"));
    cases.put("int8 conv 3x3, depth 144 (packed from int rows), 24 outputs", int8Conv(7, 16, 24, 3, 1, "SAME_UPPER"));
    cases.put("int8 depthwise 3x3 on 7x7, 24 channels (strips of seven and a masked block)",
        int8Conv(7, 24, 24, 3, 24, "SAME_UPPER"));
    cases.put("int8 depthwise 3x3, 24 channels", int8Conv(12, 24, 24, 3, 24, "SAME_UPPER"));
    cases.put("int8 quantize", quantize(1000));
    cases.put("add per channel, relu", addPerChannel(7, 40));
    cases.put("global average pool", globalPool(7, 70));
    cases.put("max pool 3x3 stride 2, 70 channels", maxPool(13, 70));
    cases.put("int8 max pool 3x3 stride 2, 70 channels (a full and a masked byte vector)", int8MaxPool(13, 70));
    for (Map.Entry<String, byte[]> e : cases.entrySet()) {
      try (Model model = VectorTesting.load(e.getValue(), VectorTesting.Kernels.VECTOR)) {
        Plan p = ModelAccess.get().plan(model);
        Frame f = new Frame(p.newFrameArrays(), p.frameOffsets(), Parallel.sequential(),
            new float[][] {new float[p.scratchFloats()]}, new int[][] {new int[p.scratchInts()]},
            new long[][] {new long[p.scratchLongs()]}, new byte[][] {new byte[p.scratchBytes()]});
        Kernel k = p.steps().get(0).kernel;
        List<String> names = VectorTesting.kernelNames(e.getValue(), VectorTesting.Kernels.VECTOR);
        assertTrue(e.getKey() + ": " + names, names.get(0).startsWith("Vector") || names.get(0).startsWith("QuantOps")
            || names.get(0).equals("Rows") || names.get(0).startsWith("ReduceMeanOp")
            || names.get(0).startsWith("Pool2DOp"));
        long allocated = -1;
        long start = System.nanoTime();
        int batch = 0;
        for (; (batch < MAX_BATCHES || System.nanoTime() - start < MIN_WAIT_NANOS) && allocated != 0; batch++) {
          long before = mx.getThreadAllocatedBytes(thread);
          for (int i = 0; i < BATCH; i++) {
            k.run(f);
          }
          allocated = mx.getThreadAllocatedBytes(thread) - before;
        }
        if (allocated != 0) {
          fail(e.getKey() + ": still allocating " + allocated + " bytes per " + BATCH + " runs after "
              + batch * BATCH + " runs");
        }
      }
    }
  }
}
