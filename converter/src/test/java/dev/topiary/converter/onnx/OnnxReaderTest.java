package dev.topiary.converter.onnx;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.google.protobuf.ByteString;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.OnnxBuilder;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.TensorValue;
import dev.topiary.converter.onnx.proto.StringStringEntryProto;
import dev.topiary.converter.onnx.proto.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class OnnxReaderTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static byte[] relu(int opset, long ir) {
    return new OnnxBuilder(opset, ir).input("x", 1, 4).node("Relu", OnnxBuilder.in("x"), "y").add().output("y").bytes();
  }

  private static String error(byte[] bytes) {
    try {
      OnnxReader.read(bytes, null);
    } catch (OnnxFormatException e) {
      return e.getMessage();
    }
    fail("expected OnnxFormatException");
    return null;
  }

  private static String tensorError(TensorProto t, Path dir) {
    try {
      OnnxReader.tensor(t, "initializer 'w'", dir);
    } catch (OnnxFormatException e) {
      return e.getMessage();
    }
    fail("expected OnnxFormatException");
    return null;
  }

  @Test
  public void readsVersionsAndOpset() throws Exception {
    OnnxModel m = OnnxReader.read(relu(13, 7), null);
    assertEquals(13, m.opset());
    assertEquals(64, m.sha256().length());
    for (int ir = 3; ir <= 13; ir++) {
      OnnxReader.read(relu(13, ir), null);
    }
    assertEquals(22, OnnxReader.read(relu(22, 10), null).opset());
    assertEquals(25, OnnxReader.read(relu(25, 13), null).opset());
  }

  @Test
  public void refusesUnsupportedVersions() {
    assertTrue(error(relu(13, 2)).contains("IR version 2 is not supported"));
    assertTrue(error(relu(13, 14)).contains("IR version 14 is not supported"));
    assertTrue(error(relu(6, 8)).contains("opset 6 is not supported"));
    assertTrue(error(relu(26, 8)).contains("opset 26 is not supported"));
  }

  @Test
  public void truncatedAndCorruptedFiles() {
    byte[] good = relu(13, 8);
    for (int cut = 1; cut < good.length; cut += 3) {
      try {
        OnnxReader.read(Arrays.copyOf(good, cut), null);
      } catch (OnnxFormatException e) {
        continue;
      }
      // A prefix can be a valid message that lacks the graph: also refused.
    }
    assertTrue(error(new byte[0]).contains("empty file"));
    Random r = new Random(7);
    for (int k = 0; k < 200; k++) {
      byte[] b = good.clone();
      for (int j = 0; j < 3; j++) {
        b[r.nextInt(b.length)] = (byte) r.nextInt(256);
      }
      try {
        Converter.convert(b, ConvertOptions.builder().checkGraph(true).build());
      } catch (IOException | dev.topiary.converter.ConversionException e) {
        // expected: typed, checked
      } catch (RuntimeException e) {
        throw new AssertionError("corruption " + k + " escaped as " + e, e);
      }
    }
    byte[] text = "hello, this is not a model".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    error(text);
  }

  @Test
  public void rawDataLengthMustMatch() {
    TensorProto t = OnnxBuilder.floats("w", new int[] {2, 3}, 1, 2, 3, 4, 5);
    assertTrue(tensorError(t, null), tensorError(t, null).contains("raw_data has 20 bytes, [2,3] FLOAT32 needs 24"));
  }

  @Test
  public void oversizedClaimsAreRefusedBeforeAllocating() {
    TensorProto huge = TensorProto.newBuilder().setName("w").setDataType(1).addDims(1 << 20).addDims(1 << 20)
        .setRawData(ByteString.copyFrom(new byte[8])).build();
    assertTrue(tensorError(huge, null).contains("more than 2^31-1 elements"));
    TensorProto big = TensorProto.newBuilder().setName("w").setDataType(1).addDims(1 << 28)
        .setRawData(ByteString.copyFrom(new byte[8])).build();
    assertTrue(tensorError(big, null).contains("raw_data has 8 bytes"));
    TensorProto neg = TensorProto.newBuilder().setName("w").setDataType(1).addDims(-3).build();
    assertTrue(tensorError(neg, null).contains("dimension 0 is -3"));
    TensorProto typed = TensorProto.newBuilder().setName("w").setDataType(1).addDims(1 << 30).addFloatData(1f).build();
    assertTrue(tensorError(typed, null).contains("float_data has 1 values"));
    TensorProto str = TensorProto.newBuilder().setName("w").setDataType(8).addDims(1).build();
    assertTrue(tensorError(str, null).contains("STRING is not supported"));
  }

  @Test
  public void typedFields() throws Exception {
    TensorProto f = TensorProto.newBuilder().setDataType(1).addDims(2).addFloatData(1.5f).addFloatData(-2f).build();
    assertArrayEquals(new float[] {1.5f, -2f}, OnnxReader.tensor(f, "f", null).floats(), 0f);
    TensorProto l = TensorProto.newBuilder().setDataType(7).addDims(2).addInt64Data(5).addInt64Data(-1).build();
    assertArrayEquals(new long[] {5, -1}, OnnxReader.tensor(l, "l", null).longs());
    TensorProto i = TensorProto.newBuilder().setDataType(6).addDims(1).addInt32Data(-9).build();
    assertEquals(DType.INT32, OnnxReader.tensor(i, "i", null).dtype());
    TensorProto d = TensorProto.newBuilder().setDataType(11).addDims(1).addDoubleData(0.25).build();
    assertEquals(0.25f, OnnxReader.tensor(d, "d", null).floatAt(0), 0f);
    TensorProto h = TensorProto.newBuilder().setDataType(10).addDims(1).addInt32Data(0x3C00).build();
    assertEquals(1f, OnnxReader.tensor(h, "h", null).floatAt(0), 0f);
    TensorProto u8 = TensorProto.newBuilder().setDataType(2).addDims(2).setRawData(ByteString.copyFrom(new byte[] {
        (byte) 255, 1})).build();
    assertArrayEquals(new long[] {255, 1}, OnnxReader.tensor(u8, "u8", null).longs());
    TensorProto scalar = TensorProto.newBuilder().setDataType(1).addFloatData(3f).build();
    TensorValue s = OnnxReader.tensor(scalar, "s", null);
    assertEquals(0, s.rank());
    assertEquals(3f, s.floatAt(0), 0f);
  }

  private static TensorProto external(String location, long offset, long length, int n) {
    TensorProto.Builder t = TensorProto.newBuilder().setName("w").setDataType(1).addDims(n)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location));
    if (offset >= 0) {
      t.addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(String.valueOf(offset)));
    }
    if (length >= 0) {
      t.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(String.valueOf(length)));
    }
    return t.build();
  }

  @Test
  public void externalData() throws Exception {
    Path dir = tmp.newFolder("model").toPath();
    ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    b.putFloat(9f).putFloat(9f).asFloatBuffer().put(new float[] {1, 2, 3, 4});
    Files.write(dir.resolve("weights.bin"), b.array());
    assertArrayEquals(new float[] {1, 2, 3, 4}, OnnxReader.tensor(external("weights.bin", 8, 16, 4), "w", dir).floats(),
        0f);
    assertArrayEquals(new float[] {9, 9, 1, 2}, OnnxReader.tensor(external("weights.bin", -1, -1, 4), "w", dir).floats(),
        0f);
    assertTrue(tensorError(external("weights.bin", 16, -1, 4), dir).contains("exceeds the file's 24 bytes"));
    assertTrue(tensorError(external("weights.bin", 0, 12, 4), dir).contains("external length 12 does not match"));
    assertTrue(tensorError(external("../secret.bin", 0, 16, 4), dir).contains("escapes the model's directory"));
    assertTrue(tensorError(external("/etc/passwd", 0, 16, 4), dir).contains("must be relative"));
    assertTrue(tensorError(external("missing.bin", 0, 16, 4), dir).contains("not found"));
    assertTrue(tensorError(external("weights.bin", 0, 16, 4), null).contains("needs the model's directory"));
    assertTrue(tensorError(external("weights.bin", Long.MAX_VALUE, -1, 4), dir).contains("exceeds"));
  }

  @Test
  public void externalDataThroughConvert() throws Exception {
    Path dir = tmp.newFolder("ext").toPath();
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(new float[] {1, -2, 3, -4});
    Files.write(dir.resolve("model.data"), b.array());
    TensorProto t = external("model.data", 0, 16, 4).toBuilder().setName("bias").build();
    byte[] m = new OnnxBuilder(13).input("x", 1, 4).init(t)
        .node("Add", OnnxBuilder.in("x", "bias"), "y").add().output("y").bytes();
    Files.write(dir.resolve("model.onnx"), m);
    assertTrue(Converter.convert(dir.resolve("model.onnx"), ConvertOptions.defaults()).summary().parameterCount() == 4);
  }
}
