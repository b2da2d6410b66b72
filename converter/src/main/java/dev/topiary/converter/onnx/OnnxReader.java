package dev.topiary.converter.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.TensorValue;
import dev.topiary.converter.onnx.proto.ModelProto;
import dev.topiary.converter.onnx.proto.OperatorSetIdProto;
import dev.topiary.converter.onnx.proto.StringStringEntryProto;
import dev.topiary.converter.onnx.proto.TensorProto;
import dev.topiary.quantization.Float16;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Reads ONNX files (IR versions 3–13, default-domain opsets 7–25) and decodes their tensors.
 * Every size read from the file is checked before anything is allocated from it: the dimension
 * product, raw data length against type × count, typed value counts, external data ranges against
 * the data file's size. Any problem is an {@link OnnxFormatException}.
 */
public final class OnnxReader {
  /**
   * Lowest and highest supported IR versions. IR 11 to 13 only add data types (FLOAT4E2M1,
   * FLOAT8E8M0, INT2/UINT2, which {@link #dtype} refuses) and multi-device annotations (unknown
   * fields here, meaningless on one device), so files written by ONNX 1.18 to 1.20 read as before.
   */
  public static final int MIN_IR = 3;
  public static final int MAX_IR = 13;
  /**
   * Lowest and highest supported default-domain opset versions. Opset 22 re-versioned Conv, the
   * pools, Dropout, HardSigmoid, HardSwish and ops Topiary lacks only to allow bfloat16. Opsets 23
   * to 25 re-versioned Cast, CastLike, Constant, ConstantOfShape, Flatten, Identity, Pad, Reshape,
   * Shape, Size, Squeeze, Transpose and Unsqueeze only to allow float4e2m1, float8e8m0 and 2-bit
   * integer types (Cast's {@code round_mode} concerns float8e8m0 only), and added ops Topiary
   * reports as unsupported. No definition changed for the types Topiary reads, so the importer's
   * rules of opset 22 apply unchanged; the reader refuses the new types where they occur.
   */
  public static final int MIN_OPSET = 7;
  public static final int MAX_OPSET = 25;
  /** Largest model file read (protobuf's own limit is 2 GiB). */
  public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8L;
  /** Largest tensor rank accepted. */
  public static final int MAX_RANK = 32;
  private static final int RECURSION_LIMIT = 64;

  private OnnxReader() {}

  /** Reads a model file; external data is resolved in the file's directory. */
  public static OnnxModel read(Path path) throws IOException {
    long size;
    try {
      size = Files.size(path);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(path.toString(), null, "ONNX model not found");
    }
    if (size > MAX_FILE_BYTES) {
      throw new OnnxFormatException(path + ": " + size + " bytes exceeds the 2 GiB ONNX limit");
    }
    byte[] bytes = Files.readAllBytes(path);
    Path dir = path.toAbsolutePath().getParent();
    try {
      return read(bytes, dir);
    } catch (OnnxFormatException e) {
      throw new OnnxFormatException(path.getFileName() + ": " + e.getMessage(), e);
    }
  }

