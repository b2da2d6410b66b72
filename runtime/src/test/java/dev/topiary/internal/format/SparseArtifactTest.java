package dev.topiary.internal.format;

import static org.junit.Assert.assertArrayEquals;
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
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.ModelHeader;
import dev.topiary.internal.format.proto.SparseEncoding;
import dev.topiary.internal.format.proto.TensorDesc;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Random;
import org.junit.Test;

/** The BITMAP sparse encoding of constants (format 1.1): round trip, version, and hostile files. */
public class SparseArtifactTest {
  /** 15 weights (not a multiple of 8) of which 9 are non-zero, one of them −0.0. */
  private static final float[] W = {0f, 1.5f, 0f, -2f, 3f, 0f, -0.0f, 4f, 0f, 5f, 6f, 0f, 7f, 0f, 8f};

  private static byte[] fc(boolean sparse) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 5));
    int w = sparse ? g.constantSparse("w", Shape.of(3, 5), W) : g.constant("w", Shape.of(3, 5), W);
    g.output(g.node("FullyConnected", "fc", x, w).output("y"));
    // without the 1.3 encodings, so that the version written is that of the sparse encoding alone
    return g.compactEncodings(false).build();
  }

  private static float[] run(byte[] artifact) throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(artifact)); Session s = m.newSession()) {
      return s.run(Collections.singletonMap("x", Tensor.ofFloats(Shape.of(1, 5), new float[] {1, 2, 3, 4, 5})))
          .get("y").toFloatArray();
    }
  }

  private static int minor(byte[] file) {
    return (file[10] & 0xFF) | (file[11] & 0xFF) << 8;
  }

  private static int wIndex(Graph g) {
    for (int i = 0; i < g.getTensorsCount(); i++) {
      if (g.getTensors(i).getName().equals("w")) {
        return i;
      }
    }
    throw new AssertionError("no tensor w");
  }

  private static String loadError(ModelHeader h, byte[] data) {
    try {
      Model.load(ByteBuffer.wrap(HostileArtifactTest.withHeader(h, data))).close();
    } catch (ModelFormatException e) {
      return e.getMessage();
    } catch (Throwable t) {
      throw new AssertionError("expected ModelFormatException, got " + t, t);
    }
    fail("the artifact loaded");
    return null;
  }

  /** {@code h} with tensor {@code index} replaced by {@code f} of it. */
  private static ModelHeader edit(ModelHeader h, int index, java.util.function.UnaryOperator<TensorDesc.Builder> f) {
    Graph g = h.getGraph();
    return h.toBuilder().setGraph(g.toBuilder().setTensors(index, f.apply(g.getTensors(index).toBuilder()))).build();
  }

  private static ModelHeader editW(ModelHeader h, java.util.function.UnaryOperator<TensorDesc.Builder> f) {
    return edit(h, wIndex(h.getGraph()), f);
  }

  private static SparseEncoding bitmap(long nnz) {
    return SparseEncoding.newBuilder().setKind(SparseEncoding.Kind.BITMAP).setNonzeroCount(nnz).build();
  }

  @Test
  public void sparseConstantRoundTripsAndIsSmaller() throws Exception {
    byte[] dense = fc(false);
    byte[] sparse = fc(true);
    assertEquals(0, minor(dense));
    assertEquals(1, minor(sparse));
    assertArrayEquals(run(dense), run(sparse), 0f);
    TensorDesc t = HostileArtifactTest.header(sparse).getGraph().getTensors(1);
    assertEquals(SparseEncoding.Kind.BITMAP, t.getSparse().getKind());
    assertEquals(9, t.getSparse().getNonzeroCount());
    assertEquals(2 + 9 * 4, t.getDataLength());
  }

  @Test
  public void sparseDecodingRestoresEveryBit() throws Exception {
    Random r = new Random(3);
    for (int count : new int[] {0, 1, 7, 8, 9, 64, 1001}) {
      float[] v = new float[count];
      for (int i = 0; i < count; i++) {
        v[i] = r.nextInt(3) == 0 ? (r.nextBoolean() ? -0.0f : Float.NaN) : r.nextInt(2) * (float) r.nextGaussian();
      }
      ByteBuffer dense = ByteBuffer.allocate(count * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      dense.asFloatBuffer().put(v);
      int nnz = SparseBitmap.nonZeroCount(dense, count, 4);
      ByteBuffer enc = SparseBitmap.encode(dense, count, 4);
      SparseBitmap.check(enc, count, nnz, 4, "t");
      assertEquals(dense, SparseBitmap.decode(enc, count, 4));
    }
  }

  @Test
  public void aVersion10ReaderRejectsSparseDataByItsLength() throws Exception {
    // A 1.0 reader skips field 8: it then sees data_length = bitmap + nnz·4 ≠ count·4 and refuses.
    byte[] file = fc(true);
    ModelHeader h = editW(HostileArtifactTest.header(file), t -> t.clearSparse());
    String m = loadError(h, HostileArtifactTest.data(file));
    assertTrue(m, m.contains("'w': data length 38 does not match 15 elements of 4 bytes"));
  }

  @Test
  public void wrongNonZeroCountIsALengthError() throws Exception {
    byte[] file = fc(true);
    ModelHeader h = editW(HostileArtifactTest.header(file), t -> t.setSparse(bitmap(10)));
    String m = loadError(h, HostileArtifactTest.data(file));
    assertTrue(m, m.contains("sparse data length 38 does not match 2 bitmap bytes + 10 values of 4 bytes"));
  }

  @Test
  public void nonZeroCountAboveTheElementCountIsRejected() throws Exception {
    byte[] file = fc(true);
    ModelHeader h = editW(HostileArtifactTest.header(file), t -> t.setSparse(bitmap(1L << 40)));
    String m = loadError(h, HostileArtifactTest.data(file));
    assertTrue(m, m.contains("nonzero_count 1099511627776 is outside [0, 15]"));
  }

  @Test
  public void bitmapPopulationMustEqualTheNonZeroCount() throws Exception {
    byte[] file = fc(true);
    ModelHeader h = HostileArtifactTest.header(file);
    byte[] data = HostileArtifactTest.data(file);
    int off = (int) h.getGraph().getTensors(wIndex(h.getGraph())).getDataOffset();
    data[off] &= ~0x02; // clear element 1's bit: 8 bits set, 9 claimed
    String m = loadError(h, data);
    assertTrue(m, m.contains("sparse bitmap has 8 bits set but nonzero_count is 9"));
  }

  @Test
  public void bitmapClaimingElementsPastTheEndIsRejected() throws Exception {
    byte[] file = fc(true);
    ModelHeader h = HostileArtifactTest.header(file);
    byte[] data = HostileArtifactTest.data(file);
    int off = (int) h.getGraph().getTensors(wIndex(h.getGraph())).getDataOffset();
    data[off] &= ~0x02;
    data[off + 1] |= (byte) 0x80; // "element 15" of 15: same population, one bit past the end
    String m = loadError(h, data);
    assertTrue(m, m.contains("sparse bitmap marks elements past its 15 elements"));
  }

  @Test
  public void onlyConstantsMayBeSparseAndTheKindMustBeKnown() throws Exception {
    byte[] file = fc(true);
    byte[] data = HostileArtifactTest.data(file);
    ModelHeader h0 = HostileArtifactTest.header(file);
    ModelHeader h = edit(h0, h0.getGraph().getTensorsCount() - 1, t -> t.setSparse(bitmap(0)));
    String m = loadError(h, data);
    assertTrue(m, m.contains("'y': only constants may be stored sparsely"));

    ModelHeader k = editW(h0, t -> t.setSparse(SparseEncoding.newBuilder().setKindValue(7).setNonzeroCount(9)));
    m = loadError(k, data);
    assertTrue(m, m.contains("'w': unknown sparse encoding 7"));
  }

  @Test
  public void sparseFlipsBehindAValidDigestNeverCrash() throws Exception {
    byte[] file = fc(true);
    Artifact a = ArtifactReader.read(ByteBuffer.wrap(file), true);
    int start = (int) a.dataOffset();
    Random r = new Random(5);
    for (int trial = 0; trial < 2000; trial++) {
      byte[] bad = file.clone();
      int i = start + r.nextInt(64);
      bad[i] ^= (byte) (1 << r.nextInt(8));
      try {
        Model.load(ByteBuffer.wrap(HostileArtifactTest.resign(bad))).close();
      } catch (ModelFormatException e) {
        assertTrue(e.getMessage(), e.getMessage().contains("sparse") || e.getMessage().contains("padding")
            || e.getMessage().contains("non-zero"));
      }
    }
  }

  @Test
  public void anEncodingAsLongAsDenseIsInvalidAndNeverWritten() throws Exception {
    // 32 floats, 31 non-zero: bitmap 4 + 31·4 = 128 = 32·4, which a 1.0 reader would take as dense.
    float[] v = new float[32];
    for (int i = 1; i < 32; i++) {
      v[i] = i;
    }
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4));
    int w = g.constantSparse("w", Shape.of(8, 4), v);
    g.output(g.node("FullyConnected", "fc", x, w).output("y"));
    byte[] file = g.compactEncodings(false).build();
    assertEquals(0, minor(file));
    ModelHeader h = HostileArtifactTest.header(file);
    assertTrue(!h.getGraph().getTensors(1).hasSparse());
    // Hand-made: the same bytes re-encoded as a 31-non-zero bitmap are refused by a 1.1 reader.
    ByteBuffer dense = ByteBuffer.allocate(128).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    dense.asFloatBuffer().put(v);
    ByteBuffer enc = SparseBitmap.encode(dense, 32, 4);
    byte[] data = HostileArtifactTest.data(file);
    int off = (int) h.getGraph().getTensors(1).getDataOffset();
    enc.get(data, off, 128);
    String m = loadError(editW(h, t -> t.setSparse(bitmap(31))), data);
    assertTrue(m, m.contains("sparse encoding is exactly as long as the dense data (128 bytes)"));
  }
}
