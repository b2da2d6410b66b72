package dev.topiary.internal.format;

/**
 * Byte layout constants of the {@code .topiary} artifact, version 1. The layout, byte by byte, is in
 * {@code docs/FORMAT.md}:
 *
 * <pre>
 *  offset  size  field
 *  0       8     magic 89 54 50 59 0D 0A 1A 0A  ("\x89TPY\r\n\x1A\n")
 *  8       2     major version, uint16 little-endian (1)
 *  10      2     minor version, uint16 little-endian (0 to 3)
 *  12      4     header length H, uint32 little-endian
 *  16      H     header: protobuf ModelHeader (topiary_artifact.proto), or since 1.3 a 0x00 byte,
 *                the uncompressed length U (uint32 little-endian) and a raw DEFLATE stream of it
 *  16+H    p     zero padding up to the next multiple of 64 = D (the data offset)
 *  D       L     data section, L = header.data_length; every constant starts at a multiple of 64
 *  D+L     32    SHA-256 of bytes [0, D+L)
 *  D+L+32  8     end marker 54 50 59 45 4E 44 00 00  ("TPYEND\0\0")
 * </pre>
 */
public final class ArtifactFormat {
  /** File magic: a high byte and CR/LF/SUB catch text-mode transfers, like PNG's. */
  public static final byte[] MAGIC = {(byte) 0x89, 'T', 'P', 'Y', '\r', '\n', 0x1A, '\n'};
  /** End marker after the digest. */
  public static final byte[] END_MARKER = {'T', 'P', 'Y', 'E', 'N', 'D', 0, 0};
  /** Major version this runtime reads and writes; a reader refuses any other major version. */
  public static final int MAJOR_VERSION = 1;
  /** Minor version of artifacts that use nothing newer than 1.0; writers write the lowest version that fits. */
  public static final int MINOR_VERSION = 0;
  /** Minor version that added sparse constants ({@code TensorDesc.sparse}); written only when one is present. */
  public static final int SPARSE_MINOR_VERSION = 1;
  /**
   * Minor version that lets the INT32 bias of an int8 Conv2D/FullyConnected/MatMul omit its
   * quantization parameters (derived as {@code input_scale × weight_scale[c]}, zero point 0); written
   * only when such a bias is present.
   */
  public static final int DERIVED_BIAS_MINOR_VERSION = 2;
  /**
   * Minor version that added the compact encodings: a DEFLATE-compressed header, scales stored as
   * 8-bit logarithmic codes ({@code Quantization.scale_codes}) and narrow integer constants
   * ({@code TensorDesc.stored_width}); written only when one of them is used.
   */
  public static final int COMPACT_MINOR_VERSION = 3;
  /** Newest minor version whose additions this runtime understands. */
  public static final int LATEST_MINOR_VERSION = COMPACT_MINOR_VERSION;
  /** Bytes before the header. */
  public static final int PREAMBLE_SIZE = 16;
  /** Alignment of the data section and of every constant inside it. */
  public static final int ALIGNMENT = 64;
  /** SHA-256 digest length. */
  public static final int DIGEST_SIZE = 32;
  /** Digest plus end marker. */
  public static final int TRAILER_SIZE = DIGEST_SIZE + 8;
  /** Largest header a reader accepts (64 MiB): far above any real graph, well below memory limits. */
  public static final int MAX_HEADER_SIZE = 64 << 20;
  /** First byte of a compressed header (format 1.3); a protobuf encoding never starts with it. */
  public static final int COMPRESSED_HEADER_MARKER = 0x00;
  /** Marker byte plus the uncompressed length (uint32) before a compressed header's DEFLATE stream. */
  public static final int COMPRESSED_HEADER_PREFIX = 5;
  /** Largest artifact the runtime maps or reads: one ByteBuffer holds it. */
  public static final long MAX_FILE_SIZE = Integer.MAX_VALUE - 8;

  private ArtifactFormat() {}

  /** Rounds {@code n} up to a multiple of {@link #ALIGNMENT}. */
  public static long align(long n) {
    return (n + ALIGNMENT - 1) & -ALIGNMENT;
  }
}
