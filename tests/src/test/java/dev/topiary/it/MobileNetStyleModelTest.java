package dev.topiary.it;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.ops.OpRegistry;
import dev.topiary.testing.TestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A mobile-style CNN (the shape of the Fashion-MNIST model the converter will produce: an NCHW
 * input transposed to NHWC, 3×3 conv, depthwise-separable blocks with BatchNorm and ReLU6, a
 * residual add, global average pooling, a classifier and softmax) built with the runtime's own
 * writer, written to disk and memory-mapped back.
 */
public class MobileNetStyleModelTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  static byte[] build(Random r) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("image", DataType.FLOAT32, Shape.of(1, 1, 28, 28));
    int t = g.node("Transpose", "to_nhwc", x).attrInts("perm", 0, 2, 3, 1).output("nhwc");
    t = conv(g, r, "stem", t, 1, 16, 3, 2, 1, "RELU6");
    t = bn(g, r, "stem_bn", t, 16);
    // Depthwise-separable block with a residual connection.
    int dw = conv(g, r, "b1_dw", t, 16, 16, 3, 1, 16, "NONE");
    dw = bn(g, r, "b1_dw_bn", dw, 16);
    dw = g.node("Clip", "b1_relu6", dw).attr("min", 0f).attr("max", 6f).output("b1_act");
    int pw = conv(g, r, "b1_pw", dw, 16, 16, 1, 1, 1, "NONE");
    t = g.node("Add", "b1_add", t, pw).output("b1_out");
    // Strided block growing channels.
    dw = conv(g, r, "b2_dw", t, 16, 16, 3, 2, 16, "RELU6");
    t = conv(g, r, "b2_pw", dw, 16, 32, 1, 1, 1, "HARD_SWISH");
    t = g.node("GlobalAvgPool", "gap", t).output("pooled");
    t = g.node("Reshape", "flatten", t).attrInts("shape", 1, 32).output("features");
    int w = g.constant("fc_w", Shape.of(10, 32), TestSupport.randomFloats(r, 320, -0.3f, 0.3f));
    int b = g.constant("fc_b", Shape.of(10), TestSupport.randomFloats(r, 10, -0.1f, 0.1f));
    t = g.node("FullyConnected", "fc", t, w, b).output("logits");
    t = g.node("Softmax", "softmax", t).attr("axis", -1L).output("probabilities");
    g.output(t);
    g.labels(java.util.Arrays.asList("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
        "sneaker", "bag", "ankle boot"));
    return g.build();
  }

  private static int conv(GraphBuilder g, Random r, String name, int in, int cin, int cout, int k, int stride,
      int group, String act) {
    int w = g.constant(name + "_w", Shape.of(cout, k, k, cin / group),
        TestSupport.randomFloats(r, cout * k * k * cin / group, -0.5f, 0.5f));
    int b = g.constant(name + "_b", Shape.of(cout), TestSupport.randomFloats(r, cout, -0.1f, 0.1f));
    return g.node("Conv2D", name, in, w, b)
        .attrInts("strides", stride, stride)
        .attr("padding", "SAME_UPPER")
        .attr("group", (long) group)
        .attr("activation", act)
        .output(name + "_out");
  }

  private static int bn(GraphBuilder g, Random r, String name, int in, int c) {
    int scale = g.constant(name + "_scale", Shape.of(c), TestSupport.randomFloats(r, c, 0.5f, 1.5f));
    int bias = g.constant(name + "_bias", Shape.of(c), TestSupport.randomFloats(r, c, -0.2f, 0.2f));
    int mean = g.constant(name + "_mean", Shape.of(c), TestSupport.randomFloats(r, c, -0.2f, 0.2f));
    int var = g.constant(name + "_var", Shape.of(c), TestSupport.randomFloats(r, c, 0.5f, 2f));
    return g.node("BatchNorm", name, in, scale, bias, mean, var).attr("epsilon", 1e-5f).output(name + "_out");
  }

  private static Map<String, Tensor> input(Random r) {
    return Collections.singletonMap("image", TestSupport.randomTensor(r, Shape.of(1, 1, 28, 28)));
  }

  @Test
  public void runsFromAMappedFileAndMatchesTheReferenceKernels() throws Exception {
    byte[] bytes = build(new Random(1));
    Path file = tmp.newFile("cnn.topiary").toPath();
    Files.write(file, bytes);
    Random r = new Random(2);
    try (Model fast = Model.load(file);
        Model reference = TestSupport.load(bytes, true);
        Session s = fast.newSession(SessionOptions.builder().threads(2).build());
        Session ref = reference.newSession(SessionOptions.builder().threads(1).build())) {
      assertEquals("[probabilities [1,10] FLOAT32]", fast.outputs().toString());
      assertTrue("arena " + fast.arenaBytes() + " below its lower bound " + fast.arenaLowerBoundBytes(),
          fast.arenaBytes() >= fast.arenaLowerBoundBytes());
      for (int i = 0; i < 5; i++) {
        Map<String, Tensor> in = input(r);
        float[] expected = ref.run(in).get("probabilities").toFloatArray();
        float[] actual = s.run(in).get("probabilities").toFloatArray();
        TestSupport.assertClose("run " + i, expected, actual, 1e-4, 1e-6);
        float sum = 0;
        for (float p : actual) {
          sum += p;
        }
        assertEquals(1f, sum, 1e-5f);
      }
    }
  }

  @Test
  public void sessionsOnManyThreadsAreBitIdenticalToOneSession() throws Exception {
    byte[] bytes = build(new Random(3));
    Random r = new Random(4);
    List<Map<String, Tensor>> inputs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      inputs.add(input(r));
    }
    try (Model m = TestSupport.load(bytes)) {
      List<float[]> expected = new ArrayList<>();
      try (Session one = m.newSession(SessionOptions.builder().threads(1).build())) {
        for (Map<String, Tensor> in : inputs) {
          expected.add(one.run(in).get("probabilities").toFloatArray());
        }
      }
      int sessions = 4;
      ExecutorService pool = Executors.newFixedThreadPool(sessions);
      try {
        List<Future<List<float[]>>> futures = new ArrayList<>();
        for (int k = 0; k < sessions; k++) {
          final int threads = 1 + k % 3;
          futures.add(pool.submit((Callable<List<float[]>>) () -> {
            List<float[]> got = new ArrayList<>();
            try (Session s = m.newSession(SessionOptions.builder().threads(threads).build())) {
              for (int rep = 0; rep < 3; rep++) {
                for (Map<String, Tensor> in : inputs) {
                  got.add(s.run(in).get("probabilities").toFloatArray());
                }
              }
            }
            return got;
          }));
        }
        for (Future<List<float[]>> f : futures) {
          List<float[]> got = f.get();
          for (int i = 0; i < got.size(); i++) {
            assertArrayEquals("input " + (i % inputs.size()), expected.get(i % inputs.size()), got.get(i), 0f);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
