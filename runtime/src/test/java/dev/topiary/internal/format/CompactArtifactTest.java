package dev.topiary.internal.format;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Session;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.ModelHeader;
import dev.topiary.internal.format.proto.Quantization;
import dev.topiary.internal.format.proto.ScaleCodes;
import dev.topiary.internal.format.proto.SparseEncoding;
import dev.topiary.internal.format.proto.TensorDesc;
import dev.topiary.quantization.LogScales;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.zip.Deflater;
import org.junit.Test;

/**
 * The compact encodings of format 1.3: DEFLATE-compressed header, scales as 8-bit logarithmic
 * codes, narrow INT32/INT64 constants. Round trips, the version written, what a 1.2 reader makes
 * of such a file, and hostile files, each of which must give a {@link ModelFormatException} naming
 * the problem.
 */
public class CompactArtifactTest {
  /** Per-channel scales of the INT8 weights: representable as codes relative to the largest. */
  private static final float[] SCALES = LogScales.roundUp(new float[] {0.02f, 0.0051f, 0.013f});
  private static final byte[] WEIGHTS = {1, -2, 3, 4, 127, -127, 5, 6, 7, 8, -9, 10, 11, 12, -13};
  private static final int[] INTS = {-300, 5, 32767, -32768};
  private static final long[] LONGS = {1, -2, 100};

  /**
   * A dynamic-range FullyConnected over INT8 weights with per-channel scales, and two integer
   * constants that fit 16 and 8 bits as extra outputs; long names make the header compressible.
   */
  private static GraphBuilder model(float[] scales) {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("/encoder/layers.0/input_features", DataType.FLOAT32, Shape.of(1, 5));
    int w = g.constantRaw("/encoder/layers.0/fully_connected/weights", DataType.INT8, Shape.of(3, 5),
        ByteBuffer.wrap(WEIGHTS));
    g.quantization(w, scales, new long[0], 0);
    g.output(g.node("FullyConnected", "/encoder/layers.0/fully_connected/FullyConnected", x, w)
        .output("/encoder/layers.0/fully_connected/output"));
    g.output(g.constantInts("/encoder/layers.0/fully_connected/int_constant", Shape.of(4), INTS));
    g.output(g.constantLongs("/encoder/layers.0/fully_connected/long_constant", Shape.of(3), LONGS));
    return g.property("description", "a model whose header repeats /encoder/layers.0/fully_connected");
  }

