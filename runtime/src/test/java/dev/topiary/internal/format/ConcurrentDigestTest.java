package dev.topiary.internal.format;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Session;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Random;
import org.junit.Test;

/**
 * Files of {@link ArtifactReader#CONCURRENT_DIGEST_BYTES} or more have their digest checked on
 * another thread while they are planned: the outcome must be the one of checking it first.
 */
public class ConcurrentDigestTest {
  private static final int K = 600;
  private static final int N = 500; // 300,000 weights: 1.2 MB, over the concurrent threshold

  private static byte[] large() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, K));
    float[] w = new float[N * K];
    Random r = new Random(7);
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    int wi = g.constant("w", Shape.of(N, K), w);
    g.output(g.node("FullyConnected", "fc", x, wi).output("y"));
    byte[] bytes = g.build();
    assertTrue(bytes.length >= ArtifactReader.CONCURRENT_DIGEST_BYTES);
    return bytes;
  }

  private static String failure(byte[] bytes) {
    try {
      Model.load(ByteBuffer.wrap(bytes)).close();
      return null;
    } catch (ModelFormatException e) {
      return e.getMessage();
    }
  }

  @Test
  public void validLargeFileLoadsAndRunsLikeASequentialRead() throws Exception {
    byte[] bytes = large();
    float[] x = new float[K];
    x[3] = 1;
    try (Model m = Model.load(ByteBuffer.wrap(bytes));
        Session s = m.newSession()) {
      assertEquals(ArtifactReader.read(ByteBuffer.wrap(bytes), true).digestHex(), m.sha256());
      float[] y = s.run(Collections.singletonMap("x", Tensor.ofFloats(Shape.of(1, K), x))).get("y").toFloatArray();
      assertEquals(N, y.length);
    }
  }

  @Test
  public void corruptedWeightIsRefusedAlthoughItPlans() throws Exception {
    byte[] bytes = large();
    bytes[bytes.length / 2] ^= 0x10; // a weight: planning succeeds, only the digest sees it
    assertEquals("SHA-256 digest mismatch: the file was corrupted or modified after it was written", failure(bytes));
  }

  @Test
  public void digestMismatchWinsOverALaterFailure() throws Exception {
    byte[] bytes = large();
    bytes[20] ^= 0x7F; // the header: parsing or validation fails too
    String sequential;
    try {
      ArtifactReader.read(ByteBuffer.wrap(bytes), true);
      sequential = null;
    } catch (ModelFormatException e) {
      sequential = e.getMessage();
    }
    assertEquals("SHA-256 digest mismatch: the file was corrupted or modified after it was written", sequential);
    assertEquals(sequential, failure(bytes));
  }

  @Test
  public void frameErrorsComeBeforeTheDigest() throws Exception {
    byte[] bytes = large();
    bytes[0] = 0x08; // bad magic, and a wrong digest
    assertEquals("not a Topiary artifact: bad magic at byte 0 (this looks like an ONNX model: convert it with "
        + "'topiary convert')", failure(bytes));
  }

  @Test
  public void resignedCorruptionGivesTheSequentialError() throws Exception {
    byte[] good = large();
    Random r = new Random(11);
    for (int trial = 0; trial < 40; trial++) {
      byte[] bytes = good.clone();
      // Corrupt the header, where the parser and validator must catch it, and re-sign.
      bytes[16 + r.nextInt(200)] ^= (byte) (1 << r.nextInt(8));
      bytes = HostileArtifactTest.resign(bytes);
      String sequential;
      try {
        ArtifactReader.read(ByteBuffer.wrap(bytes), true);
        sequential = null;
      } catch (ModelFormatException e) {
        sequential = e.getMessage();
      }
      String concurrent = failure(bytes);
      if (sequential != null) {
        assertEquals(sequential, concurrent);
      }
    }
  }

  @Test
  public void interruptedLoaderStillWaitsForTheDigestAndKeepsTheInterrupt() throws Exception {
    byte[] bytes = large();
    Thread.currentThread().interrupt();
    try (Model m = Model.load(ByteBuffer.wrap(bytes))) {
      assertTrue(Thread.interrupted());
      assertEquals(ArtifactReader.read(ByteBuffer.wrap(bytes), true).digestHex(), m.sha256());
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  public void smallFilesAreVerifiedFirst() throws Exception {
    byte[] small = HostileArtifactTest.sample();
    assertTrue(small.length < ArtifactReader.CONCURRENT_DIGEST_BYTES);
    small[small.length - 50] ^= 1;
    try {
      Model.load(ByteBuffer.wrap(small));
      fail();
    } catch (ModelFormatException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith("SHA-256 digest mismatch"));
    }
  }
}
