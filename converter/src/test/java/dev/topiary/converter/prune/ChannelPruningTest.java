package dev.topiary.converter.prune;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.artifact.ArtifactExporter;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.TensorValue;
import dev.topiary.converter.npy.Npy;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * Channel pruning is exact when the removed channels carry nothing: in the Fashion-MNIST CNN
 * (stem conv, depthwise-separable blocks, a residual Add, global pooling, classifier), every
 * ungrouped conv's channels {@code c % 4 == 0} are zeroed (filters and bias, and the bias of the
 * depthwise conv after it, the same channels on both sides of the residual Add); pruning 25% must
 * then remove exactly those channels and leave the logits unchanged.
 */
public class ChannelPruningTest {
  private static final ArtifactExporter.Metadata META = new ArtifactExporter.Metadata("test", "", "cnn", "",
      List.of(), new float[0], new float[0], Map.of());

  private static Path fixtures() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("tools/fixtures/fashion-mnist/cnn.onnx"))) {
      p = p.getParent();
    }
    assumeTrue("no Fashion-MNIST fixtures", p != null);
    return p.resolve("tools/fixtures/fashion-mnist");
  }

  /** Zeroes slices {@code c % 4 == 0} along axis 0 of constant {@code o}. */
  private static void zeroChannels(Graph g, Outlet o) throws Exception {
    TensorValue v = g.fact(o).value();
    int ch = v.shape()[0];
    int per = v.count() / ch;
    float[] w = v.floats().clone();
    for (int c = 0; c < ch; c += 4) {
      Arrays.fill(w, c * per, (c + 1) * per, 0f);
    }
    Patch p = new Patch(g, "zero");
    p.setOp(o.node(), IrOps.constant(TensorValue.ofFloats(DType.FLOAT32, v.shape(), w)));
    p.apply();
  }

  private static float[] run(byte[] artifact, float[] x) throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(artifact)); Session s = m.newSession()) {
      return s.run(Collections.singletonMap("input", Tensor.ofFloats(Shape.of(16, 1, 28, 28), x)))
          .get("logits").toFloatArray();
    }
  }

  @Test
  public void removingZeroChannelsLeavesTheLogitsUnchanged() throws Exception {
    Path dir = fixtures();
    Graph g = Converter.lowered(Files.readAllBytes(dir.resolve("cnn.onnx")),
        ConvertOptions.builder().inputShape("input", 16, 1, 28, 28).build());
    int convs = 0;
    for (int id : g.order()) {
      Node n = g.node(id);
      if (n.op().is(Dialect.RUNTIME, "Conv2D")) {
        zeroChannels(g, n.input(2));
        if (n.op().attrs().i("group", 1) == 1) {
          zeroChannels(g, n.input(1));
          convs++;
        }
      }
    }
    assertEquals(4, convs);
    float[] x = Arrays.copyOf(Npy.read(dir.resolve("test_images.npy")).tensor().toFloatArray(), 16 * 28 * 28);
    byte[] before = ArtifactExporter.export(g, META);
    long macsBefore = Macs.of(g);
    List<ChannelPruning.Layer> layers = ChannelPruning.apply(g, 0.25, ChannelPruning.Norm.L1);
    int pruned = 0;
    for (ChannelPruning.Layer l : layers) {
      if (l.skipped() == null) {
        pruned++;
        assertEquals(l.node(), l.channelsBefore() * 3 / 4, l.channelsAfter());
      } else {
        assertTrue(l.node() + ": " + l.skipped(), l.node().startsWith("/fc/"));
      }
    }
    assertEquals("stem, three pointwise convs (two of them joined at the residual Add)", 4, pruned);
    byte[] after = ArtifactExporter.export(g, META);
    float[] a = run(before, x);
    float[] b = run(after, x);
    for (int i = 0; i < a.length; i++) {
      assertEquals("logit " + i, a[i], b[i], 1e-4f * Math.max(1f, Math.abs(a[i])));
    }
    assertTrue(Macs.of(g) < 0.8 * macsBefore);
  }

  @Test
  public void reshapeMergingTheChannelAxisMapsChannelsWithAStride() {
    // [N,H,W,C] -> [N,H·W·C]: channel stays innermost (stride factor 1).
    assertEquals("[1, 1]", Arrays.toString(ChannelPruning.mergedAxis(new int[] {2, 3, 3, 8}, 3, new int[] {2, 72})));
    // [N,C,H,W] -> [N,C·H·W]: each channel is a run of H·W.
    assertEquals("[1, 9]", Arrays.toString(ChannelPruning.mergedAxis(new int[] {2, 8, 3, 3}, 1, new int[] {2, 72})));
    // [N,1,1,C] -> [N,C]
    assertEquals("[1, 1]", Arrays.toString(ChannelPruning.mergedAxis(new int[] {2, 1, 1, 8}, 3, new int[] {2, 8})));
    // splitting the channel axis: no
    assertNull(ChannelPruning.mergedAxis(new int[] {2, 8}, 1, new int[] {2, 2, 4}));
  }

  @Test
  public void keepsAllButTheSmallestNorms() {
    boolean[] k = ChannelPruning.keepAllBut(new double[] {3, 0, 2, 0, 5}, 2);
    assertEquals("[true, false, true, false, true]", Arrays.toString(k));
    TensorValue w = TensorValue.ofFloats(new int[] {2, 2}, 1f, -1f, 0f, 1.5f);
    assertEquals("[2.0, 1.5]", Arrays.toString(ChannelPruning.scores(w, ChannelPruning.Norm.L1)));
    assertEquals("[2.0, 2.25]", Arrays.toString(ChannelPruning.scores(w, ChannelPruning.Norm.L2)));
  }
}
