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
    byte[] stored = new byte[DIGEST_SIZE];
    ByteBuffer d = f.duplicate();
    ((Buffer) d).position((int) (size - TRAILER_SIZE));
    d.get(stored);
    if (verifyDigest) {
      byte[] actual = sha256(f, size - TRAILER_SIZE);
      if (!MessageDigest.isEqual(stored, actual)) {
        throw new ModelFormatException(
            "SHA-256 digest mismatch: the file was corrupted or modified after it was written");
      }
    }
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
