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

/** Writes an artifact: preamble, header, aligned data section, SHA-256 trailer. */
public final class ArtifactWriter {
  private ArtifactWriter() {}

  /**
   * Writes a complete artifact. {@code header}'s constants must already carry 64-byte aligned
   * offsets into {@code data}; the data length field is set here.
   */
  public static void write(ModelHeader header, ByteBuffer data, OutputStream out) throws IOException {
    ModelHeader h = header.toBuilder().setDataLength(data.remaining()).build();
    byte[] headerBytes = h.toByteArray();
    if (headerBytes.length > ArtifactFormat.MAX_HEADER_SIZE) {
      throw new IOException("header of " + headerBytes.length + " bytes exceeds the format limit");
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
    pre.putShort((short) minorVersion(h));
    pre.putInt(headerBytes.length);
    dout.write(pre.array());
    dout.write(headerBytes);
    long end = ArtifactFormat.PREAMBLE_SIZE + headerBytes.length;
    dout.write(new byte[(int) (ArtifactFormat.align(end) - end)]);
    ByteBuffer d = data.duplicate();
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
   * The lowest minor version that can express {@code h}: 2 when an int8 linear node's INT32 bias
   * omits its quantization parameters, 1 when a constant is stored sparsely, else 0.
   */
  static int minorVersion(ModelHeader h) {
    List<TensorDesc> ts = h.getGraph().getTensorsList();
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
