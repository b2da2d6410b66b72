package dev.topiary.internal.format;

import static dev.topiary.internal.format.ArtifactFormat.DIGEST_SIZE;
import static dev.topiary.internal.format.ArtifactFormat.END_MARKER;
import static dev.topiary.internal.format.ArtifactFormat.MAGIC;
import static dev.topiary.internal.format.ArtifactFormat.MAJOR_VERSION;
import static dev.topiary.internal.format.ArtifactFormat.MAX_HEADER_SIZE;
import static dev.topiary.internal.format.ArtifactFormat.PREAMBLE_SIZE;
import static dev.topiary.internal.format.ArtifactFormat.TRAILER_SIZE;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.topiary.ModelFormatException;
import dev.topiary.internal.format.proto.ModelHeader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.BitSet;

/**
 * Reads and verifies artifacts. Every check happens before anything is allocated from a size the
 * file claims; every failure is a {@link ModelFormatException} naming the field and byte offset.
 */
public final class ArtifactReader {
  /** What each minor version added, for the message when a file uses more than it declares. */
  private static final String[] FEATURES = {
    "nothing", "sparse (BITMAP) constants", "INT32 biases without quantization parameters",
    "a compressed header, 8-bit scale codes or narrow integer constants"};
  private ArtifactReader() {}

  /**
   * Parses the artifact held in {@code file}'s remaining bytes (a mapped file or a heap buffer).
   *
   * @param verifyDigest check the SHA-256 trailer (turn off only for files verified elsewhere)
   */
  public static Artifact read(ByteBuffer file, boolean verifyDigest) throws ModelFormatException {
    ByteBuffer f = checkFrame(file);
    if (verifyDigest) {
      checkDigest(f);
    }
    return parse(f);
  }

  /**
   * Reads with the SHA-256 trailer checked on another thread while the header is parsed and
   * validated and {@code then} (the planner) runs on the bytes. Either way the caller sees what
   * {@link #read(ByteBuffer, boolean) read(file, true)} followed by {@code then} would give: checks
   * 1–2 of docs/FORMAT.md come first, a digest mismatch is reported in preference to any later
   * failure, and nothing is returned before the digest has matched.
   *
   * <p>Working on bytes not yet verified is safe because nothing after the digest relies on it: the
   * digest is not a signature (whoever edits a file can recompute it), so every later check treats
   * the bytes as hostile and validates each size and offset before use (HostileArtifactTest
   * recomputes the digest of the files it corrupts for that reason). Small files are verified first,
   * on the calling thread, where a thread would cost more than it saves.
   */
  public static <T> T readConcurrently(ByteBuffer file, Continuation<T> then) throws ModelFormatException {
    ByteBuffer f = checkFrame(file);
    if (f.remaining() < CONCURRENT_DIGEST_BYTES) {
      checkDigest(f);
      return then.apply(parse(f));
    }
    ConcurrentDigest digest = ConcurrentDigest.start(f, f.remaining() - TRAILER_SIZE);
    T result;
    try {
      result = then.apply(parse(f));
    } catch (ModelFormatException | RuntimeException | Error e) {
      checkDigest(f, digest.await(), e);
      throw e;
    }
    checkDigest(f, digest.await(), null);
    return result;
  }

  /** Files from this many bytes on are verified concurrently by {@link #readConcurrently}. */
  public static final int CONCURRENT_DIGEST_BYTES = 1 << 20;

  /** What {@link #readConcurrently} does with the parsed artifact (the planner). */
  public interface Continuation<T> {
    T apply(Artifact artifact) throws ModelFormatException;
  }

  /** Checks 1–2 of docs/FORMAT.md (size, magic, version, header length, end marker). */
  private static ByteBuffer checkFrame(ByteBuffer file) throws ModelFormatException {
    ByteBuffer f = file.slice().order(ByteOrder.LITTLE_ENDIAN);
    long size = f.remaining();
    if (size < PREAMBLE_SIZE + TRAILER_SIZE) {
      throw new ModelFormatException(
          "not a Topiary artifact: " + size + " bytes is shorter than the minimum "
              + (PREAMBLE_SIZE + TRAILER_SIZE) + " (truncated?)");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (f.get(i) != MAGIC[i]) {
        throw new ModelFormatException(
            "not a Topiary artifact: bad magic at byte " + i
                + (looksLikeOnnx(f) ? " (this looks like an ONNX model: convert it with 'topiary convert')" : ""));
      }
    }
    int major = f.getShort(8) & 0xFFFF;
    int minor = f.getShort(10) & 0xFFFF;
    if (major != MAJOR_VERSION) {
      throw new ModelFormatException(
          "artifact format version " + major + "." + minor + " is not supported: this runtime reads "
              + MAJOR_VERSION + ".x" + (major > MAJOR_VERSION ? " (upgrade Topiary to read it)" : ""));
    }
    long headerSize = f.getInt(12) & 0xFFFFFFFFL;
    if (headerSize > MAX_HEADER_SIZE) {
      throw new ModelFormatException(
          "header length " + headerSize + " at byte 12 exceeds the limit of " + MAX_HEADER_SIZE + " bytes");
    }
    if (PREAMBLE_SIZE + headerSize + TRAILER_SIZE > size) {
      throw new ModelFormatException(
          "header length " + headerSize + " at byte 12 runs past the end of the " + size
              + "-byte file (truncated?)");
    }
    long dataOffset = ArtifactFormat.align(PREAMBLE_SIZE + headerSize);
    long dataLength = size - TRAILER_SIZE - dataOffset;
    if (dataLength < 0) {
      throw new ModelFormatException(
          "file of " + size + " bytes ends inside the header padding (truncated?)");
    }
    for (int i = 0; i < END_MARKER.length; i++) {
      if (f.get((int) (size - END_MARKER.length + i)) != END_MARKER[i]) {
        throw new ModelFormatException(
            "end marker missing at byte " + (size - END_MARKER.length) + " (truncated or extended file?)");
      }
    }
    return f;
  }

