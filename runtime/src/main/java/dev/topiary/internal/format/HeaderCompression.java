package dev.topiary.internal.format;

import static dev.topiary.internal.format.ArtifactFormat.COMPRESSED_HEADER_MARKER;
import static dev.topiary.internal.format.ArtifactFormat.COMPRESSED_HEADER_PREFIX;
import static dev.topiary.internal.format.ArtifactFormat.MAX_HEADER_SIZE;
import static dev.topiary.internal.format.ArtifactFormat.PREAMBLE_SIZE;

import dev.topiary.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The compressed header of format 1.3: a {@code 0x00} marker byte (a protobuf encoding never starts
 * with one: field number 0 is invalid), the uncompressed length {@code U} as uint32 little-endian,
 * then a raw DEFLATE stream (RFC 1951, no zlib or gzip wrapper) that inflates to exactly {@code U}
 * bytes. Inflating never produces more than {@code U ≤ MAX_HEADER_SIZE} bytes, and the buffer grows
 * with the output actually produced, so a small hostile file cannot make the reader allocate the
 * declared length up front.
 */
final class HeaderCompression {
  /** First output buffer size; it doubles up to the declared length. */
  private static final int INITIAL_BUFFER = 1 << 12;

  private HeaderCompression() {}

  /** True when the header region {@code h} (position 0 = file offset 16) holds a compressed header. */
  static boolean isCompressed(ByteBuffer h) {
    return h.remaining() > 0 && (h.get(h.position()) & 0xFF) == COMPRESSED_HEADER_MARKER;
  }

  /**
   * {@code header} (a protobuf encoding) in compressed form, or {@code null} when that is not
   * smaller.
   */
  static byte[] compress(byte[] header) {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    try {
      d.setInput(header);
      d.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(header.length / 2 + 64);
      ByteBuffer prefix = ByteBuffer.allocate(COMPRESSED_HEADER_PREFIX).order(ByteOrder.LITTLE_ENDIAN);
      prefix.put((byte) COMPRESSED_HEADER_MARKER).putInt(header.length);
      out.write(prefix.array(), 0, COMPRESSED_HEADER_PREFIX);
      byte[] buf = new byte[1 << 14];
      while (!d.finished()) {
        int n = d.deflate(buf);
        out.write(buf, 0, n);
        if (out.size() >= header.length) {
          return null;
        }
      }
      return out.toByteArray();
    } finally {
      d.end();
    }
  }

  /**
   * Inflates the compressed header held in {@code h}'s remaining bytes (file offsets from 16).
   *
   * @throws ModelFormatException if the declared length is over the limit, the stream is corrupt or
   *     truncated, inflates to more or fewer bytes than declared, or is followed by other bytes
   */
  static byte[] inflate(ByteBuffer h) throws ModelFormatException {
    int stored = h.remaining();
    int end = PREAMBLE_SIZE + stored;
    if (stored < COMPRESSED_HEADER_PREFIX) {
      throw new ModelFormatException(
          "compressed header (bytes 16.." + end + ") is shorter than its " + COMPRESSED_HEADER_PREFIX
              + "-byte prefix");
    }
    long declared = h.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(h.position() + 1) & 0xFFFFFFFFL;
    if (declared > MAX_HEADER_SIZE) {
      throw new ModelFormatException(
          "compressed header declares " + declared + " uncompressed bytes at byte 17, over the limit of "
              + MAX_HEADER_SIZE);
    }
    byte[] in = new byte[stored - COMPRESSED_HEADER_PREFIX];
    ByteBuffer src = h.duplicate();
    ((Buffer) src).position(h.position() + COMPRESSED_HEADER_PREFIX);
    src.get(in);
    int u = (int) declared;
    byte[] out = new byte[Math.min(u, Math.max(INITIAL_BUFFER, 4 * in.length))];
    int produced = 0;
    Inflater inf = new Inflater(true);
    try {
      inf.setInput(in);
      while (!inf.finished()) {
        if (produced == out.length) {
          if (produced == u) {
            // Output full: the stream must end here; one more byte proves it inflates to more.
            if (inf.inflate(new byte[1]) > 0) {
              throw new ModelFormatException(
                  "compressed header inflates to more than the declared " + u + " bytes");
            }
            if (inf.finished()) {
              break;
            }
            throw truncatedOrStuck(inf, u, produced);
          }
          out = Arrays.copyOf(out, (int) Math.min(u, 2L * out.length));
        }
        int n = inf.inflate(out, produced, out.length - produced);
        produced += n;
        if (n == 0 && !inf.finished()) {
          throw truncatedOrStuck(inf, u, produced);
        }
      }
      if (produced != u) {
        throw new ModelFormatException(
            "compressed header inflates to " + produced + " bytes but declares " + u);
      }
      if (inf.getRemaining() > 0) {
        throw new ModelFormatException(
            inf.getRemaining() + " bytes of trailing data after the compressed header's DEFLATE stream");
      }
      return out;
    } catch (DataFormatException e) {
      throw new ModelFormatException("corrupted compressed header (bytes 16.." + end + "): " + e.getMessage(), e);
    } finally {
      inf.end();
    }
  }

  /** The error for an inflater that made no progress: out of input, or (defensively) stuck. */
  private static ModelFormatException truncatedOrStuck(Inflater inf, int declared, int produced) {
    if (inf.needsInput()) {
      return new ModelFormatException(
          "compressed header's DEFLATE stream is truncated after " + produced + " of " + declared + " bytes");
    }
    return new ModelFormatException("compressed header's DEFLATE stream "
        + (inf.needsDictionary() ? "asks for a preset dictionary" : "makes no progress") + " after "
        + produced + " of " + declared + " bytes");
  }
}
