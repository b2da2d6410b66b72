package dev.topiary.internal.format;

import dev.topiary.internal.format.proto.DataType;
import dev.topiary.internal.format.proto.ModelHeader;
import dev.topiary.internal.format.proto.Node;
import dev.topiary.internal.format.proto.TensorDesc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Writes an artifact: preamble, header, aligned data section, SHA-256 trailer. It stores the model
 * in the most compact exact form the format offers (1.3): integer constants whose values fit fewer
 * bytes are stored narrow, per-channel scales that are representable as 8-bit logarithmic codes are
 * stored as codes, and the header is DEFLATE-compressed when that makes the file smaller (moves the
 * 64-byte aligned data section forward). Weights stay uncompressed and aligned, so the file can
 * still be mapped.
 */
public final class ArtifactWriter {
  private ArtifactWriter() {}

  /**
   * Writes a complete artifact. {@code header}'s constants must already carry 64-byte aligned
   * offsets into {@code data}; the data section is laid out again when a constant is stored narrow,
   * and the data length field is set here.
   */
  public static void write(ModelHeader header, ByteBuffer data, OutputStream out) throws IOException {
    write(header, data, out, true);
  }

  /**
   * Writes a complete artifact, with the compact encodings of format 1.3 where they are smaller
   * when {@code compact} is set, or else exactly as given (for readers older than 1.3).
   */
  public static void write(ModelHeader header, ByteBuffer data, OutputStream out, boolean compact)
      throws IOException {
    ByteBuffer[] narrowed = new ByteBuffer[1];
    ModelHeader narrow = compact ? CompactScales.compact(narrowConstants(header, data, narrowed)) : header;
    ByteBuffer dataOut = narrowed[0] != null ? narrowed[0] : data;
    ModelHeader h = narrow.toBuilder().setDataLength(dataOut.remaining()).build();
    byte[] raw = h.toByteArray();
    byte[] compressed = compact ? HeaderCompression.compress(raw) : null;
    if (compressed != null && ArtifactFormat.align(ArtifactFormat.PREAMBLE_SIZE + compressed.length)
        >= ArtifactFormat.align(ArtifactFormat.PREAMBLE_SIZE + raw.length)) {
      compressed = null; // the data section would start at the same offset: keep the file 1.2-readable
    }
    byte[] headerBytes = compressed != null ? compressed : raw;
    if (raw.length > ArtifactFormat.MAX_HEADER_SIZE || headerBytes.length > ArtifactFormat.MAX_HEADER_SIZE) {
      throw new IOException("header of " + raw.length + " bytes exceeds the format limit");
    }
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required on every Java platform", e);
    }
    DigestOutputStream dout = new DigestOutputStream(out, md);
    ByteBuffer pre = ByteBuffer.allocate(ArtifactFormat.PREAMBLE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    pre.put(ArtifactFormat.MAGIC);
    pre.putShort((short) ArtifactFormat.MAJOR_VERSION);
    pre.putShort((short) (compressed != null ? ArtifactFormat.COMPACT_MINOR_VERSION : minorVersion(h)));
    pre.putInt(headerBytes.length);
    dout.write(pre.array());
    dout.write(headerBytes);
    long end = ArtifactFormat.PREAMBLE_SIZE + headerBytes.length;
    dout.write(new byte[(int) (ArtifactFormat.align(end) - end)]);
    ByteBuffer d = dataOut.duplicate();
    byte[] chunk = new byte[1 << 16];
    while (d.hasRemaining()) {
      int n = Math.min(chunk.length, d.remaining());
      d.get(chunk, 0, n);
      dout.write(chunk, 0, n);
    }
    dout.flush();
    out.write(md.digest());
    out.write(ArtifactFormat.END_MARKER);
    out.flush();
  }

  /**
   * The lowest minor version that can express {@code h} (with an uncompressed header): 3 when some
   * scales are stored as codes or a constant narrow, 2 when an int8 linear node's INT32 bias omits
   * its quantization parameters, 1 when a constant is stored sparsely, else 0.
   */
  static int minorVersion(ModelHeader h) {
    List<TensorDesc> ts = h.getGraph().getTensorsList();
    if (CompactScales.used(h)) {
      return ArtifactFormat.COMPACT_MINOR_VERSION;
    }
    for (TensorDesc t : ts) {
      if (t.getStoredWidth() != 0) {
        return ArtifactFormat.COMPACT_MINOR_VERSION;
      }
    }
    for (Node n : h.getGraph().getNodesList()) {
      String op = n.getOpType();
      if ((op.equals("Conv2D") || op.equals("FullyConnected") || op.equals("MatMul")) && n.getInputsCount() > 2) {
        int x = n.getInputs(0);
        int b = n.getInputs(2);
        if (x >= 0 && x < ts.size() && b >= 0 && b < ts.size() && ts.get(x).getDataType() == DataType.INT8
            && ts.get(b).getDataType() == DataType.INT32 && !ts.get(b).hasQuantization()) {
          return ArtifactFormat.DERIVED_BIAS_MINOR_VERSION;
        }
      }
    }
    for (TensorDesc t : ts) {
      if (GraphValidator.isSparse(t)) {
        return ArtifactFormat.SPARSE_MINOR_VERSION;
      }
    }
    return ArtifactFormat.MINOR_VERSION;
  }

