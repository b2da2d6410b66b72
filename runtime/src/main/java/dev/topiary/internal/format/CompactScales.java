package dev.topiary.internal.format;

import com.google.protobuf.ByteString;
import dev.topiary.ModelFormatException;
import dev.topiary.internal.format.proto.Graph;
import dev.topiary.internal.format.proto.ModelHeader;
import dev.topiary.internal.format.proto.Quantization;
import dev.topiary.internal.format.proto.ScaleCodes;
import dev.topiary.internal.format.proto.TensorDesc;
import dev.topiary.quantization.LogScales;
import java.util.BitSet;

/**
 * Quantization scales stored as 8-bit logarithmic codes ({@code Quantization.scale_codes}, format
 * 1.3; the decoding is {@link LogScales#decode}). The writer replaces a list of several scales by
 * codes exactly when every scale is representable relative to the largest, so the encoding is
 * lossless; the reader expands the codes back into {@code scale} and drops them, so everything
 * after it sees ordinary scales.
 */
final class CompactScales {
  private CompactScales() {}

  /** True when some tensor of {@code h} stores its scales as codes. */
  static boolean used(ModelHeader h) {
    for (TensorDesc t : h.getGraph().getTensorsList()) {
      if (t.hasQuantization() && t.getQuantization().hasScaleCodes()) {
        return true;
      }
    }
    return false;
  }

  /** {@code h} with every list of two or more exactly representable scales stored as codes. */
  static ModelHeader compact(ModelHeader h) {
    Graph g = h.getGraph();
    Graph.Builder out = null;
    for (int i = 0; i < g.getTensorsCount(); i++) {
      TensorDesc t = g.getTensors(i);
      Quantization q = t.getQuantization();
      if (!t.hasQuantization() || q.hasScaleCodes() || q.getScaleCount() < 2) {
        continue;
      }
      byte[] codes = codes(q);
      if (codes == null) {
        continue;
      }
      if (out == null) {
        out = g.toBuilder();
      }
      float max = q.getScale(0);
      for (float s : q.getScaleList()) {
        max = Math.max(max, s);
      }
      out.setTensors(i, t.toBuilder().setQuantization(q.toBuilder().clearScale()
          .setScaleCodes(ScaleCodes.newBuilder().setMax(max).setCodes(ByteString.copyFrom(codes)))));
    }
    return out == null ? h : h.toBuilder().setGraph(out).build();
  }

  /** The code of each scale, or {@code null} when one of them has none. */
  private static byte[] codes(Quantization q) {
    float max = q.getScale(0);
    for (float s : q.getScaleList()) {
      if (!(s > 0) || Float.isInfinite(s)) {
        return null;
      }
      max = Math.max(max, s);
    }
    byte[] codes = new byte[q.getScaleCount()];
    for (int c = 0; c < codes.length; c++) {
      int k = LogScales.code(max, q.getScale(c));
      if (k < 0) {
        return null;
      }
      codes[c] = (byte) k;
    }
    return codes;
  }

  /**
   * {@code h} with every tensor's scale codes decoded into {@code scale} and removed; the indices of
   * those tensors are set in {@code coded}, so tools can tell how the scales were stored.
   *
   * @throws ModelFormatException if a tensor has both scales and codes, no codes, or a largest
   *     scale that is not finite and positive
   */
  static ModelHeader expand(ModelHeader h, BitSet coded) throws ModelFormatException {
    if (!used(h)) {
      return h;
    }
    Graph g = h.getGraph();
    Graph.Builder out = g.toBuilder();
    for (int i = 0; i < g.getTensorsCount(); i++) {
      TensorDesc t = g.getTensors(i);
      if (!t.hasQuantization() || !t.getQuantization().hasScaleCodes()) {
        continue;
      }
      String where = "tensor " + i + " '" + t.getName() + "'";
      Quantization q = t.getQuantization();
      ScaleCodes sc = q.getScaleCodes();
      if (q.getScaleCount() != 0) {
        throw new ModelFormatException(where + ": has both " + q.getScaleCount() + " scales and scale codes");
      }
      if (sc.getCodes().isEmpty()) {
        throw new ModelFormatException(where + ": scale codes without codes");
      }
      float max = sc.getMax();
      if (!(max > 0) || Float.isInfinite(max)) {
        throw new ModelFormatException(where + ": largest scale of the scale codes is " + max
            + " (must be finite and > 0)");
      }
      Quantization.Builder qb = q.toBuilder().clearScaleCodes();
      ByteString codes = sc.getCodes();
      for (int c = 0; c < codes.size(); c++) {
        // Every byte is a valid code (0..255); a decoded scale that underflows to 0 is rejected
        // with the other scales by GraphValidator.
        qb.addScale(LogScales.decode(max, codes.byteAt(c) & 0xFF));
      }
      out.setTensors(i, t.toBuilder().setQuantization(qb));
      coded.set(i);
    }
    return h.toBuilder().setGraph(out).build();
  }
}