  /** Reads a model from bytes; {@code baseDir} (nullable) is where external data files live. */
  public static OnnxModel read(byte[] bytes, Path baseDir) throws OnnxFormatException {
    if (bytes.length == 0) {
      throw new OnnxFormatException("empty file: not an ONNX model");
    }
    ModelProto m;
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.setRecursionLimit(RECURSION_LIMIT);
      m = ModelProto.parseFrom(in);
      in.checkLastTagWas(0);
    } catch (InvalidProtocolBufferException e) {
      throw new OnnxFormatException("not a valid ONNX protobuf (truncated or corrupted?): " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      throw new OnnxFormatException("not a valid ONNX protobuf: " + e, e);
    }
    if (!m.hasIrVersion() || !m.hasGraph()) {
      throw new OnnxFormatException("not an ONNX model: " + (m.hasGraph() ? "no ir_version" : "no graph")
          + (bytes.length >= 8 && bytes[0] == (byte) 0x89 ? " (this looks like a .topiary artifact)" : ""));
    }
    long ir = m.getIrVersion();
    if (ir < MIN_IR || ir > MAX_IR) {
      throw new OnnxFormatException("ONNX IR version " + ir + " is not supported (supported: " + MIN_IR + " to "
          + MAX_IR + ")");
    }
    long opset = -1;
    for (OperatorSetIdProto o : m.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        opset = o.getVersion();
      }
    }
    if (opset < 0 && ir == 3 && m.getOpsetImportCount() == 0) {
      throw new OnnxFormatException("the model imports no operator set");
    }
    if (opset < 0) {
      throw new OnnxFormatException("the model does not import the default ONNX operator set");
    }
    if (opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new OnnxFormatException("ONNX opset " + opset + " is not supported (supported: " + MIN_OPSET + " to "
          + MAX_OPSET + ")");
    }
    return new OnnxModel(m, (int) opset, baseDir, sha256(bytes), bytes.length);
  }

  /** Lower-case hex SHA-256 of {@code bytes}. */
  public static String sha256(byte[] bytes) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
      StringBuilder sb = new StringBuilder();
      for (byte b : d) {
        sb.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
      }
      return sb.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The IR type of an ONNX data type code, or null when the converter does not hold that type. */
  public static DType dtype(int onnx) {
    switch (onnx) {
      case 1: return DType.FLOAT32;
      case 2: return DType.UINT8;
      case 3: return DType.INT8;
      case 4: return DType.UINT16;
      case 5: return DType.INT16;
      case 6: return DType.INT32;
      case 7: return DType.INT64;
      case 9: return DType.BOOL;
      case 10: return DType.FLOAT16;
      case 11: return DType.FLOAT64;
      case 12: return DType.UINT32;
      default: return null;
    }
  }

  /** ONNX data type names, for messages. */
  public static String typeName(int onnx) {
    String[] n = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
        "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN",
        "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4"};
    return onnx >= 0 && onnx < n.length ? n[onnx] : "type " + onnx;
  }

  private static int byteSize(DType t) {
    switch (t) {
      case INT8: case UINT8: case BOOL: return 1;
      case INT16: case UINT16: case FLOAT16: return 2;
      case INT32: case UINT32: case FLOAT32: return 4;
      default: return 8;
    }
  }

  /**
   * Decodes a tensor's values. {@code what} names it in messages ("initializer 'w'"); {@code baseDir}
   * resolves external data (null: external data is refused).
   */
  public static TensorValue tensor(TensorProto t, String what, Path baseDir) throws OnnxFormatException {
    DType dt = dtype(t.getDataType());
    if (dt == null) {
      throw new OnnxFormatException(what + ": data type " + typeName(t.getDataType()) + " is not supported");
    }
    if (t.hasSegment()) {
      throw new OnnxFormatException(what + ": segmented tensors are not supported");
    }
    if (t.getDimsCount() > MAX_RANK) {
      throw new OnnxFormatException(what + ": rank " + t.getDimsCount() + " exceeds " + MAX_RANK);
    }
    int[] shape = new int[t.getDimsCount()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      long d = t.getDims(i);
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw new OnnxFormatException(what + ": dimension " + i + " is " + d);
      }
      shape[i] = (int) d;
      count *= d;
      if (count > Integer.MAX_VALUE) {
        throw new OnnxFormatException(what + ": " + dims(t) + " has more than 2^31-1 elements");
      }
    }
    int n = (int) count;
    int size = byteSize(dt);
    long bytesNeeded = count * size;
    ByteBuffer raw = null;
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      raw = external(t, what, baseDir, bytesNeeded);
    } else if (t.hasRawData()) {
      ByteString r = t.getRawData();
      if (r.size() != bytesNeeded) {
        throw new OnnxFormatException(what + ": raw_data has " + r.size() + " bytes, " + dims(t) + " " + dt + " needs "
            + bytesNeeded);
      }
      raw = r.asReadOnlyByteBuffer();
    }
    if (raw != null) {
      return decodeRaw(dt, shape, n, raw.order(ByteOrder.LITTLE_ENDIAN));
    }
    return decodeTyped(t, dt, shape, n, what);
  }

  private static String dims(TensorProto t) {
    return t.getDimsList().toString().replace(" ", "");
  }

  private static TensorValue decodeRaw(DType dt, int[] shape, int n, ByteBuffer b) {
    switch (dt) {
      case FLOAT32: {
        float[] f = new float[n];
        b.asFloatBuffer().get(f);
        return TensorValue.ofFloats(dt, shape, f);
      }
      case FLOAT16: {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = Float16.toFloat(b.getShort(b.position() + 2 * i));
        }
        return TensorValue.ofFloats(dt, shape, f);
      }
      case FLOAT64: {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = (float) b.getDouble(b.position() + 8 * i);
        }
        return TensorValue.ofFloats(dt, shape, f);
      }
      default: {
        long[] v = new long[n];
        int p = b.position();
        for (int i = 0; i < n; i++) {
          switch (dt) {
            case INT8: v[i] = b.get(p + i); break;
            case UINT8: v[i] = b.get(p + i) & 0xFF; break;
            case BOOL: v[i] = b.get(p + i) != 0 ? 1 : 0; break;
            case INT16: v[i] = b.getShort(p + 2 * i); break;
            case UINT16: v[i] = b.getShort(p + 2 * i) & 0xFFFF; break;
            case INT32: v[i] = b.getInt(p + 4 * i); break;
            case UINT32: v[i] = b.getInt(p + 4 * i) & 0xFFFFFFFFL; break;
            default: v[i] = b.getLong(p + 8 * i); break;
          }
        }
        return TensorValue.ofLongs(dt, shape, v);
      }
    }
  }

  private static TensorValue decodeTyped(TensorProto t, DType dt, int[] shape, int n, String what)
      throws OnnxFormatException {
    int have;
    String field;
    switch (dt) {
      case FLOAT32: have = t.getFloatDataCount(); field = "float_data"; break;
      case FLOAT64: have = t.getDoubleDataCount(); field = "double_data"; break;
      case INT64: have = t.getInt64DataCount(); field = "int64_data"; break;
      case UINT32: have = t.getUint64DataCount(); field = "uint64_data"; break;
      default: have = t.getInt32DataCount(); field = "int32_data"; break;
    }
    if (have != n) {
      throw new OnnxFormatException(what + ": " + field + " has " + have + " values, " + dims(t) + " needs " + n);
    }
    if (dt.isFloating()) {
      float[] f = new float[n];
      for (int i = 0; i < n; i++) {
        f[i] = dt == DType.FLOAT32 ? t.getFloatData(i)
            : dt == DType.FLOAT64 ? (float) t.getDoubleData(i) : Float16.toFloat((short) t.getInt32Data(i));
      }
      return TensorValue.ofFloats(dt, shape, f);
    }
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      long x = dt == DType.INT64 ? t.getInt64Data(i) : dt == DType.UINT32 ? t.getUint64Data(i) : t.getInt32Data(i);
      v[i] = dt.wrap(x);
    }
    return TensorValue.ofLongs(dt, shape, v);
  }

  private static ByteBuffer external(TensorProto t, String what, Path baseDir, long bytesNeeded)
      throws OnnxFormatException {
    String location = null;
    long offset = 0;
    long length = -1;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      switch (e.getKey()) {
        case "location": location = e.getValue(); break;
        case "offset": offset = parseLong(e.getValue(), what, "offset"); break;
        case "length": length = parseLong(e.getValue(), what, "length"); break;
        default: break;
      }
    }
    if (location == null || location.isEmpty()) {
      throw new OnnxFormatException(what + ": external data has no location");
    }
    if (baseDir == null) {
      throw new OnnxFormatException(what + ": external data '" + location
          + "' needs the model's directory (convert from a file path, not from bytes)");
    }
    if (length >= 0 && length != bytesNeeded) {
      throw new OnnxFormatException(what + ": external length " + length + " does not match the " + bytesNeeded
          + " bytes its shape and type need");
    }
    Path file;
    try {
      Path loc = Path.of(location);
      Path base = baseDir.toRealPath();
      if (loc.isAbsolute()) {
        throw new OnnxFormatException(what + ": external data location '" + location + "' must be relative");
      }
      file = base.resolve(loc).normalize();
      if (!file.startsWith(base)) {
        throw new OnnxFormatException(what + ": external data location '" + location
            + "' escapes the model's directory");
      }
      if (!Files.isRegularFile(file)) {
        throw new OnnxFormatException(what + ": external data file '" + location + "' not found next to the model");
      }
      file = file.toRealPath();
      if (!file.startsWith(base)) {
        throw new OnnxFormatException(what + ": external data location '" + location
            + "' escapes the model's directory through a link");
      }
    } catch (java.nio.file.InvalidPathException e) {
      throw new OnnxFormatException(what + ": invalid external data location '" + location + "'");
    } catch (IOException e) {
      if (e instanceof OnnxFormatException) {
        throw (OnnxFormatException) e;
      }
      throw new OnnxFormatException(what + ": cannot read external data '" + location + "': " + e.getMessage(), e);
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (offset > size || bytesNeeded > size - offset) {
        throw new OnnxFormatException(what + ": external data '" + location + "' range [" + offset + ", "
            + (offset + bytesNeeded) + ") exceeds the file's " + size + " bytes");
      }
      ByteBuffer b = ByteBuffer.allocate((int) bytesNeeded);
      while (b.hasRemaining()) {
        if (ch.read(b, offset + b.position()) < 0) {
          throw new OnnxFormatException(what + ": external data '" + location + "' ended early");
        }
      }
      ((java.nio.Buffer) b).flip();
      return b;
    } catch (OnnxFormatException e) {
      throw e;
    } catch (IOException e) {
      throw new OnnxFormatException(what + ": cannot read external data '" + location + "': " + e.getMessage(), e);
    }
  }

  private static long parseLong(String s, String what, String key) throws OnnxFormatException {
    try {
      long v = Long.parseLong(s.trim());
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new OnnxFormatException(what + ": external data " + key + " '" + s + "' is not a non-negative integer");
    }
  }
}
