package dev.topiary.internal.format;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.format.proto.Attribute;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.ModelHeader;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.format.proto.TensorDesc;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.Test;

/**
 * Truncated, bit-flipped, oversized-claim, cyclic and otherwise hostile artifacts must give
 * {@link ModelFormatException} naming the problem: never another exception, an OOM or a hang.
 */
public class HostileArtifactTest {

  /** A small real artifact: two constants, three nodes, metadata. */
  static byte[] sample() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 8));
    int a = g.node("Relu", "relu_a", x).output("a");
    int b = g.node("Relu", "relu_b", a).output("b");
    int c = g.node("Relu", "relu_c", b).output("c");
    g.constant("unused_weights", Shape.of(4, 4), new float[16]);
    g.constantLongs("unused_ids", Shape.of(3), new long[] {1, 2, 3});
    g.output(c).labels(Arrays.asList("zero", "one")).property("author", "test");
    return g.build();
  }

  /** Loads and fails unless the outcome is success or a ModelFormatException. */
  private static ModelFormatException loadExpectingFormatError(byte[] bytes, String what) {
    try {
      Model.load(ByteBuffer.wrap(bytes)).close();
      return null;
    } catch (ModelFormatException e) {
      assertNotNull(what + ": exception without message", e.getMessage());
      return e;
    } catch (Throwable t) {
      throw new AssertionError(what + ": expected ModelFormatException, got " + t, t);
    }
  }

  /** Re-computes the trailer digest so that corruption reaches the parser and validator. */
  static byte[] resign(byte[] file) {
    byte[] out = file.clone();
    int end = out.length - ArtifactFormat.TRAILER_SIZE;
    byte[] digest = ArtifactReader.sha256(ByteBuffer.wrap(out), end);
    System.arraycopy(digest, 0, out, end, digest.length);
    return out;
  }

  /** Builds an artifact from a hand-edited header over {@code data}. */
  static byte[] withHeader(ModelHeader h, byte[] data) {
    return ArtifactWriter.toBytes(h, ByteBuffer.wrap(data));
  }

  static ModelHeader header(byte[] file) throws Exception {
    return ArtifactReader.read(ByteBuffer.wrap(file), true).header();
  }

  static byte[] data(byte[] file) throws Exception {
    Artifact a = ArtifactReader.read(ByteBuffer.wrap(file), true);
    return Arrays.copyOfRange(file, (int) a.dataOffset(), (int) (a.dataOffset() + a.dataSize()));
  }

  @Test
  public void sampleLoads() throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(sample()))) {
      assertEquals(Arrays.asList("zero", "one"), m.metadata().labels());
      assertEquals("test", m.metadata().properties().get("author"));
    }
  }

  @Test
  public void everyTruncationIsAFormatError() throws Exception {
    byte[] file = sample();
    for (int len = 0; len < file.length; len++) {
      ModelFormatException e = loadExpectingFormatError(Arrays.copyOf(file, len), "truncated to " + len);
      assertNotNull("truncated to " + len + " bytes loaded", e);
    }
  }

  @Test
  public void everyByteFlipIsCaughtByTheDigest() throws Exception {
    byte[] file = sample();
    for (int i = 0; i < file.length; i++) {
      byte[] bad = file.clone();
      bad[i] ^= (byte) (1 << (i % 8));
      ModelFormatException e = loadExpectingFormatError(bad, "flip at " + i);
      assertNotNull("flip at byte " + i + " was not detected", e);
    }
  }

  @Test
  public void flipsBehindAValidDigestNeverCrash() throws Exception {
    // An attacker can recompute the digest: the parser and validator must then stand on their own.
    byte[] file = sample();
    Random r = new Random(42);
    int errors = 0;
    for (int trial = 0; trial < 3000; trial++) {
      byte[] bad = file.clone();
      int flips = 1 + r.nextInt(4);
      for (int k = 0; k < flips; k++) {
        int i = r.nextInt(file.length - ArtifactFormat.TRAILER_SIZE);
        bad[i] = (byte) (trial % 3 == 0 ? r.nextInt(256) : bad[i] ^ (1 << r.nextInt(8)));
      }
      if (loadExpectingFormatError(resign(bad), "trial " + trial) != null) {
        errors++;
      }
    }
    assertTrue("most corruptions should be rejected, only " + errors + " were", errors > 1000);
  }

  @Test
  public void trailingGarbageIsRejected() throws Exception {
    byte[] file = sample();
    byte[] longer = Arrays.copyOf(file, file.length + 64);
    ModelFormatException e = loadExpectingFormatError(longer, "extended");
    assertTrue(e.getMessage(), e.getMessage().contains("end marker"));
  }

  @Test
  public void badMagicNamesTheProblem() throws Exception {
    byte[] file = sample();
    file[1] = 'X';
    assertTrue(loadExpectingFormatError(file, "magic").getMessage().contains("not a Topiary artifact"));
    byte[] onnxLike = new byte[100];
    onnxLike[0] = 0x08;
    assertTrue(loadExpectingFormatError(onnxLike, "onnx").getMessage().contains("ONNX"));
  }

  @Test
  public void newerMajorVersionIsRefusedWithAnUpgradeHint() throws Exception {
    byte[] file = sample();
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 2).putShort(10, (short) 0);
    ModelFormatException e = loadExpectingFormatError(resign(file), "v2");
    assertEquals("artifact format version 2.0 is not supported: this runtime reads 1.x (upgrade Topiary to read it)",
        e.getMessage());
  }

  @Test
  public void newerMinorVersionLoads() throws Exception {
    byte[] file = sample();
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putShort(10, (short) 7);
    try (Model m = Model.load(ByteBuffer.wrap(resign(file)))) {
      assertEquals(1, m.outputs().size());
    }
  }

  @Test
  public void unknownHeaderFieldsAreIgnored() throws Exception {
    // A newer minor version adds fields; protobuf skips unknown ones, so old readers keep working.
    byte[] file = sample();
    ModelHeader h = header(file);
    byte[] extra = h.toBuilder().build().toByteArray();
    byte[] withUnknown = Arrays.copyOf(extra, extra.length + 3);
    withUnknown[extra.length] = (byte) (99 << 3); // field 99, varint
    withUnknown[extra.length + 1] = 0x01;
    withUnknown[extra.length + 2] = 0;
    ModelHeader parsed = ModelHeader.parseFrom(Arrays.copyOf(withUnknown, extra.length + 2));
    byte[] rebuilt = withHeader(parsed, data(file));
    try (Model m = Model.load(ByteBuffer.wrap(rebuilt))) {
      assertEquals("c", m.outputs().get(0).name());
    }
  }

  @Test
  public void oversizedHeaderLengthIsRejectedBeforeAllocation() throws Exception {
    byte[] file = sample();
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 0x7FFFFFF0);
    assertTrue(loadExpectingFormatError(file, "header length").getMessage().contains("exceeds the limit"));
    byte[] file2 = sample();
    ByteBuffer.wrap(file2).order(ByteOrder.LITTLE_ENDIAN).putInt(12, file2.length);
    assertTrue(loadExpectingFormatError(file2, "header length").getMessage().contains("runs past the end"));
  }

  @Test
  public void oversizedTensorClaimsAreRejected() throws Exception {
    byte[] file = sample();
    ModelHeader h = header(file);
    Graph g = h.getGraph();
    int idx = indexOf(g, "unused_weights");
    TensorDesc huge = g.getTensors(idx).toBuilder().clearShape().addShape(1L << 40).addShape(4).build();
    byte[] bad = withHeader(h.toBuilder().setGraph(g.toBuilder().setTensors(idx, huge)).build(), data(file));
    assertTrue(loadExpectingFormatError(bad, "huge dim").getMessage().contains("dimension 0"));

    TensorDesc wide = g.getTensors(idx).toBuilder().clearShape().addShape(1 << 20).addShape(1 << 20).build();
    bad = withHeader(h.toBuilder().setGraph(g.toBuilder().setTensors(idx, wide)).build(), data(file));
    assertTrue(loadExpectingFormatError(bad, "huge count").getMessage().contains("2^31-1"));

    TensorDesc outside = g.getTensors(idx).toBuilder().setDataOffset(1L << 30).build();
    bad = withHeader(h.toBuilder().setGraph(g.toBuilder().setTensors(idx, outside)).build(), data(file));
    assertTrue(loadExpectingFormatError(bad, "offset").getMessage().contains("outside the"));

    TensorDesc shortData = g.getTensors(idx).toBuilder().setDataLength(8).build();
    bad = withHeader(h.toBuilder().setGraph(g.toBuilder().setTensors(idx, shortData)).build(), data(file));
    assertTrue(loadExpectingFormatError(bad, "length").getMessage().contains("does not match"));

    TensorDesc misaligned = g.getTensors(idx).toBuilder().setDataOffset(4).build();
    bad = withHeader(h.toBuilder().setGraph(g.toBuilder().setTensors(idx, misaligned)).build(), data(file));
    assertTrue(loadExpectingFormatError(bad, "aligned").getMessage().contains("aligned"));
  }

  @Test
  public void hugeActivationIsRejectedBeforeAllocation() throws Exception {
    // 2^30 floats = 4 GiB of activations: refused at load, not an OutOfMemoryError at session start.
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1 << 15, 1 << 15));
    g.output(g.node("Relu", "r", x).output("y"));
    ModelFormatException e = loadExpectingFormatError(g.build(), "huge activation");
    assertTrue(e.getMessage(), e.getMessage().contains("bytes of F32 activations"));
  }

  @Test
  public void cycleIsNamed() throws Exception {
    byte[] file = sample();
    ModelHeader h = header(file);
    Graph g = h.getGraph();
    // relu_a now reads relu_c's output: a -> b -> c -> a.
    int c = indexOf(g, "c");
    Node a = g.getNodes(0).toBuilder().setInputs(0, c).build();
    byte[] bad = withHeader(h.toBuilder().setGraph(g.toBuilder().setNodes(0, a)).build(), data(file));
    assertTrue(loadExpectingFormatError(bad, "cycle").getMessage().contains("cycle"));
  }

  @Test
  public void selfLoopIsNamed() throws Exception {
    byte[] file = sample();
    ModelHeader h = header(file);
    Graph g = h.getGraph();
    Node b = g.getNodes(1).toBuilder().setInputs(0, g.getNodes(1).getOutputs(0)).build();
    byte[] bad = withHeader(h.toBuilder().setGraph(g.toBuilder().setNodes(1, b)).build(), data(file));
    assertTrue(loadExpectingFormatError(bad, "self loop").getMessage().contains("cycle"));
  }

  @Test
  public void structuralErrorsAreNamed() throws Exception {
    byte[] file = sample();
    ModelHeader h = header(file);
    Graph g = h.getGraph();
    byte[] d = data(file);
    expect(h, g.toBuilder().setNodes(0, g.getNodes(0).toBuilder().setInputs(0, 999)).build(), d, "out of range");
    expect(h, g.toBuilder().setNodes(1, g.getNodes(1).toBuilder().setOutputs(0, g.getNodes(0).getOutputs(0))).build(),
        d, "already written");
    expect(h, g.toBuilder().setNodes(0, g.getNodes(0).toBuilder().setOpType("")).build(), d, "empty op type");
    expect(h, g.toBuilder().setNodes(1, g.getNodes(1).toBuilder().setName("relu_a")).build(), d, "duplicate node name");
    expect(h, g.toBuilder().setTensors(1, g.getTensors(1).toBuilder().setName("x")).build(), d, "duplicate name");
    expect(h, g.toBuilder().clearOutputs().build(), d, "no outputs");
    expect(h, g.toBuilder().addInputs(g.getInputs(0)).build(), d, "listed twice");
    expect(h, g.toBuilder().setTensors(0, g.getTensors(0).toBuilder().setDataTypeValue(42)).build(), d,
        "unknown data type");
    expect(h, g.toBuilder().setNodes(0, g.getNodes(0).toBuilder()
        .addAttributes(Attribute.newBuilder().setName("k").setI(1))
        .addAttributes(Attribute.newBuilder().setName("k").setI(2))).build(), d, "duplicate attribute");
    expect(h, g.toBuilder().setNodes(0, g.getNodes(0).toBuilder().setInputs(0, indexOf(g, "b"))).build(), d,
        "cycle");
  }

  @Test
  public void unsupportedOpsAreListedTogetherWithTheirNodes() throws Exception {
    byte[] file = sample();
    ModelHeader h = header(file);
    Graph g = h.getGraph();
    Graph bad = g.toBuilder()
        .setNodes(0, g.getNodes(0).toBuilder().setOpType("FancyOp"))
        .setNodes(1, g.getNodes(1).toBuilder().setOpType("OtherOp"))
        .setNodes(2, g.getNodes(2).toBuilder().setOpType("FancyOp"))
        .build();
    ModelFormatException e = loadExpectingFormatError(withHeader(h.toBuilder().setGraph(bad).build(), data(file)), "ops");
    assertTrue(e.getMessage(), e.getMessage().contains("FancyOp in [relu_a, relu_c]; OtherOp in [relu_b]"));
  }

  @Test
  public void declaredShapeMismatchIsNamed() throws Exception {
    byte[] file = sample();
    ModelHeader h = header(file);
    Graph g = h.getGraph();
    int b = indexOf(g, "b");
    Graph bad = g.toBuilder().setTensors(b, g.getTensors(b).toBuilder().setShape(1, 9)).build();
    ModelFormatException e = loadExpectingFormatError(withHeader(h.toBuilder().setGraph(bad).build(), data(file)),
        "shape");
    assertEquals("node 'relu_b' (Relu): output 'b' is declared [1,9] but the op computes [1,8]", e.getMessage());
  }

  @Test
  public void streamLoadIsBounded() throws Exception {
    byte[] file = sample();
    try (Model m = Model.load(new ByteArrayInputStream(file))) {
      assertEquals(64, m.sha256().length());
    }
    try {
      ArtifactReader.readFully(new ByteArrayInputStream(new byte[1000]), 999);
      fail("limit not enforced");
    } catch (ModelFormatException e) {
      assertTrue(e.getMessage().contains("exceeds the limit"));
    }
  }

  private static void expect(ModelHeader h, Graph g, byte[] data, String message) {
    ModelFormatException e = loadExpectingFormatError(withHeader(h.toBuilder().setGraph(g).build(), data), message);
    assertNotNull("expected an error containing '" + message + "'", e);
    assertTrue("expected '" + message + "' in: " + e.getMessage(), e.getMessage().contains(message));
  }

  private static int indexOf(Graph g, String name) {
    for (int i = 0; i < g.getTensorsCount(); i++) {
      if (g.getTensors(i).getName().equals(name)) {
        return i;
      }
    }
    throw new AssertionError("no tensor " + name);
  }

  @Test
  public void float16ActivationsAndOutputsAreRefused() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int w = g.constantRaw("w16", DataType.FLOAT16, Shape.of(2), ByteBuffer.allocate(4));
    g.output(w);
    assertEquals("graph output 'w16' is FLOAT16; outputs must be FLOAT32 or integer",
        loadExpectingFormatError(g.build(), "fp16 output").getMessage());
    GraphBuilder g2 = new GraphBuilder();
    int w2 = g2.constantRaw("w16", DataType.FLOAT16, Shape.of(2), ByteBuffer.allocate(4));
    g2.output(g2.node("Reshape", "r", w2).attrInts("shape", 1, 2).output("y", DataType.FLOAT16, Shape.of(1, 2)));
    // refused by the declared precisions before the op could pass FLOAT16 on
    assertEquals("node 'r' (Reshape): input 0 'w16' is FLOAT16, but Reshape has no FLOAT16 weights",
        loadExpectingFormatError(g2.build(), "fp16 activation").getMessage());
  }
}
