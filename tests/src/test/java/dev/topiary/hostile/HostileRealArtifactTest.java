package dev.topiary.hostile;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Tensor;
import dev.topiary.TensorInfo;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.internal.format.ArtifactFormat;
import dev.topiary.internal.format.ArtifactReader;
import dev.topiary.testing.TestSupport;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Random;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The converted Fashion-MNIST CNN, damaged every way a download, a disk or an attacker can: each
 * result must be a {@link ModelFormatException} or a model that loads and runs without throwing.
 * Flips behind a re-computed digest reach the header parser, the graph validator and every op's
 * checks, which a plain flip never does (the digest catches it first).
 */
public class HostileRealArtifactTest {
  private static byte[] artifact;
  private static long headerEnd;

  @BeforeClass
  public static void convert() throws Exception {
    Path onnx = repositoryRoot().resolve("tools/fixtures/fashion-mnist/cnn.onnx");
    assumeTrue("no Fashion-MNIST CNN at " + onnx + " (tools/fixtures/make_fixtures.sh makes it)",
        Files.isRegularFile(onnx));
    artifact = Converter.convert(onnx, ConvertOptions.defaults()).artifact();
    headerEnd = ArtifactReader.read(ByteBuffer.wrap(artifact), true).dataOffset();
  }

  static Path repositoryRoot() {
    Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("mvnw"))) {
      p = p.getParent();
    }
    return p == null ? Path.of(".") : p;
  }

  /** Loads and runs {@code bytes}; returns the format error, or null when the model loaded and ran. */
  private static ModelFormatException loadAndRun(byte[] bytes, String what) {
    try (Model m = Model.load(ByteBuffer.wrap(bytes));
        Session s = m.newSession(SessionOptions.builder().threads(1).build())) {
      TensorInfo in = m.inputs().get(0);
      assumeTrue(in.shape().elementCount() < 1 << 20);
      s.run(Collections.singletonMap(in.name(), TestSupport.randomTensor(new Random(1), in.shape())));
      return null;
    } catch (ModelFormatException e) {
      assertNotNull(what + ": exception without message", e.getMessage());
      return e;
    } catch (Throwable t) {
      throw new AssertionError(what + ": expected ModelFormatException or a clean run, got " + t, t);
    }
  }

  private static byte[] resign(byte[] file) {
    byte[] out = file.clone();
    int end = out.length - ArtifactFormat.TRAILER_SIZE;
    System.arraycopy(ArtifactReader.sha256(ByteBuffer.wrap(out), end), 0, out, end, ArtifactFormat.DIGEST_SIZE);
    return out;
  }

  @Test
  public void truncationAtManyOffsetsIsAFormatError() {
    Random r = new Random(11);
    int checked = 0;
    for (int len = 0; len < artifact.length; len += (len < headerEnd + 64 ? 1 : 1 + r.nextInt(997))) {
      assertNotNull("truncated to " + len + " bytes loaded",
          loadAndRun(Arrays.copyOf(artifact, len), "truncated to " + len));
      checked++;
    }
    assertTrue(checked > (int) headerEnd);
  }

  @Test
  public void flipsAllOverTheFileAreCaughtByTheDigest() {
    Random r = new Random(12);
    for (int k = 0; k < 2000; k++) {
      byte[] bad = artifact.clone();
      int i = r.nextInt(bad.length);
      bad[i] ^= (byte) (1 << r.nextInt(8));
      assertNotNull("flip at " + i + " went unnoticed", loadAndRun(bad, "flip at " + i));
    }
  }

  @Test
  public void headerFlipsBehindAValidDigestNeverCrash() {
    Random r = new Random(13);
    int rejected = 0;
    for (int k = 0; k < 4000; k++) {
      byte[] bad = artifact.clone();
      int flips = 1 + r.nextInt(3);
      for (int f = 0; f < flips; f++) {
        int i = r.nextInt((int) headerEnd);
        bad[i] = (byte) (k % 2 == 0 ? bad[i] ^ (1 << r.nextInt(8)) : r.nextInt(256));
      }
      if (loadAndRun(resign(bad), "header trial " + k) != null) {
        rejected++;
      }
    }
    assertTrue("only " + rejected + " of 4000 damaged headers were rejected", rejected > 1000);
  }

  @Test
  public void weightFlipsBehindAValidDigestStillRun() {
    // Weights are data: any bit pattern (NaN, infinity, huge values) must run, not crash.
    Random r = new Random(14);
    for (int k = 0; k < 50; k++) {
      byte[] bad = artifact.clone();
      for (int f = 0; f < 64; f++) {
        int i = (int) headerEnd + r.nextInt(artifact.length - ArtifactFormat.TRAILER_SIZE - (int) headerEnd);
        bad[i] = (byte) r.nextInt(256);
      }
      ModelFormatException e = loadAndRun(resign(bad), "weights trial " + k);
      assertTrue("weight damage should not make the file invalid: " + e, e == null);
    }
  }
}
