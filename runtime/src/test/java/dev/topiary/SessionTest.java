package dev.topiary;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.internal.build.GraphBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The public API's contract: loading, inputs by name, error messages, lifecycle. */
public class SessionTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static byte[] twoInputModel() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4));
    int ids = g.input("ids", DataType.INT64, Shape.of(2));
    g.output(g.node("Relu", "relu", x).output("y"));
    g.output(ids);
    g.labels(java.util.Arrays.asList("a", "b", "c", "d")).normalization(new float[] {0.5f}, new float[] {0.25f});
    g.property("license", "MIT").name("tiny").description("two inputs");
    return g.build();
  }

  private static Map<String, Tensor> inputs(float... x) {
    Map<String, Tensor> in = new HashMap<>();
    in.put("x", Tensor.ofFloats(Shape.of(1, 4), x));
    in.put("ids", Tensor.ofLongs(Shape.of(2), 7, -3));
    return in;
  }

  @Test
  public void loadsFromPathStreamAndBufferAlike() throws Exception {
    byte[] bytes = twoInputModel();
    Path p = tmp.newFile("m.topiary").toPath();
    Files.write(p, bytes);
    try (Model a = Model.load(p);
        Model b = Model.load(Files.newInputStream(p));
        Model c = Model.load(ByteBuffer.wrap(bytes))) {
      assertEquals(a.sha256(), b.sha256());
      assertEquals(a.sha256(), c.sha256());
      assertEquals(bytes.length, a.fileSize());
      assertEquals("[x [1,4] FLOAT32, ids [2] INT64]", a.inputs().toString());
      assertEquals("[y [1,4] FLOAT32, ids [2] INT64]", a.outputs().toString());
      ModelMetadata md = a.metadata();
      assertEquals("tiny", md.name());
      assertEquals("two inputs", md.description());
      assertEquals(java.util.Arrays.asList("a", "b", "c", "d"), md.labels());
      assertArrayEquals(new float[] {0.5f}, md.normalizationMean(), 0f);
      assertArrayEquals(new float[] {0.25f}, md.normalizationStd(), 0f);
      assertEquals("MIT", md.properties().get("license"));
      try (Session s = a.newSession()) {
        Map<String, Tensor> out = s.run(inputs(-1, 2, -3, 4));
        assertArrayEquals(new float[] {0, 2, 0, 4}, out.get("y").toFloatArray(), 0f);
        assertArrayEquals(new long[] {7, -3}, out.get("ids").toLongArray());
      }
    }
  }

  @Test
  public void badPathIsAnIoErrorNamingTheFile() throws Exception {
    Path p = tmp.newFile("bad.topiary").toPath();
    Files.write(p, new byte[] {1, 2, 3});
    try {
      Model.load(p);
      fail();
    } catch (ModelFormatException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith(p + ": not a Topiary artifact"));
    }
  }

  @Test
  public void wrongInputsGiveExpectedVersusActual() throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(twoInputModel()));
        Session s = m.newSession()) {
      Map<String, Tensor> in = inputs(1, 2, 3, 4);
      in.put("x", Tensor.ofFloats(Shape.of(4, 1), 1, 2, 3, 4));
      expectIae(s, in, "input 'x': expected [1,4] FLOAT32, got [4,1] FLOAT32");
      in.put("x", Tensor.ofInts(Shape.of(1, 4), 1, 2, 3, 4));
      expectIae(s, in, "input 'x': expected [1,4] FLOAT32, got [1,4] INT32");
      in.remove("x");
      expectIae(s, in, "missing input 'x' [1,4] FLOAT32");
      in = inputs(1, 2, 3, 4);
      in.put("z", Tensor.ofFloats(Shape.of(1), 1));
      expectIae(s, in, "unknown input 'z'; the model's inputs are [x, ids]");
      // The session still works after rejected calls.
      assertArrayEquals(new float[] {1, 2, 3, 4}, s.run(inputs(1, 2, 3, 4)).get("y").toFloatArray(), 0f);
    }
  }

  private static void expectIae(Session s, Map<String, Tensor> in, String message) {
    try {
      s.run(in);
      fail("expected: " + message);
    } catch (IllegalArgumentException e) {
      assertEquals(message, e.getMessage());
    }
  }

  @Test
  public void bufferPathReadsAndWritesCallerBuffersInTheirByteOrder() throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(twoInputModel()));
        Session s = m.newSession()) {
      ByteBuffer x = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
      x.asFloatBuffer().put(new float[] {-5, 6, -7, 8});
      ByteBuffer ids = ByteBuffer.allocateDirect(16).order(ByteOrder.BIG_ENDIAN);
      ids.asLongBuffer().put(new long[] {11, 12});
      ByteBuffer y = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
      ByteBuffer idsOut = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
      Map<String, ByteBuffer> in = new HashMap<>();
      in.put("x", x);
      in.put("ids", ids);
      Map<String, ByteBuffer> out = new HashMap<>();
      out.put("y", y);
      out.put("ids", idsOut);
      s.run(in, out);
      float[] got = new float[4];
      y.asFloatBuffer().get(got);
      assertArrayEquals(new float[] {0, 6, 0, 8}, got, 0f);
      assertEquals(11, idsOut.getLong(0));
      assertEquals(12, idsOut.getLong(8));
      assertEquals(0, y.position());

      out.put("y", ByteBuffer.allocateDirect(12));
      try {
        s.run(in, out);
        fail();
      } catch (IllegalArgumentException e) {
        assertEquals("output 'y': expected 16 bytes ([1,4] FLOAT32), got 12", e.getMessage());
      }
    }
  }

  @Test
  public void closedSessionAndModelRefuseWork() throws Exception {
    Model m = Model.load(ByteBuffer.wrap(twoInputModel()));
    Session s = m.newSession();
    s.close();
    s.close();
    try {
      s.run(inputs(1, 2, 3, 4));
      fail();
    } catch (IllegalStateException e) {
      assertEquals("session is closed", e.getMessage());
    }
    m.close();
    m.close();
    try {
      m.newSession();
      fail();
    } catch (IllegalStateException e) {
      assertEquals("model is closed", e.getMessage());
    }
  }

  @Test
  public void concurrentUseOfOneSessionIsRefused() throws Exception {
    // A Relu over 16M floats keeps the first thread busy long enough to observe the second call.
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1 << 24));
    int a = x;
    for (int i = 0; i < 8; i++) {
      a = g.node("Relu", "r" + i, a).output("a" + i);
    }
    g.output(a);
    try (Model m = Model.load(ByteBuffer.wrap(g.build()));
        Session s = m.newSession(SessionOptions.builder().threads(1).build())) {
      Map<String, Tensor> in = Collections.singletonMap("x", Tensor.ofFloats(Shape.of(1 << 24), new float[1 << 24]));
      AtomicReference<Throwable> seen = new AtomicReference<>();
      CountDownLatch started = new CountDownLatch(1);
      Thread other = new Thread(() -> {
        started.countDown();
        for (int i = 0; i < 200 && seen.get() == null; i++) {
          try {
            s.run(in);
          } catch (IllegalStateException e) {
            seen.set(e);
          }
        }
      });
      other.start();
      started.await();
      for (int i = 0; i < 200 && seen.get() == null; i++) {
        try {
          s.run(in);
        } catch (IllegalStateException e) {
          seen.set(e);
        }
      }
      other.join();
      assertTrue("no concurrent use detected", seen.get() != null);
      assertTrue(seen.get().getMessage().contains("one session per thread"));
    }
  }

  @Test
  public void optionsValidateAndDescribeThemselves() {
    SessionOptions o = SessionOptions.builder().threads(3).backend(Backend.CPU).build();
    assertEquals(3, o.threads());
    assertEquals(Backend.CPU, o.backend());
    assertTrue(o.placeArena());
    assertEquals("SessionOptions{threads=3, backend=CPU, warmUpRuns=0, placeArena=true}", o.toString());
    assertEquals(o.toString(), o.toBuilder().build().toString());
    SessionOptions w = o.toBuilder().warmUpRuns(12).placeArena(false).build();
    assertEquals(12, w.warmUpRuns());
    assertFalse(w.placeArena());
    assertEquals(w.toString(), w.toBuilder().build().toString());
    try {
      SessionOptions.builder().threads(0);
      fail();
    } catch (IllegalArgumentException e) {
      assertEquals("threads must be in 1..256, got 0", e.getMessage());
    }
    for (int bad : new int[] {-1, 10_001}) {
      try {
        SessionOptions.builder().warmUpRuns(bad);
        fail();
      } catch (IllegalArgumentException e) {
        assertEquals("warm-up runs must be in 0..10000, got " + bad, e.getMessage());
      }
    }
  }

  @Test
  public void warmUpRunsLeaveResultsAlone() throws Exception {
    // A network whose arena reuse would show stale values if a run read what it did not write.
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 6, 6, 3));
    java.util.Random r = new java.util.Random(3);
    float[] w1 = new float[8 * 3 * 3 * 3];
    float[] w2 = new float[4 * 8];
    for (int i = 0; i < w1.length; i++) {
      w1[i] = r.nextFloat() - 0.5f;
    }
    for (int i = 0; i < w2.length; i++) {
      w2[i] = r.nextFloat() - 0.5f;
    }
    int h = g.node("Conv2D", "c1", x, g.constant("w1", Shape.of(8, 3, 3, 3), w1)).attr("padding", "SAME_UPPER")
        .attr("activation", "RELU").output("h");
    int y = g.node("Conv2D", "c2", h, g.constant("w2", Shape.of(4, 1, 1, 8), w2)).attr("padding", "VALID")
        .output("y");
    g.output(g.node("Add", "add", y, g.constant("b", Shape.of(4), new float[] {1, -2, 3, 0.5f})).output("z"));
    byte[] model = g.build();
    float[] pixels = new float[108];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) Math.sin(i);
    }
    Map<String, Tensor> in = java.util.Collections.singletonMap("x", Tensor.ofFloats(Shape.of(1, 6, 6, 3), pixels));
    try (Model m = Model.load(ByteBuffer.wrap(model));
        Session cold = m.newSession(SessionOptions.builder().threads(1).build());
        Session warm = m.newSession(SessionOptions.builder().threads(2).warmUpRuns(3).build())) {
      float[] expected = cold.run(in).get("z").toFloatArray();
      assertTrue("the model computes something", expected[0] != 0f || expected[1] != 0f);
      assertArrayEquals(expected, warm.run(in).get("z").toFloatArray(), 0f);
      assertEquals(3, warm.options().warmUpRuns());
    }
  }

  @Test
  public void tensorFactoriesCheckCounts() {
    try {
      Tensor.ofFloats(Shape.of(2, 2), 1, 2, 3);
      fail();
    } catch (IllegalArgumentException e) {
      assertEquals("shape [2,2] needs 4 values, got 3", e.getMessage());
    }
    Tensor t = Tensor.wrap(DataType.INT32, Shape.of(2), ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 5));
    assertArrayEquals(new int[] {5, 0}, t.toIntArray());
    try {
      t.toFloatArray();
      fail();
    } catch (IllegalStateException e) {
      assertEquals("tensor is INT32, not FLOAT32", e.getMessage());
    }
  }
}
