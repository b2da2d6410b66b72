package dev.topiary.converter.npy;

import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.quantization.Float16;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads and writes NumPy {@code .npy} files as {@link Tensor}s.
 *
 * <pre>{@code
 * NpyArray a = Npy.read(Paths.get("image.npy"));
 * Tensor image = a.tensor();
 * a.note().ifPresent(System.err::println);       // e.g. float64 narrowed to FLOAT32
 * Npy.write(outputs.get("logits"), Paths.get("logits.npy"));
 * }</pre>
 *
 * <p>Reading accepts format versions 1.0, 2.0 and 3.0, C-order arrays (and Fortran-order arrays
 * whose layout is the same, e.g. rank ≤ 1), and the dtypes {@value NpyDtype#SUPPORTED}. float64 and
 * float16 become FLOAT32 and big-endian values are byte-swapped; {@link NpyArray#note()} says what
 * was converted. Every size in the file is checked against the bytes actually present before
 * anything is allocated: a bad file gives an {@link NpyFormatException} naming the problem, never an
 * {@link OutOfMemoryError}.
 *
 * <p>Writing produces what {@code numpy.save} produces for the same array: version 1.0 (2.0 only
 * when the header does not fit), {@code fortran_order: False}, the header padded to 64 bytes.
 */
public final class Npy {
  /** The six magic bytes, {@code \x93NUMPY}. */
  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  /** Largest file read: one Java buffer holds it. */
  public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;
  /** Most dimensions accepted (NumPy 2's own limit). */
  public static final int MAX_RANK = 64;

  private Npy() {}

  /**
   * Reads the {@code .npy} file at {@code path}; error messages start with the path.
   *
   * @throws NpyFormatException if the file is not a valid {@code .npy} file this reader supports
   * @throws IOException if the file cannot be read
   */
  public static NpyArray read(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > MAX_FILE_BYTES) {
        throw new NpyFormatException(path + ": file of " + size + " bytes exceeds the 2 GiB limit");
      }
      ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      try {
        return read(mapped);
      } catch (NpyFormatException e) {
        throw new NpyFormatException(path + ": " + e.getMessage());
      }
    }
  }

  /**
   * Reads a {@code .npy} file held in {@code bytes}.
   *
   * @throws NpyFormatException if the bytes are not a valid {@code .npy} file this reader supports
   */
  public static NpyArray read(byte[] bytes) throws NpyFormatException {
    return read(ByteBuffer.wrap(bytes));
  }

  /**
   * Reads a {@code .npy} file held in {@code buffer}'s remaining bytes; the buffer is not changed
   * and the tensor does not share its memory.
   *
   * @throws NpyFormatException if the bytes are not a valid {@code .npy} file this reader supports
   */
  public static NpyArray read(ByteBuffer buffer) throws NpyFormatException {
    ByteBuffer f = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
    int size = f.remaining();
    for (int i = 0; i < MAGIC.length; i++) {
      if (i >= size) {
        throw new NpyFormatException("truncated: " + size + " bytes, shorter than the 10-byte preamble");
      }
      if (f.get(i) != MAGIC[i]) {
        String hint = size >= 2 && f.get(0) == 'P' && f.get(1) == 'K' ? " (this looks like an .npz zip archive: extract its .npy files)" : "";
        throw new NpyFormatException("not a .npy file: bad magic at byte " + i + ", expected \\x93NUMPY" + hint);
      }
    }
    if (size < 8) {
      throw new NpyFormatException("truncated: " + size + " bytes, shorter than the 10-byte preamble");
    }
    int major = f.get(6) & 0xFF;
    int minor = f.get(7) & 0xFF;
    if (major < 1 || major > 3 || minor != 0) {
      throw new NpyFormatException("unsupported .npy format version " + major + "." + minor + " (this reader knows 1.0, 2.0 and 3.0)");
    }
    int lengthBytes = major == 1 ? 2 : 4;
    int headerStart = 8 + lengthBytes;
    if (size < headerStart) {
      throw new NpyFormatException(
          "truncated: " + size + " bytes, shorter than the " + headerStart + "-byte preamble of version " + major + ".0");
    }
    long headerLength = major == 1 ? f.getShort(8) & 0xFFFF : f.getInt(8) & 0xFFFFFFFFL;
    if (headerStart + headerLength > size) {
      throw new NpyFormatException(
          "header length " + headerLength + " (bytes 8.." + (headerStart - 1) + ") runs past the end of the " + size
              + "-byte file (truncated?)");
    }
    String header = decodeHeader(f, headerStart, (int) headerLength, major);
    Object parsed = PyLiteral.parse(header);
    if (!(parsed instanceof Map<?, ?> dict)) {
      throw new NpyFormatException("header is not a dict: " + abbreviate(header));
    }
    for (String key : List.of("descr", "fortran_order", "shape")) {
      if (!dict.containsKey(key)) {
        throw new NpyFormatException("header dict lacks '" + key + "': " + abbreviate(header));
      }
    }
    for (Object key : dict.keySet()) {
      if (!List.of("descr", "fortran_order", "shape").contains(key)) {
        throw new NpyFormatException("header dict has unexpected key '" + key + "'");
      }
    }
    Object descrValue = dict.get("descr");
    if (descrValue instanceof List<?>) {
      throw new NpyFormatException("structured dtype " + abbreviate(String.valueOf(descrValue))
          + " is not supported; save a plain numeric array");
    }
    if (!(descrValue instanceof String descr)) {
      throw new NpyFormatException("'descr' must be a string, got " + descrValue);
    }
    if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
      throw new NpyFormatException("'fortran_order' must be True or False, got " + dict.get("fortran_order"));
    }
    NpyDtype dtype = NpyDtype.parse(descr);
    int[] dims = dims(dict.get("shape"));
    long count = elementCount(dims);
    if (fortran && !sameLayoutInBothOrders(dims)) {
      throw new NpyFormatException(
          "fortran_order is True: column-major arrays are not supported; save np.ascontiguousarray(a) instead");
    }
    long dataStart = headerStart + headerLength;
    long expected = count * dtype.size();
    long present = size - dataStart;
    if (present < expected) {
      throw new NpyFormatException(
          "truncated data: shape " + pyShape(dims) + " " + descr + " needs " + expected + " bytes after the header (byte "
              + dataStart + "), the file holds " + present);
    }
    if (present > expected) {
      throw new NpyFormatException(
          (present - expected) + " unexpected bytes after the data: shape " + pyShape(dims) + " " + descr + " needs "
              + expected + " bytes from byte " + dataStart + ", the file holds " + present);
    }
    ByteBuffer src = f.duplicate();
    src.position((int) dataStart).limit((int) (dataStart + expected));
    src = src.slice().order(dtype.order());
    Conversion c = convert(src, dtype, (int) count);
    Tensor t = Tensor.wrap(dtype.target(), Shape.of(dims), c.data);
    return new NpyArray(t, descr, major + ".0", Optional.ofNullable(c.note));
  }

  /**
   * Writes {@code tensor} as a {@code .npy} file at {@code path}, replacing any file there.
   *
   * @throws IOException if the file cannot be written
   */
  public static void write(Tensor tensor, Path path) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16)) {
      write(tensor, out);
    }
  }

  /** Writes {@code tensor} in {@code .npy} format to {@code out}, which is not closed. */
  public static void write(Tensor tensor, OutputStream out) throws IOException {
    out.write(headerBytes(tensor));
    ByteBuffer data = tensor.buffer();
    byte[] chunk = new byte[Math.min(1 << 16, Math.max(1, data.remaining()))];
    while (data.hasRemaining()) {
      int n = Math.min(chunk.length, data.remaining());
      data.get(chunk, 0, n);
      out.write(chunk, 0, n);
    }
  }

  /** The {@code .npy} bytes of {@code tensor}. */
  public static byte[] toBytes(Tensor tensor) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      write(tensor, out);
    } catch (IOException e) {
      throw new IllegalStateException("in-memory write failed", e);
    }
    return out.toByteArray();
  }

  private static byte[] headerBytes(Tensor tensor) {
    String dict = "{'descr': '" + NpyDtype.descrOf(tensor.dataType()) + "', 'fortran_order': False, 'shape': "
        + pyShape(tensor.shape().dims()) + ", }";
    // Preamble + header + '\n' is padded with spaces to a multiple of 64 (NEP 1, NumPy >= 1.14).
    int preamble = 10;
    int total = align64(preamble + dict.length() + 1);
    if (total - preamble > 0xFFFF) {
      preamble = 12;
      total = align64(preamble + dict.length() + 1);
    }
    int headerLength = total - preamble;
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) (preamble == 10 ? 1 : 2)).put((byte) 0);
    if (preamble == 10) {
      b.putShort((short) headerLength);
    } else {
      b.putInt(headerLength);
    }
    b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
    while (b.position() < total - 1) {
      b.put((byte) ' ');
    }
    b.put((byte) '\n');
    return b.array();
  }

  private static int align64(int n) {
    return (n + 63) & -64;
  }

  private static String decodeHeader(ByteBuffer f, int start, int length, int major) throws NpyFormatException {
    ByteBuffer h = f.duplicate();
    h.position(start).limit(start + length);
    if (major < 3) {
      return StandardCharsets.ISO_8859_1.decode(h).toString();
    }
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(h);
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new NpyFormatException("version 3.0 header is not valid UTF-8 (bytes " + start + ".." + (start + length - 1) + ")");
    }
  }

  private static int[] dims(Object shapeValue) throws NpyFormatException {
    if (!(shapeValue instanceof PyLiteral.Tuple tuple)) {
      throw new NpyFormatException("'shape' must be a tuple of integers, got " + abbreviate(String.valueOf(shapeValue)));
    }
    List<Object> items = tuple.items();
    if (items.size() > MAX_RANK) {
      throw new NpyFormatException("shape has " + items.size() + " dimensions, more than the limit of " + MAX_RANK);
    }
    int[] dims = new int[items.size()];
    for (int i = 0; i < dims.length; i++) {
      if (!(items.get(i) instanceof BigInteger d)) {
        throw new NpyFormatException("'shape' must be a tuple of integers, got " + items.get(i) + " at position " + i);
      }
      if (d.signum() < 0) {
        throw new NpyFormatException("shape dimension " + i + " is negative: " + d);
      }
      if (d.compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
        throw new NpyFormatException("shape dimension " + i + " is " + d + ", more than 2^31-1");
      }
      dims[i] = d.intValue();
    }
    return dims;
  }

  private static long elementCount(int[] dims) throws NpyFormatException {
    long count = 1;
    for (int d : dims) {
      if (d == 0) {
        return 0;
      }
    }
    for (int d : dims) {
      count *= d;
      if (count > Integer.MAX_VALUE) {
        throw new NpyFormatException("shape " + pyShape(dims) + " has more than 2^31-1 elements");
      }
    }
    return count;
  }

  /** True when C order and Fortran order put the elements in the same sequence. */
  private static boolean sameLayoutInBothOrders(int[] dims) {
    int nonTrivial = 0;
    for (int d : dims) {
      if (d == 0) {
        return true;
      }
      if (d > 1) {
        nonTrivial++;
      }
    }
    return nonTrivial <= 1;
  }

  private record Conversion(ByteBuffer data, String note) {}

  private static Conversion convert(ByteBuffer src, NpyDtype dtype, int n) {
    boolean swap = dtype.order() == ByteOrder.BIG_ENDIAN && dtype.size() > 1;
    String swapped = swap ? "byte-swapped from big-endian" : null;
    ByteBuffer out = ByteBuffer.allocate(n * dtype.target().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype.kind() + "" + dtype.size()) {
      case "f8" -> {
        int overflow = 0;
        for (int i = 0; i < n; i++) {
          double d = src.getDouble(8 * i);
          float v = (float) d;
          if (Float.isInfinite(v) && !Double.isInfinite(d)) {
            overflow++;
          }
          out.putFloat(4 * i, v);
        }
        String note = "converted float64 to FLOAT32"
            + (overflow > 0 ? " (" + overflow + " values beyond the float range became infinite)" : "");
        return new Conversion(out, note);
      }
      case "f2" -> {
        for (int i = 0; i < n; i++) {
          out.putFloat(4 * i, Float16.toFloat(src.getShort(2 * i)));
        }
        return new Conversion(out, "widened float16 to FLOAT32");
      }
      case "f4", "i4" -> {
        for (int i = 0; i < n; i++) {
          out.putInt(4 * i, src.getInt(4 * i));
        }
        return new Conversion(out, swapped);
      }
      case "i8" -> {
        for (int i = 0; i < n; i++) {
          out.putLong(8 * i, src.getLong(8 * i));
        }
        return new Conversion(out, swapped);
      }
      case "b1" -> {
        for (int i = 0; i < n; i++) {
          out.put(i, src.get(i) != 0 ? (byte) 1 : (byte) 0);
        }
        return new Conversion(out, null);
      }
      default -> {
        out.put(src.duplicate());
        out.rewind();
        return new Conversion(out, null);
      }
    }
  }

  /** Formats dimensions the way Python prints a shape tuple: {@code ()}, {@code (3,)}, {@code (2, 3)}. */
  static String pyShape(int[] dims) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < dims.length; i++) {
      sb.append(i > 0 ? ", " : "").append(dims[i]);
    }
    return sb.append(dims.length == 1 ? ",)" : ")").toString();
  }

  private static String abbreviate(String s) {
    String t = s.strip();
    return t.length() <= 80 ? t : t.substring(0, 77) + "...";
  }
}
