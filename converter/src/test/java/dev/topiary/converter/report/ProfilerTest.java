package dev.topiary.converter.report;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Tensor;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.format.ArtifactFormat;
import dev.topiary.internal.format.proto.TensorDesc;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

public class ProfilerTest {
  private static ModelProfile profile(byte[] artifact, int iterations) throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(artifact))) {
      return Profiler.profile("m.topiary", false, true, artifact, artifact, m, 1, new Profiler.Options(1, 1, iterations, 42),
          (what, done, total) -> {});
    }
  }

  private static Layer layer(ModelProfile p, String name) {
    return p.layers().stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  public void macsOfLinearLayersMatchHandCounts() throws Exception {
    ModelProfile p = profile(ProfileModels.linearChain(), 2);
    assertEquals(6 * 6 * 4 * 3 * 3 * 3, layer(p, "conv").macs());
    assertEquals(4 * 4 * 4 * 3 * 3, layer(p, "dw").macs());
    assertEquals(10 * 64, layer(p, "fc").macs());
    assertEquals(5 * 10, layer(p, "mm").macs());
    assertEquals(0, layer(p, ProfileModels.HOSTILE_NAME).macs());
    assertEquals(0, layer(p, "flat").macs());
    assertEquals(3888 + 576 + 640 + 50, p.macs());
  }

  @Test
  public void opMacsFormulas() {
    assertEquals(2L * 5 * 5 * 8 * 3 * 3 * 4, OpMacs.of("Conv2D", new int[][] {{2, 7, 7, 4}, {8, 3, 3, 4}, {8}}, new int[] {2, 5, 5, 8}));
    assertEquals(3L * 7 * 16, OpMacs.of("FullyConnected", new int[][] {{3, 16}, {7, 16}}, new int[] {3, 7}));
    assertEquals(2L * 4 * 6 * 5, OpMacs.of("MatMul", new int[][] {{2, 4, 5}, {5, 6}}, new int[] {2, 4, 6}));
    assertEquals(6L * 5, OpMacs.of("MatMul", new int[][] {{5}, {5, 6}}, new int[] {6}));
    assertEquals(0, OpMacs.of("Add", new int[][] {{4}, {4}}, new int[] {4}));
  }

  @Test
  public void layerWeightBytesSumToTheDataSectionUpToAlignment() throws Exception {
    byte[] bytes = ProfileModels.linearChain();
    ModelProfile p = profile(bytes, 1);
    long constants = 0;
    int count = 0;
    try (Model m = Model.load(ByteBuffer.wrap(bytes))) {
      for (TensorDesc t : ModelAccess.get().artifact(m).header().getGraph().getTensorsList()) {
        if (t.getConstant()) {
          constants += t.getDataLength();
          count++;
        }
      }
    }
    assertEquals(constants, p.layerWeightBytes() + p.unattributedBytes());
    assertEquals(0, p.unattributedBytes());
    assertEquals(constants, p.constantBytes());
    assertTrue(p.dataBytes() >= constants);
    assertTrue("padding " + p.paddingBytes(), p.paddingBytes() < (long) ArtifactFormat.ALIGNMENT * count);
    assertEquals(bytes.length, p.artifactBytes());
    assertEquals(p.artifactBytes(), p.constantBytes() + p.overheadBytes());
    // the sparse FullyConnected weights count at their stored size, and their zeros as sparsity
    Layer fc = layer(p, "fc");
    assertTrue(fc.weightBytes() < 650 * 4);
    assertTrue("sparsity " + fc.sparsity(), fc.sparsity() > 0.4 && fc.sparsity() < 0.6);
    assertEquals(650, fc.parameters());
    assertEquals(0.0, layer(p, "conv").sparsity(), 0);
    assertTrue(Double.isNaN(layer(p, "flat").sparsity()));
  }

  @Test
  public void fashionMnistCnnWeightBytesAndMacsAddUp() throws Exception {
    java.nio.file.Path dir = null;
    for (java.nio.file.Path p = java.nio.file.Paths.get("").toAbsolutePath(); p != null && dir == null; p = p.getParent()) {
      java.nio.file.Path d = p.resolve("tools/fixtures/fashion-mnist/cnn.onnx");
      dir = java.nio.file.Files.isRegularFile(d) ? d : null;
    }
    if (dir == null) {
      System.err.println("ProfilerTest: CNN check skipped, no tools/fixtures/fashion-mnist/cnn.onnx");
    }
    org.junit.Assume.assumeTrue("no Fashion-MNIST CNN fixture", dir != null);
    for (dev.topiary.converter.quantize.QuantizeMode mode : new dev.topiary.converter.quantize.QuantizeMode[] {
        dev.topiary.converter.quantize.QuantizeMode.NONE, dev.topiary.converter.quantize.QuantizeMode.DYNAMIC}) {
      byte[] bytes = dev.topiary.converter.Converter.convert(dir,
          dev.topiary.converter.ConvertOptions.builder().quantize(mode).build()).artifact();
      ModelProfile p = profile(bytes, 1);
      assertEquals(mode.toString(), p.constantBytes(), p.layerWeightBytes() + p.unattributedBytes());
      assertTrue(mode.toString(), p.dataBytes() - p.layerWeightBytes() < 64L * p.layers().size() * 3);
      // by hand, |out| x KH*KW*C/group: stem and dw0 196*32*9, pw0 196*64*32, dw1 49*64*9, pw1 49*128*64,
      // dw2 49*128*9, pw2 49*128*128; classifier 10*128
      long byHand = 2L * 196 * 32 * 9 + 196 * 64 * 32 + 49 * 64 * 9 + 49 * 128 * 64 + 49 * 128 * 9 + 49 * 128 * 128
          + 10 * 128;
      assertEquals(1_804_480, byHand);
      assertEquals(byHand, p.macs());
      assertEquals(30_794, p.parameters());
    }
  }

  @Test
  public void timesEveryStepAndKeepsTheFileFacts() throws Exception {
    ModelProfile p = profile(ProfileModels.linearChain(), 5);
    assertEquals(6, p.layers().size());
    assertEquals(5, p.steadyNanos().length);
    for (Layer l : p.layers()) {
      assertTrue(l.name(), l.meanNanos() > 0 && l.p90Nanos() > 0);
    }
    assertTrue(p.layersNanos() > 0);
    assertTrue(p.arenaBytes() >= p.arenaLowerBoundBytes() && p.arenaLowerBoundBytes() > 0);
    assertTrue(p.sessionArenaBytes() >= p.arenaBytes());
    assertTrue(p.artifactDeflateBytes() > 0 && p.artifactDeflateBytes() < p.artifactBytes());
    assertEquals(List.of(0), layer(p, ProfileModels.HOSTILE_NAME).producers());
    assertArrayEquals(new int[] {1, 4, 4, 4}, layer(p, "dw").outputShape());
  }

  @Test
  public void timedSessionGivesTheSameOutputs() throws Exception {
    byte[] bytes = ProfileModels.linearChain();
    float[] input = ProfileModels.random(new Random(3), 8 * 8 * 3, 0);
    try (Model m = Model.load(ByteBuffer.wrap(bytes));
        Session plain = m.newSession(SessionOptions.builder().threads(1).build());
        Session timed = m.newSession(SessionOptions.builder().threads(2).build())) {
      Map<String, Tensor> in = new HashMap<>();
      in.put("x", Tensor.ofFloats(dev.topiary.Shape.of(1, 8, 8, 3), input));
      float[] expected = plain.run(in).get("y").toFloatArray();
      long[] steps = new long[ModelAccess.get().plan(m).steps().size()];
      ModelAccess.get().timeSteps(timed, steps);
      assertArrayEquals(expected, timed.run(in).get("y").toFloatArray(), 0f);
      for (long t : steps) {
        assertTrue(t > 0);
      }
      ModelAccess.get().timeSteps(timed, null);
      assertArrayEquals(expected, timed.run(in).get("y").toFloatArray(), 0f);
      try {
        ModelAccess.get().timeSteps(timed, new long[steps.length + 1]);
        throw new AssertionError("expected IllegalArgumentException");
      } catch (IllegalArgumentException e) {
        assertEquals("step times: expected 6 elements (one per plan step), got 7", e.getMessage());
      }
    }
  }

  @Test
  public void deflatedSizeOfRepetitiveDataIsSmall() {
    assertTrue(Profiler.deflatedSize(new byte[100_000]) < 1000);
    byte[] noise = new byte[10_000];
    new Random(1).nextBytes(noise);
    assertTrue(Profiler.deflatedSize(noise) > 9_900);
  }
}
