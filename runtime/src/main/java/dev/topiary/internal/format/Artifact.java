package dev.topiary.internal.format;

import dev.topiary.internal.format.proto.ModelHeader;
import dev.topiary.internal.format.proto.TensorDesc;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;

/**
 * A parsed, verified artifact: its header and a little-endian view of its data section. Produced
 * only by {@link ArtifactReader}, so every offset and length in the header has been checked against
 * the data section.
 */
public final class Artifact {
  private final int majorVersion;
  private final int minorVersion;
  private final ModelHeader header;
  private final ByteBuffer data;
  private final long fileSize;
  private final int headerSize;
  private final int rawHeaderSize;
  private final boolean headerCompressed;
  private final BitSet scaleCodes;
  private final long dataOffset;
  private final byte[] digest;

  Artifact(
      int majorVersion,
      int minorVersion,
      ModelHeader header,
      ByteBuffer data,
      long fileSize,
      int headerSize,
      int rawHeaderSize,
      boolean headerCompressed,
      BitSet scaleCodes,
      long dataOffset,
      byte[] digest) {
    this.majorVersion = majorVersion;
    this.minorVersion = minorVersion;
    this.header = header;
    this.data = data;
    this.fileSize = fileSize;
    this.headerSize = headerSize;
    this.rawHeaderSize = rawHeaderSize;
    this.headerCompressed = headerCompressed;
    this.scaleCodes = (BitSet) scaleCodes.clone();
    this.dataOffset = dataOffset;
    this.digest = digest;
  }

  public int majorVersion() {
    return majorVersion;
  }

  public int minorVersion() {
    return minorVersion;
  }

  public ModelHeader header() {
    return header;
  }

  /** Total file size in bytes. */
  public long fileSize() {
    return fileSize;
  }

  /** Size of the header as stored in the file (compressed or not), in bytes. */
  public int headerSize() {
    return headerSize;
  }

  /** Size of the header's protobuf encoding (after inflating a compressed header), in bytes. */
  public int rawHeaderSize() {
    return rawHeaderSize;
  }

  /** True when the header is stored DEFLATE-compressed (format 1.3). */
  public boolean headerCompressed() {
    return headerCompressed;
  }

  /**
   * True when tensor {@code index}'s quantization scales are stored as 8-bit logarithmic codes
   * (format 1.3); {@link #header()} holds them decoded either way.
   */
  public boolean scalesStoredAsCodes(int index) {
    return scaleCodes.get(index);
  }

  /** File offset of the data section. */
  public long dataOffset() {
    return dataOffset;
  }

  /** Size of the data section in bytes. */
  public long dataSize() {
    return data.capacity();
  }

  /** The SHA-256 digest stored in the trailer (verified at read time). */
  public byte[] digest() {
    return digest.clone();
  }

  /** Lower-case hex of {@link #digest()}. */
  public String digestHex() {
    StringBuilder sb = new StringBuilder();
    for (byte b : digest) {
      sb.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
    }
    return sb.toString();
  }

  /**
   * A little-endian view of the stored values of constant tensor {@code index}: its bytes as they
   * are in the file (sparse or narrow encodings not decoded).
   */
  public ByteBuffer constantBytes(int index) {
    TensorDesc t = header.getGraph().getTensors(index);
    ByteBuffer b = data.duplicate();
    ((Buffer) b).position((int) t.getDataOffset());
    ((Buffer) b).limit((int) (t.getDataOffset() + t.getDataLength()));
    return b.slice().order(ByteOrder.LITTLE_ENDIAN);
  }
}