  private static Map<String, Tensor> run(byte[] artifact) throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(artifact)); Session s = m.newSession()) {
      return s.run(Collections.singletonMap("/encoder/layers.0/input_features",
          Tensor.ofFloats(Shape.of(1, 5), new float[] {1, -2, 3, 0.5f, 4})));
    }
  }

  private static Artifact read(byte[] file) throws ModelFormatException {
    return ArtifactReader.read(ByteBuffer.wrap(file), true);
  }

  private static int index(Graph g, String suffix) {
    for (int i = 0; i < g.getTensorsCount(); i++) {
      if (g.getTensors(i).getName().endsWith(suffix)) {
        return i;
      }
    }
    throw new AssertionError("no tensor *" + suffix);
  }

  /** The header region (after the preamble) of {@code file}. */
  private static byte[] region(byte[] file) {
    int h = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
    return Arrays.copyOfRange(file, ArtifactFormat.PREAMBLE_SIZE, ArtifactFormat.PREAMBLE_SIZE + h);
  }

  /** The header as stored, scale codes not expanded. */
  private static ModelHeader storedHeader(byte[] file) throws Exception {
    byte[] r = region(file);
    return ModelHeader.parseFrom(HeaderCompression.isCompressed(ByteBuffer.wrap(r))
        ? HeaderCompression.inflate(ByteBuffer.wrap(r)) : r);
  }

  /** A complete, correctly signed file with header region {@code region} over {@code data}. */
  private static byte[] file(byte[] region, byte[] data) {
    int d = (int) ArtifactFormat.align(ArtifactFormat.PREAMBLE_SIZE + region.length);
    byte[] f = new byte[d + data.length + ArtifactFormat.TRAILER_SIZE];
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    b.put(ArtifactFormat.MAGIC).putShort((short) 1).putShort((short) 3).putInt(region.length).put(region);
    System.arraycopy(data, 0, f, d, data.length);
    System.arraycopy(ArtifactFormat.END_MARKER, 0, f, f.length - 8, 8);
    return HostileArtifactTest.resign(f);
  }

  /** A compressed header region: marker, {@code declared} as uint32, then {@code stream}. */
  private static byte[] compressedRegion(long declared, byte[] stream) {
    ByteBuffer b = ByteBuffer.allocate(5 + stream.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0).putInt((int) declared).put(stream);
    return b.array();
  }

  private static byte[] deflate(byte[] raw) {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    d.setInput(raw);
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    return out.toByteArray();
  }

  /** Writes {@code h} over {@code data} exactly as given (no 1.3 encodings added). */
  private static byte[] plain(ModelHeader h, byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ArtifactWriter.write(h, ByteBuffer.wrap(data), out, false);
    return out.toByteArray();
  }

  private static String loadError(byte[] file) {
    try {
      Model.load(ByteBuffer.wrap(file)).close();
      return null;
    } catch (ModelFormatException e) {
      assertNotNull(e.getMessage());
      return e.getMessage();
    } catch (Throwable t) {
      throw new AssertionError("expected ModelFormatException, got " + t, t);
    }
  }

  private static void assertLoadError(String expected, byte[] file) {
    assertEquals(expected, loadError(file));
  }

  // ---- round trip and version ----

  @Test
  public void compactFileRoundTripsAndComputesTheSame() throws Exception {
    byte[] compact = model(SCALES).build();
    byte[] plain = model(SCALES).compactEncodings(false).build();
    assertTrue(compact.length < plain.length);
    Artifact a = read(compact);
    assertEquals(3, a.minorVersion());
    assertTrue(a.headerCompressed());
    assertTrue(a.rawHeaderSize() > a.headerSize());
    Graph g = a.header().getGraph();
    int w = index(g, "weights");
    assertTrue(a.scalesStoredAsCodes(w));
    assertFalse(a.header().getGraph().getTensors(w).getQuantization().hasScaleCodes());
    for (int c = 0; c < SCALES.length; c++) {
      assertEquals(Float.floatToIntBits(SCALES[c]), Float.floatToIntBits(g.getTensors(w).getQuantization().getScale(c)));
    }
    assertEquals(2, g.getTensors(index(g, "int_constant")).getStoredWidth());
    assertEquals(8, g.getTensors(index(g, "int_constant")).getDataLength());
    assertEquals(1, g.getTensors(index(g, "long_constant")).getStoredWidth());
    Map<String, Tensor> got = run(compact);
    Map<String, Tensor> expected = run(plain);
    assertArrayEquals(expected.get("/encoder/layers.0/fully_connected/output").toFloatArray(),
        got.get("/encoder/layers.0/fully_connected/output").toFloatArray(), 0f);
    assertArrayEquals(INTS, got.get("/encoder/layers.0/fully_connected/int_constant").toIntArray());
    assertArrayEquals(LONGS, got.get("/encoder/layers.0/fully_connected/long_constant").toLongArray());

    Artifact p = read(plain);
    assertEquals(0, p.minorVersion());
    assertFalse(p.headerCompressed());
    assertFalse(p.scalesStoredAsCodes(w));
    assertEquals(p.headerSize(), p.rawHeaderSize());
  }

  @Test
  public void rewritingAReadHeaderKeepsItsEncodings() throws Exception {
    byte[] compact = model(SCALES).build();
    Artifact a = read(compact);
    byte[] data = Arrays.copyOfRange(compact, (int) a.dataOffset(), (int) (a.dataOffset() + a.dataSize()));
    byte[] again = ArtifactWriter.toBytes(a.header(), ByteBuffer.wrap(data));
    assertArrayEquals(compact, again);
  }

  @Test
  public void unrepresentableScalesStayFloat32() throws Exception {
    float[] scales = {0.3f, 0.1f, 0.2f};
    byte[] file = model(scales).build();
    Artifact a = read(file);
    int w = index(a.header().getGraph(), "weights");
    assertFalse(a.scalesStoredAsCodes(w));
    Quantization stored = storedHeader(file).getGraph().getTensors(w).getQuantization();
    assertFalse(stored.hasScaleCodes());
    for (int c = 0; c < scales.length; c++) {
      assertEquals(scales[c], stored.getScale(c), 0f);
    }
  }

  @Test
  public void aHeaderIsCompressedOnlyWhenThatMakesTheFileSmaller() throws Exception {
    // 47 header bytes: the data section starts at 64, compressed or not
    GraphBuilder g = new GraphBuilder();
    g.output(g.node("Relu", "r", g.input("x", DataType.FLOAT32, Shape.of(2))).output("y"));
    Artifact a = read(g.producer("").build());
    assertFalse(a.headerCompressed());
    assertEquals(0, a.minorVersion());
    assertEquals(64, a.dataOffset());
    // 49 header bytes, 44 compressed: the data section moves from 128 to 64
    GraphBuilder g2 = new GraphBuilder();
    g2.output(g2.node("Relu", "r", g2.input("x", DataType.FLOAT32, Shape.of(1, 2))).output("y"));
    Artifact b = read(g2.producer("").build());
    assertTrue(b.headerCompressed());
    assertEquals(3, b.minorVersion());
    assertEquals(64, b.dataOffset());
    assertEquals(128, read(g2.compactEncodings(false).build()).dataOffset());
  }

  // ---- what a 1.2 reader sees ----

  @Test
  public void aCompressedHeaderIsNeverValidProtobuf() throws Exception {
    // A 1.2 reader parses the header region as protobuf: the leading zero byte is field number 0.
    byte[] region = region(model(SCALES).build());
    assertEquals(0, region[0]);
    try {
      ModelHeader.parseFrom(region);
      fail("a 1.2 reader would have parsed a compressed header");
    } catch (InvalidProtocolBufferException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("invalid tag (zero)"));
    }
  }

  @Test
  public void aReaderThatSkipsTheNewFieldsRejectsTheirTensors() throws Exception {
    // A 1.2 reader skips scale_codes and stored_width as unknown fields; what is left is invalid.
    byte[] file = model(SCALES).build();
    ModelHeader stored = storedHeader(file);
    Graph g = stored.getGraph();
    int w = index(g, "weights");
    TensorDesc skipped = g.getTensors(w).toBuilder()
        .setQuantization(g.getTensors(w).getQuantization().toBuilder().clearScaleCodes()).build();
    try {
      GraphValidator.validate(stored.toBuilder().setGraph(g.toBuilder().setTensors(w, skipped)).build(),
          stored.getDataLength());
      fail();
    } catch (ModelFormatException e) {
      assertEquals("tensor " + w + " '/encoder/layers.0/fully_connected/weights': quantization without scales",
          e.getMessage());
    }
    int i = index(g, "int_constant");
    TensorDesc wide = g.getTensors(i).toBuilder().clearStoredWidth().build();
    TensorDesc expanded = read(file).header().getGraph().getTensors(w);
    try {
      GraphValidator.validate(stored.toBuilder().setGraph(g.toBuilder().setTensors(w, expanded).setTensors(i, wide))
          .build(),
          stored.getDataLength());
      fail();
    } catch (ModelFormatException e) {
      assertEquals("tensor " + i + " '/encoder/layers.0/fully_connected/int_constant': data length 8 does not"
          + " match 4 elements of 4 bytes", e.getMessage());
    }
  }

  // ---- hostile compressed headers ----

  @Test
  public void everyTruncationOfTheCompressedHeaderIsNamed() throws Exception {
    byte[] good = model(SCALES).build();
    byte[] region = region(good);
    byte[] data = HostileArtifactTest.data(good);
    for (int len = 1; len < region.length; len++) {
      String e = loadError(file(Arrays.copyOf(region, len), data));
      assertNotNull("truncated to " + len, e);
      assertTrue(len + ": " + e, e.contains("compressed header"));
    }
  }

  @Test
  public void corruptionsOfTheCompressedHeaderNeverCrash() throws Exception {
    byte[] good = model(SCALES).build();
    byte[] region = region(good);
    byte[] data = HostileArtifactTest.data(good);
    Random r = new Random(11);
    int rejected = 0;
    int trials = 0;
    for (int i = 0; i < region.length; i++) {
      for (int k = 0; k < 3; k++) {
        byte[] bad = region.clone();
        bad[i] = (byte) (k == 0 ? bad[i] ^ (1 << r.nextInt(8)) : r.nextInt(256));
        trials++;
        if (loadError(file(bad, data)) != null) {
          rejected++;
        }
      }
    }
    assertTrue(rejected + " of " + trials, rejected > trials / 2);
  }

  @Test
  public void declaredLengthOverTheLimitIsRefused() throws Exception {
    byte[] data = HostileArtifactTest.data(model(SCALES).build());
    assertLoadError("compressed header declares 67108865 uncompressed bytes at byte 17, over the limit of 67108864",
        file(compressedRegion(ArtifactFormat.MAX_HEADER_SIZE + 1L, deflate(new byte[10])), data));
    assertLoadError("compressed header declares 4294967295 uncompressed bytes at byte 17, over the limit of 67108864",
        file(compressedRegion(0xFFFFFFFFL, deflate(new byte[10])), data));
  }

  @Test
  public void inflatedLengthMustMatchTheDeclaredOne() throws Exception {
    byte[] good = model(SCALES).build();
    byte[] data = HostileArtifactTest.data(good);
    byte[] raw = storedHeader(good).toByteArray();
    byte[] stream = deflate(raw);
    int u = raw.length;
    assertEquals(null, loadError(file(compressedRegion(u, stream), data)));
    assertLoadError("compressed header inflates to " + u + " bytes but declares " + (u + 1),
        file(compressedRegion(u + 1, stream), data));
    assertLoadError("compressed header inflates to more than the declared " + (u - 1) + " bytes",
        file(compressedRegion(u - 1, stream), data));
    assertLoadError("compressed header inflates to more than the declared 0 bytes",
        file(compressedRegion(0, stream), data));
  }

  @Test
  public void aZipBombStopsAtTheDeclaredLength() throws Exception {
    // 48 MiB of zeros deflate to ~48 KB; the reader inflates 1000 bytes and stops.
    byte[] bomb = deflate(new byte[48 << 20]);
    byte[] data = HostileArtifactTest.data(model(SCALES).build());
    assertLoadError("compressed header inflates to more than the declared 1000 bytes",
        file(compressedRegion(1000, bomb), data));
  }

  @Test
  public void trailingBytesAfterTheStreamAreRefused() throws Exception {
    byte[] good = model(SCALES).build();
    byte[] raw = storedHeader(good).toByteArray();
    byte[] stream = deflate(raw);
    byte[] longer = Arrays.copyOf(stream, stream.length + 3);
    longer[stream.length] = 1;
    assertLoadError("3 bytes of trailing data after the compressed header's DEFLATE stream",
        file(compressedRegion(raw.length, longer), HostileArtifactTest.data(good)));
  }

  @Test
  public void truncatedOrCorruptStreamsAreNamed() throws Exception {
    byte[] good = model(SCALES).build();
    byte[] data = HostileArtifactTest.data(good);
    byte[] raw = storedHeader(good).toByteArray();
    byte[] stream = deflate(raw);
    String e = loadError(file(compressedRegion(raw.length, Arrays.copyOf(stream, stream.length - 1)), data));
    assertTrue(e, e.startsWith("compressed header's DEFLATE stream is truncated after "));
    assertTrue(e, e.endsWith(" of " + raw.length + " bytes"));
    // block type 3 is reserved in DEFLATE
    e = loadError(file(compressedRegion(raw.length, new byte[] {0x07, 0, 0}), data));
    assertTrue(e, e.startsWith("corrupted compressed header (bytes 16..24): "));
    assertLoadError("compressed header (bytes 16..19) is shorter than its 5-byte prefix",
        file(new byte[] {0, 1, 2}, data));
  }

  @Test
  public void aStreamOfNonProtobufIsACorruptedHeader() throws Exception {
    byte[] garbage = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 7};
    byte[] region = compressedRegion(garbage.length, deflate(garbage));
    String e = loadError(file(region, new byte[0]));
    assertTrue(e, e.startsWith("corrupted header (inflated from bytes 16.." + (16 + region.length) + "): "));
  }

  // ---- hostile scale codes ----

  private static byte[] withWeights(UnaryOperator<Quantization.Builder> edit) throws Exception {
    byte[] good = model(SCALES).compactEncodings(false).build();
    ModelHeader h = HostileArtifactTest.header(good);
    Graph g = h.getGraph();
    int w = index(g, "weights");
    TensorDesc t = g.getTensors(w);
    TensorDesc edited = t.toBuilder().setQuantization(edit.apply(t.getQuantization().toBuilder())).build();
    return plain(h.toBuilder().setGraph(g.toBuilder().setTensors(w, edited)).build(), HostileArtifactTest.data(good));
  }

  private static ScaleCodes codes(float max, int... codes) {
    byte[] b = new byte[codes.length];
    for (int i = 0; i < codes.length; i++) {
      b[i] = (byte) codes[i];
    }
    return ScaleCodes.newBuilder().setMax(max).setCodes(ByteString.copyFrom(b)).build();
  }

  @Test
  public void handWrittenCodesDecodeAsSpecified() throws Exception {
    byte[] file = withWeights(q -> q.clearScale().setScaleCodes(codes(0.5f, 0, 32, 255)));
    Artifact a = read(file);
    Quantization q = a.header().getGraph().getTensors(1).getQuantization();
    assertEquals(0.5f, q.getScale(0), 0f);
    assertEquals(0.25f, q.getScale(1), 0f);
    assertEquals((float) (0.5 * LogScales.fraction(31) / 128), q.getScale(2), 0f);
    assertNotNull(run(file));
  }

  @Test
  public void badScaleCodesAreNamed() throws Exception {
    String w = "tensor 1 '/encoder/layers.0/fully_connected/weights': ";
    assertLoadError(w + "has both 3 scales and scale codes", withWeights(q -> q.setScaleCodes(codes(1f, 0, 1, 2))));
    assertLoadError(w + "scale codes without codes", withWeights(q -> q.clearScale().setScaleCodes(codes(1f))));
    for (float max : new float[] {Float.NaN, 0f, -1f, Float.POSITIVE_INFINITY}) {
      assertLoadError(w + "largest scale of the scale codes is " + max + " (must be finite and > 0)",
          withWeights(q -> q.clearScale().setScaleCodes(codes(max, 0, 1, 2))));
    }
    assertLoadError(w + "2 per-axis scales do not match axis 0 of shape [3, 5]",
        withWeights(q -> q.clearScale().setScaleCodes(codes(1f, 0, 1))));
    // every byte is a code, but a code can take a tiny largest scale below the float range
    assertLoadError(w + "scale 2 is 0.0 (must be finite and > 0)",
        withWeights(q -> q.clearScale().setScaleCodes(codes(Float.MIN_VALUE, 0, 1, 255))));
  }

  // ---- hostile stored widths ----

  private static byte[] withTensor(String suffix, UnaryOperator<TensorDesc.Builder> edit) throws Exception {
    byte[] good = model(SCALES).compactEncodings(false).build();
    ModelHeader h = HostileArtifactTest.header(good);
    Graph g = h.getGraph();
    int i = index(g, suffix);
    return plain(h.toBuilder().setGraph(g.toBuilder().setTensors(i, edit.apply(g.getTensors(i).toBuilder()))).build(),
        HostileArtifactTest.data(good));
  }

  @Test
  public void badStoredWidthsAreNamed() throws Exception {
    String ints = "tensor 3 '/encoder/layers.0/fully_connected/int_constant': ";
    assertLoadError(ints + "stored width 3 is not 1, 2 or 4 bytes below the 4-byte INT32 elements",
        withTensor("int_constant", t -> t.setStoredWidth(3)));
    assertLoadError(ints + "stored width 4 is not 1, 2 or 4 bytes below the 4-byte INT32 elements",
        withTensor("int_constant", t -> t.setStoredWidth(4)));
    assertLoadError(ints + "data length 16 does not match 4 elements of 2 bytes",
        withTensor("int_constant", t -> t.setStoredWidth(2)));
    assertLoadError(ints + "a sparse constant cannot also have a stored width",
        withTensor("int_constant", t -> t.setStoredWidth(2)
            .setSparse(SparseEncoding.newBuilder().setKind(SparseEncoding.Kind.BITMAP).setNonzeroCount(4))));
    assertLoadError(ints + "an empty constant must be stored at full width",
        withTensor("int_constant", t -> t.setStoredWidth(2).setShape(0, 0).setDataLength(0)));
    assertLoadError("tensor 1 '/encoder/layers.0/fully_connected/weights': stored width 1 on a constant of type INT8"
        + " (only INT32 and INT64 may be stored narrow)", withTensor("weights", t -> t.setStoredWidth(1)));
    assertLoadError("tensor 2 '/encoder/layers.0/fully_connected/output': only constants may have a stored width",
        withTensor("fully_connected/output", t -> t.setStoredWidth(2)));
  }

  @Test
  public void narrowValuesAreSignExtended() throws Exception {
    // hand-made: the INT64 constant stored as 4 one-byte values 0x80 0x7F 0xFF 0x01 → −128, 127, −1, 1
    byte[] good = model(SCALES).compactEncodings(false).build();
    ModelHeader h = HostileArtifactTest.header(good);
    Graph g = h.getGraph();
    int i = index(g, "long_constant");
    byte[] data = HostileArtifactTest.data(good);
    long off = g.getTensors(i).getDataOffset();
    byte[] d = Arrays.copyOf(data, (int) off + 64);
    byte[] v = {(byte) 0x80, 0x7F, (byte) 0xFF, 0x01};
    System.arraycopy(v, 0, d, (int) off, 4);
    Arrays.fill(d, (int) off + 4, d.length, (byte) 0);
    TensorDesc t = g.getTensors(i).toBuilder().setShape(0, 4).setStoredWidth(1).setDataLength(4).build();
    byte[] file = plain(h.toBuilder().setGraph(g.toBuilder().setTensors(i, t)).build(), d);
    assertArrayEquals(new long[] {-128, 127, -1, 1},
        run(file).get("/encoder/layers.0/fully_connected/long_constant").toLongArray());
  }
}
