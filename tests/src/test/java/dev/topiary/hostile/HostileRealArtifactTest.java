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
import dev.topiary.converter.npy.Npy;
import dev.topiary.converter.quantize.QuantizeMode;
import dev.topiary.internal.format.Artifact;
import dev.topiary.internal.format.ArtifactFormat;
import dev.topiary.internal.format.ArtifactReader;
import dev.topiary.testing.TestSupport;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Random;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The converted Fashion-MNIST CNN, damaged every way a download, a disk or an attacker can: each
 * result must be a {@link ModelFormatException} or a model that loads and runs without throwing.
 * Flips behind a re-computed digest reach the header parser, the graph validator and every op's
 * checks, which a plain flip never does (the digest catches it first). Both artifacts have a
 * compressed header (format 1.3), so flips in it mostly hit the inflater; flips in the inflated
 * protobuf, compressed again, reach the parser and validator, and in the int8 artifact the scale
 * codes and the narrow biases.
 */
public class HostileRealArtifactTest {
  private static byte[] artifact;
  private static long headerEnd;
  /** The int8 CNN: scale codes, 16-bit biases, compressed header. */
  private static byte[] int8;

  @BeforeClass
  public static void convert() throws Exception {
    Path onnx = repositoryRoot().resolve("tools/fixtures/fashion-mnist/cnn.onnx");
    assumeTrue("no Fashion-MNIST CNN at " + onnx + " (tools/fixtures/make_fixtures.sh makes it)",
        Files.isRegularFile(onnx));
    artifact = Converter.convert(onnx, ConvertOptions.defaults()).artifact();
    headerEnd = ArtifactReader.read(ByteBuffer.wrap(artifact), true).dataOffset();
    Tensor calibration = Npy.read(onnx.resolveSibling("calibration_images.npy")).tensor();
    int8 = Converter.convert(onnx, ConvertOptions.builder().quantize(QuantizeMode.INT8).calibration(calibration)
        .build()).artifact();
    assertTrue(ArtifactReader.read(ByteBuffer.wrap(int8), true).headerCompressed());
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

  /** {@code file} with its compressed header replaced by {@code header} compressed again, re-signed. */
  private static byte[] withProtobufHeader(byte[] file, byte[] header) throws Exception {
    Artifact a = ArtifactReader.read(ByteBuffer.wrap(file), true);
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    d.setInput(header);
    d.finish();
    ByteArrayOutputStream region = new ByteArrayOutputStream();
    region.write(0);
    region.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(header.length).array());
    byte[] buf = new byte[1 << 16];
    while (!d.finished()) {
      region.write(buf, 0, d.deflate(buf));
    }
    d.end();
    byte[] r = region.toByteArray();
    long dataOffset = ArtifactFormat.align(ArtifactFormat.PREAMBLE_SIZE + r.length);
    int tail = file.length - (int) a.dataOffset();
    byte[] out = new byte[(int) dataOffset + tail];
    System.arraycopy(file, 0, out, 0, ArtifactFormat.PREAMBLE_SIZE);
    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(12, r.length);
    System.arraycopy(r, 0, out, ArtifactFormat.PREAMBLE_SIZE, r.length);
    System.arraycopy(file, (int) a.dataOffset(), out, (int) dataOffset, tail);
    return resign(out);
  }

  /** The inflated protobuf header of {@code file}. */
  private static byte[] protobufHeader(byte[] file) throws Exception {
    int h = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
    Inflater inf = new Inflater(true);
    inf.setInput(file, ArtifactFormat.PREAMBLE_SIZE + 5, h - 5);
    byte[] out = new byte[ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(ArtifactFormat.PREAMBLE_SIZE + 1)];
    int n = 0;
    while (n < out.length) {
      n += inf.inflate(out, n, out.length - n);
    }
    inf.end();
    return out;
  }

  @Test
  public void int8TruncationsAndHeaderFlipsNeverCrash() throws Exception {
    long end = ArtifactReader.read(ByteBuffer.wrap(int8), true).dataOffset();
    for (int len = 0; len < end + 64; len++) {
      assertNotNull("int8 truncated to " + len + " bytes loaded", loadAndRun(Arrays.copyOf(int8, len), "int8 " + len));
    }
    Random r = new Random(15);
    int rejected = 0;
    for (int k = 0; k < 2000; k++) {
      byte[] bad = int8.clone();
      int i = ArtifactFormat.PREAMBLE_SIZE + r.nextInt((int) end - ArtifactFormat.PREAMBLE_SIZE);
      bad[i] = (byte) (k % 2 == 0 ? bad[i] ^ (1 << r.nextInt(8)) : r.nextInt(256));
      if (loadAndRun(resign(bad), "int8 header trial " + k) != null) {
        rejected++;
      }
    }
    assertTrue("only " + rejected + " of 2000 damaged int8 headers were rejected", rejected > 1000);
  }

  @Test
  public void flipsInsideTheCompressedHeaderNeverCrash() throws Exception {
    Random r = new Random(16);
    for (byte[] file : new byte[][] {artifact, int8}) {
      byte[] header = protobufHeader(file);
      int rejected = 0;
      for (int k = 0; k < 1500; k++) {
        byte[] bad = header.clone();
        int flips = 1 + r.nextInt(3);
        for (int f = 0; f < flips; f++) {
          int i = r.nextInt(bad.length);
          bad[i] = (byte) (k % 2 == 0 ? bad[i] ^ (1 << r.nextInt(8)) : r.nextInt(256));
        }
        if (loadAndRun(withProtobufHeader(file, bad), "inflated header trial " + k) != null) {
          rejected++;
        }
      }
      assertTrue("only " + rejected + " of 1500 damaged headers were rejected", rejected > 300);
    }
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
