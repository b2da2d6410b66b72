package dev.topiary.converter.npy;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class NpyTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  // ---- hand-written files following NEP 1, the independent oracle ----

  /**
   * np.save of np.array([1.0, 2.0], dtype='<f4'): magic, version 1.0, HEADER_LEN 118 (0x76 0x00
   * little-endian) so that 10 + 118 = 128 is a multiple of 64; the 57-character dict, 60 spaces of
   * padding and a newline; then 1.0f = 00 00 80 3F and 2.0f = 00 00 00 40.
   */
  static final byte[] F4_1_2 =
      concat(
          bytes(0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x76, 0),
          ascii("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" + " ".repeat(60) + "\n"),
          bytes(0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40));

  /** np.save of np.array(-2, dtype='<i8'): a scalar, shape (); 55 + 62 + 1 = 118; -2 as 8 little-endian bytes. */
  static final byte[] I8_SCALAR =
      concat(
          bytes(0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x76, 0),
          ascii("{'descr': '<i8', 'fortran_order': False, 'shape': (), }" + " ".repeat(62) + "\n"),
          bytes(0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF));

  /** np.save of np.zeros((0, 3), dtype='<f4'): 59 + 58 + 1 = 118, and no data bytes at all. */
  static final byte[] F4_EMPTY =
      concat(
          bytes(0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x76, 0),
          ascii("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }" + " ".repeat(58) + "\n"));

  /**
   * Version 2.0 (4-byte HEADER_LEN 0x74 = 116, 12 + 116 = 128), big-endian int32 2x2 [[1, 2], [3,
   * 258]]; the 57-character dict in double quotes without the trailing comma, 58 spaces, newline.
   */
  static final byte[] V2_BIG_ENDIAN_I4 =
      concat(
          bytes(0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0x74, 0, 0, 0),
          ascii("{\"descr\": \">i4\", \"fortran_order\": False, \"shape\": (2, 2)}" + " ".repeat(58) + "\n"),
          bytes(0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 1, 2));

  /**
   * Version 3.0 (UTF-8 header) with HEADER_LEN 58 = 0x3A: exactly the dict, no padding or newline
   * (readers must not require them); bool with a non-0/1 byte; an old Python 2 long suffix in the shape.
   */
  static final byte[] V3_BOOL =
      concat(
          bytes(0x93, 'N', 'U', 'M', 'P', 'Y', 3, 0, 0x3A, 0, 0, 0),
          ascii("{'descr': '|b1', 'fortran_order': False, 'shape': (3L,), }"),
          bytes(0, 1, 2));

  @Test
  public void readsHandWrittenFloat32() throws Exception {
    NpyArray a = Npy.read(F4_1_2);
    assertEquals(DataType.FLOAT32, a.tensor().dataType());
    assertEquals(Shape.of(2), a.tensor().shape());
    assertArrayEquals(new float[] {1f, 2f}, a.tensor().toFloatArray(), 0f);
    assertEquals("<f4", a.descr());
    assertEquals("1.0", a.version());
    assertFalse(a.note().isPresent());
  }

  @Test
  public void writerProducesExactlyTheHandWrittenBytes() {
    assertArrayEquals(F4_1_2, Npy.toBytes(Tensor.ofFloats(Shape.of(2), 1f, 2f)));
    assertArrayEquals(I8_SCALAR, Npy.toBytes(Tensor.ofLongs(Shape.scalar(), -2L)));
    assertArrayEquals(F4_EMPTY, Npy.toBytes(Tensor.ofFloats(Shape.of(0, 3))));
  }

  @Test
  public void readsScalarAndEmpty() throws Exception {
    Tensor s = Npy.read(I8_SCALAR).tensor();
    assertEquals(Shape.scalar(), s.shape());
    assertArrayEquals(new long[] {-2}, s.toLongArray());
    Tensor e = Npy.read(F4_EMPTY).tensor();
    assertEquals(Shape.of(0, 3), e.shape());
    assertEquals(0, e.toFloatArray().length);
  }

  @Test
  public void readsVersion2BigEndian() throws Exception {
    NpyArray a = Npy.read(V2_BIG_ENDIAN_I4);
    assertEquals(DataType.INT32, a.tensor().dataType());
    assertEquals(Shape.of(2, 2), a.tensor().shape());
    assertArrayEquals(new int[] {1, 2, 3, 258}, a.tensor().toIntArray());
    assertEquals("2.0", a.version());
    assertTrue(a.note().get().contains("big-endian"));
  }

  @Test
  public void readsVersion3BoolNormalizingTrueBytes() throws Exception {
    NpyArray a = Npy.read(V3_BOOL);
    assertEquals(DataType.BOOL, a.tensor().dataType());
    assertArrayEquals(new byte[] {0, 1, 1}, a.tensor().toByteArray());
    assertEquals("3.0", a.version());
  }

  @Test
  public void convertsFloat64AndFloat16ToFloat32WithANote() throws Exception {
    ByteBuffer d = ByteBuffer.allocate(24).order(ByteOrder.BIG_ENDIAN);
    d.putDouble(0.5).putDouble(-3.25).putDouble(1e300);
    NpyArray a = Npy.read(file(">f8", "(3,)", d.array()));
    assertArrayEquals(new float[] {0.5f, -3.25f, Float.POSITIVE_INFINITY}, a.tensor().toFloatArray(), 0f);
    assertTrue(a.note().get(), a.note().get().contains("float64"));
    assertTrue(a.note().get(), a.note().get().contains("1 values beyond the float range"));

    // float16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, little-endian.
    NpyArray h = Npy.read(file("<f2", "(3,)", bytes(0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B)));
    assertEquals(DataType.FLOAT32, h.tensor().dataType());
    assertArrayEquals(new float[] {1f, -2f, 65504f}, h.tensor().toFloatArray(), 0f);
    assertTrue(h.note().get().contains("float16"));
  }

  @Test
  public void readsOneByteTypes() throws Exception {
    assertArrayEquals(new byte[] {-1, 5}, Npy.read(file("|i1", "(2,)", bytes(0xFF, 5))).tensor().toByteArray());
    Tensor u = Npy.read(file("|u1", "(1, 2)", bytes(0xFF, 5))).tensor();
    assertEquals(DataType.UINT8, u.dataType());
    assertEquals(Shape.of(1, 2), u.shape());
    assertEquals(DataType.INT8, Npy.read(file("<i1", "(0,)", new byte[0])).tensor().dataType());
  }

  @Test
  public void fortranOrderIsAcceptedOnlyWhereTheLayoutIsTheSame() throws Exception {
    String h = "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3), }";
    assertEquals(Shape.of(1, 3), Npy.read(raw(1, h, new byte[12])).tensor().shape());
    String bad = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
    assertError(raw(1, bad, new byte[24]), "fortran_order is True");
  }

  // ---- round trips ----

  @Test
  public void roundTripsEveryTypeAndShape() throws Exception {
    Random r = new Random(7);
    Shape[] shapes = {Shape.scalar(), Shape.of(0), Shape.of(5), Shape.of(2, 3, 4), Shape.of(1, 0, 2)};
    for (DataType t : DataType.values()) {
      for (Shape s : shapes) {
        byte[] values = new byte[s.elementCount() * t.byteSize()];
        r.nextBytes(values);
        if (t == DataType.BOOL) {
          for (int i = 0; i < values.length; i++) {
            values[i] &= 1;
          }
        }
        Tensor in = Tensor.wrap(t, s, ByteBuffer.wrap(values));
        byte[] npy = Npy.toBytes(in);
        assertEquals(t + " " + s + ": header aligned to 64", 0, (npy.length - values.length) % 64);
        NpyArray back = Npy.read(npy);
        DataType expectType = t == DataType.FLOAT16 ? DataType.FLOAT32 : t;
        assertEquals(t + " " + s, expectType, back.tensor().dataType());
        assertEquals(t + " " + s, s, back.tensor().shape());
        if (t != DataType.FLOAT16) {
          assertArrayEquals(t + " " + s, values, back.tensor().toByteArray());
        }
      }
    }
  }

  @Test
  public void roundTripsSpecialFloatsBitExactly() throws Exception {
    float[] v = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE, Float.MAX_VALUE};
    Tensor back = Npy.read(Npy.toBytes(Tensor.ofFloats(Shape.of(6), v))).tensor();
    float[] got = back.toFloatArray();
    for (int i = 0; i < v.length; i++) {
      assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(got[i]));
    }
  }

  @Test
  public void roundTripsThroughAFile() throws Exception {
    Path p = tmp.getRoot().toPath().resolve("x.npy");
    Tensor t = Tensor.ofInts(Shape.of(2, 2), 1, -2, 3, Integer.MIN_VALUE);
    Npy.write(t, p);
    assertArrayEquals(Npy.toBytes(t), Files.readAllBytes(p));
    assertArrayEquals(t.toIntArray(), Npy.read(p).tensor().toIntArray());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Npy.write(t, out);
    assertArrayEquals(Files.readAllBytes(p), out.toByteArray());
  }

  @Test
  public void writesVersion2WhenTheHeaderDoesNotFitVersion1() {
    int[] dims = new int[30000];
    java.util.Arrays.fill(dims, 1);
    byte[] npy = Npy.toBytes(Tensor.ofFloats(Shape.of(dims), 3f));
    assertEquals(2, npy[6]);
    int headerLength = ByteBuffer.wrap(npy, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    assertEquals(0, (12 + headerLength) % 64);
    assertEquals(12 + headerLength + 4, npy.length);
  }

  // ---- bad files ----

  @Test
  public void rejectsBadMagicAndNamesZipArchives() {
    assertError(ascii("hello world, not numpy"), "bad magic at byte 0");
    assertError(bytes('P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0), ".npz");
    byte[] f = F4_1_2.clone();
    f[3] = 'X';
    assertError(f, "bad magic at byte 3");
  }

  @Test
  public void rejectsTruncatedPreambleAndHeader() {
    assertError(new byte[0], "truncated");
    assertError(java.util.Arrays.copyOf(F4_1_2, 4), "truncated");
    assertError(java.util.Arrays.copyOf(F4_1_2, 9), "truncated");
    assertError(java.util.Arrays.copyOf(F4_1_2, 60), "header length 118 (bytes 8..9) runs past the end of the 60-byte file");
  }

  @Test
  public void rejectsHeaderLengthBeyondTheFile() {
    byte[] f = V2_BIG_ENDIAN_I4.clone();
    f[8] = (byte) 0xFF;
    f[9] = (byte) 0xFF;
    f[10] = (byte) 0xFF;
    f[11] = (byte) 0x7F;
    assertError(f, "header length 2147483647 (bytes 8..11) runs past the end");
  }

  @Test
  public void rejectsTruncatedAndExtendedData() {
    assertError(java.util.Arrays.copyOf(F4_1_2, F4_1_2.length - 1),
        "truncated data: shape (2,) <f4 needs 8 bytes after the header (byte 128), the file holds 7");
    assertError(concat(F4_1_2, bytes(0, 0)), "2 unexpected bytes after the data");
  }

  @Test
  public void rejectsOversizedShapeClaimsBeforeAllocating() {
    // 2e9 float64 values would be 16 GB: the check against the bytes present comes first.
    assertError(file("<f8", "(2000000000,)", new byte[16]), "needs 16000000000 bytes after the header");
    assertError(file("<f4", "(4294967296, 4294967296)", new byte[0]), "more than 2^31-1");
    assertError(file("<f4", "(65536, 65536)", new byte[0]), "more than 2^31-1 elements");
    assertError(file("<f4", "(99999999999999999999999999999999999999999,)", new byte[0]), "more than 40 digits");
    assertError(file("<f4", "(-1, 2)", new byte[0]), "dimension 0 is negative");
    assertError(file("<f4", "(" + "1, ".repeat(65) + ")", new byte[4]), "65 dimensions");
    // A zero dimension makes any other dimension harmless as long as each fits an int.
    assertEquals(0, readQuietly(file("<f4", "(0, 2147483647)", new byte[0])).shape().elementCount());
  }

  @Test
  public void rejectsMalformedDicts() {
    assertError(raw(1, "{'descr' '<f4', 'fortran_order': False, 'shape': (2,), }", new byte[8]), "expected ':'");
    assertError(raw(1, "{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", new byte[8]), "malformed header dict");
    assertError(raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", new byte[8]), "malformed header dict");
    assertError(raw(1, "{'descr': '<f4', 'fortran_order': Flase, 'shape': (2,), }", new byte[8]), "unexpected name 'Flase'");
    assertError(raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }", new byte[8]), "only integers");
    assertError(raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", new byte[8]), "after the end");
    assertError(raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", new byte[8]), "'shape' must be a tuple");
    assertError(raw(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", new byte[8]), "'fortran_order' must be True or False");
    assertError(raw(1, "{'descr': '<f4', 'shape': (2,), }", new byte[8]), "lacks 'fortran_order'");
    assertError(raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", new byte[8]), "unexpected key 'x'");
    assertError(raw(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", new byte[8]), "duplicate key");
    assertError(raw(1, "['descr', '<f4']", new byte[8]), "header is not a dict");
    assertError(raw(1, "{'descr': " + "(".repeat(1000) + ")".repeat(1000) + "}", new byte[0]), "nesting deeper");
  }

  @Test
  public void rejectsUnsupportedDtypesNamingThem() {
    assertError(file("<u2", "(1,)", new byte[2]), "unsupported dtype '<u2'");
    assertError(file("|O", "(1,)", new byte[8]), "object arrays");
    assertError(file("<U5", "(1,)", new byte[20]), "unsupported dtype '<U5'");
    assertError(file("|f4", "(1,)", new byte[4]), "needs a byte order");
    assertError(raw(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[4]), "structured dtype");
  }

  @Test
  public void rejectsUnknownVersionsAndBadUtf8() {
    byte[] f = F4_1_2.clone();
    f[6] = 4;
    assertError(f, "unsupported .npy format version 4.0");
    byte[] g = V3_BOOL.clone();
    g[14] = (byte) 0xC3; // a UTF-8 lead byte followed by an ASCII byte
    assertError(g, "not valid UTF-8");
  }

  @Test
  public void everyTruncationAndByteFlipFailsCleanly() {
    for (byte[] good : new byte[][] {F4_1_2, I8_SCALAR, V2_BIG_ENDIAN_I4, V3_BOOL}) {
      for (int n = 0; n < good.length; n++) {
        try {
          Npy.read(java.util.Arrays.copyOf(good, n));
          fail("truncation to " + n + " bytes was accepted");
        } catch (NpyFormatException expected) {
          // the point: a typed exception, nothing else
        }
      }
      Random r = new Random(1);
      for (int i = 0; i < good.length; i++) {
        for (int k = 0; k < 4; k++) {
          byte[] bad = good.clone();
          bad[i] ^= (byte) (1 + r.nextInt(255));
          try {
            Npy.read(bad);
          } catch (NpyFormatException expected) {
            // fine: either it still parses or it fails with the typed exception
          }
        }
      }
    }
  }

  @Test
  public void fileErrorsNameThePath() throws Exception {
    Path p = tmp.getRoot().toPath().resolve("bad.npy");
    Files.write(p, java.util.Arrays.copyOf(F4_1_2, 20));
    try {
      Npy.read(p);
      fail();
    } catch (NpyFormatException e) {
      assertTrue(e.getMessage(), e.getMessage().startsWith(p + ": header length 118"));
    }
  }

  // ---- helpers ----

  /** A version 1.0 file with a numpy-style dict for {@code descr} and {@code shape}, and {@code data}. */
  static byte[] file(String descr, String shape, byte[] data) {
    return raw(1, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }", data);
  }

  /** A file of version {@code major}.0 whose header is {@code dict} padded with spaces and a newline. */
  static byte[] raw(int major, String dict, byte[] data) {
    int pre = major == 1 ? 10 : 12;
    int total = (pre + dict.length() + 1 + 63) / 64 * 64;
    String header = dict + " ".repeat(total - pre - dict.length() - 1) + "\n";
    ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(bytes(0x93, 'N', 'U', 'M', 'P', 'Y', major, 0));
    if (major == 1) {
      b.putShort((short) header.length());
    } else {
      b.putInt(header.length());
    }
    b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
    return b.array();
  }

  static void assertError(byte[] file, String messagePart) {
    try {
      Npy.read(file);
      fail("accepted a bad file; expected an error containing: " + messagePart);
    } catch (NpyFormatException e) {
      assertTrue("message '" + e.getMessage() + "' lacks '" + messagePart + "'", e.getMessage().contains(messagePart));
    }
  }

  private static Tensor readQuietly(byte[] file) {
    try {
      return Npy.read(file).tensor();
    } catch (NpyFormatException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  static byte[] bytes(int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return b;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.write(p, 0, p.length);
    }
    return out.toByteArray();
  }
}