  private static byte[] storedDigest(ByteBuffer f) {
    byte[] stored = new byte[DIGEST_SIZE];
    ByteBuffer d = f.duplicate();
    ((Buffer) d).position(f.remaining() - TRAILER_SIZE);
    d.get(stored);
    return stored;
  }

  private static void checkDigest(ByteBuffer f) throws ModelFormatException {
    checkDigest(f, sha256(f, f.remaining() - TRAILER_SIZE), null);
  }

  /** Throws the digest mismatch, with {@code later} (a failure found meanwhile) suppressed, if any. */
  private static void checkDigest(ByteBuffer f, byte[] actual, Throwable later) throws ModelFormatException {
    if (!MessageDigest.isEqual(storedDigest(f), actual)) {
      ModelFormatException e = new ModelFormatException(
          "SHA-256 digest mismatch: the file was corrupted or modified after it was written");
      if (later != null) {
        e.addSuppressed(later);
      }
      throw e;
    }
  }

  /** Checks 4–5 of docs/FORMAT.md on a file that passed {@link #checkFrame}. */
  private static Artifact parse(ByteBuffer f) throws ModelFormatException {
    long size = f.remaining();
    long headerSize = f.getInt(12) & 0xFFFFFFFFL;
    long dataOffset = ArtifactFormat.align(PREAMBLE_SIZE + headerSize);
    long dataLength = size - TRAILER_SIZE - dataOffset;
    int major = f.getShort(8) & 0xFFFF;
    int minor = f.getShort(10) & 0xFFFF;
    byte[] stored = storedDigest(f);
    for (long i = PREAMBLE_SIZE + headerSize; i < dataOffset; i++) {
      if (f.get((int) i) != 0) {
        throw new ModelFormatException("non-zero header padding at byte " + i);
      }
    }
    ByteBuffer region = f.duplicate();
    ((Buffer) region).position(PREAMBLE_SIZE);
    ((Buffer) region).limit(PREAMBLE_SIZE + (int) headerSize);
    region = region.slice();
    boolean compressed = HeaderCompression.isCompressed(region);
    ByteBuffer protobuf = compressed ? ByteBuffer.wrap(HeaderCompression.inflate(region)) : region;
    int rawHeaderSize = protobuf.remaining();
    String where = compressed
        ? "header (inflated from bytes 16.." + (16 + headerSize) + ")"
        : "header (bytes 16.." + (16 + headerSize) + ")";
    BitSet coded = new BitSet();
    ModelHeader header = CompactScales.expand(parseHeader(protobuf, where), coded);
    if (header.getDataLength() != dataLength) {
      throw new ModelFormatException(
          "header says the data section has " + header.getDataLength() + " bytes but the file holds "
              + dataLength + " (truncated or padded file?)");
    }
    ByteBuffer data = f.duplicate();
    ((Buffer) data).position((int) dataOffset);
    ((Buffer) data).limit((int) (dataOffset + dataLength));
    data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    GraphValidator.validate(header, dataLength);
    int needed = compressed || !coded.isEmpty() ? ArtifactFormat.COMPACT_MINOR_VERSION : ArtifactWriter.minorVersion(header);
    if (minor < needed) {
      // The version is the promise to older readers: a file must declare the features it uses.
      throw new ModelFormatException("artifact declares format " + major + "." + minor + " but uses "
          + FEATURES[needed] + ", which needs format " + major + "." + needed);
    }
    Artifact artifact = new Artifact(
        major, minor, header, data, size, (int) headerSize, rawHeaderSize, compressed, coded, dataOffset, stored);
    GraphValidator.checkSparseData(header, artifact);
    return artifact;
  }

  /**
   * Reads a whole artifact from a stream, refusing to buffer more than {@code maxBytes}.
   *
   * @throws ModelFormatException if the stream holds more than {@code maxBytes} or a bad artifact
   * @throws IOException if reading fails
   */
  public static ByteBuffer readFully(InputStream in, long maxBytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
    byte[] buf = new byte[1 << 16];
    long total = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      total += n;
      if (total > maxBytes) {
        throw new ModelFormatException("model stream exceeds the limit of " + maxBytes + " bytes");
      }
      out.write(buf, 0, n);
    }
    return ByteBuffer.wrap(out.toByteArray());
  }

  /** SHA-256 of the first {@code length} bytes of {@code f}. */
  public static byte[] sha256(ByteBuffer f, long length) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required on every Java platform", e);
    }
    ByteBuffer d = f.duplicate();
    ((Buffer) d).position(0);
    ((Buffer) d).limit((int) length);
    md.update(d);
    return md.digest();
  }

  private static ModelHeader parseHeader(ByteBuffer h, String where) throws ModelFormatException {
    int size = h.remaining();
    try {
      CodedInputStream in = CodedInputStream.newInstance(h);
      in.setSizeLimit(size);
      ModelHeader header = ModelHeader.parseFrom(in, ExtensionRegistryLite.getEmptyRegistry());
      in.checkLastTagWas(0);
      return header;
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFormatException("corrupted " + where + ": " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      throw new ModelFormatException("unreadable " + where + ": " + e, e);
    }
  }

  private static boolean looksLikeOnnx(ByteBuffer f) {
    // ONNX ModelProto usually starts with field 1 (ir_version, varint): tag byte 0x08.
    return f.get(0) == 0x08;
  }
}