  /**
   * {@code h} with every dense, non-empty INT32/INT64 constant whose values fit 1, 2 or 4 bytes
   * stored at that width; when there is one, {@code dataOut[0]} receives the data section laid out
   * again (each constant at the next 64-byte boundary, in tensor order), else {@code h} is returned.
   */
  private static ModelHeader narrowConstants(ModelHeader h, ByteBuffer data, ByteBuffer[] dataOut) {
    List<TensorDesc> ts = h.getGraph().getTensorsList();
    for (TensorDesc t : ts) {
      long off = t.getDataOffset();
      long len = t.getDataLength();
      if (t.getConstant() && (off < 0 || len < 0 || off > data.remaining() || len > data.remaining() - off)) {
        return h; // a hand-made hostile header (tests): written as given
      }
    }
    int[] width = new int[ts.size()];
    boolean any = false;
    for (int i = 0; i < ts.size(); i++) {
      TensorDesc t = ts.get(i);
      if (!t.getConstant() || !NarrowIntegers.narrowable(t.getDataType()) || t.getStoredWidth() != 0
          || GraphValidator.isSparse(t)) {
        continue;
      }
      int size = Types.byteSize(t.getDataType());
      long count = 1;
      for (long d : t.getShapeList()) {
        count = d < 0 || d > Integer.MAX_VALUE ? -1 : count * d;
        if (count < 0 || count > Integer.MAX_VALUE) {
          count = -1;
          break;
        }
      }
      if (count > 0 && count * size == t.getDataLength()) {
        width[i] = NarrowIntegers.narrowestWidth(constant(data, t), (int) count, size);
        any |= width[i] < size;
      }
    }
    if (!any) {
      return h;
    }
    ByteBuffer[] stored = new ByteBuffer[ts.size()];
    long total = 0;
    for (int i = 0; i < ts.size(); i++) {
      TensorDesc t = ts.get(i);
      if (t.getConstant()) {
        int size = width[i] != 0 ? Types.byteSize(t.getDataType()) : 0;
        stored[i] = width[i] < size
            ? NarrowIntegers.narrow(constant(data, t), (int) (t.getDataLength() / size), size, width[i])
            : constant(data, t);
        total = ArtifactFormat.align(total) + stored[i].remaining();
      }
    }
    ByteBuffer d = ByteBuffer.allocate((int) total);
    dev.topiary.internal.format.proto.Graph.Builder g = h.getGraph().toBuilder();
    long offset = 0;
    for (int i = 0; i < ts.size(); i++) {
      if (stored[i] == null) {
        continue;
      }
      offset = ArtifactFormat.align(offset);
      TensorDesc.Builder t = ts.get(i).toBuilder().setDataOffset(offset).setDataLength(stored[i].remaining());
      if (width[i] != 0 && stored[i].remaining() < ts.get(i).getDataLength()) {
        t.setStoredWidth(width[i]);
      }
      g.setTensors(i, t);
      ((java.nio.Buffer) d).position((int) offset);
      d.put(stored[i].duplicate());
      offset += stored[i].remaining();
    }
    ((java.nio.Buffer) d).position(0);
    dataOut[0] = d;
    return h.toBuilder().setGraph(g).build();
  }

  private static ByteBuffer constant(ByteBuffer data, TensorDesc t) {
    ByteBuffer b = data.duplicate();
    int start = data.position() + (int) t.getDataOffset();
    ((java.nio.Buffer) b).limit(start + (int) t.getDataLength());
    ((java.nio.Buffer) b).position(start);
    return b.slice().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** {@link #write} into a new byte array. */
  public static byte[] toBytes(ModelHeader header, ByteBuffer data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      write(header, data, out);
    } catch (IOException e) {
      throw new IllegalStateException("in-memory write failed", e);
    }
    return out.toByteArray();
  }
}
