package dev.topiary.internal.format;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.internal.build.GraphBuilder;
import java.nio.ByteBuffer;
import org.junit.Test;

/**
 * A file must declare (in its minor version) every feature it uses: the version is the promise to
 * older readers. Each case takes a file the writer labelled correctly, lowers its minor version by
 * one, re-signs it, and expects the reader to name the feature and the version it needs.
 */
public class VersionPromiseTest {
  private static byte[] withMinor(byte[] file, int minor) {
    byte[] f = file.clone();
    f[10] = (byte) minor;
    f[11] = 0;
    return HostileArtifactTest.resign(f);
  }

  private static void assertRefused(byte[] file, String message) throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(file))) {
      fail("expected: " + message);
    } catch (ModelFormatException e) {
      assertEquals(message, e.getMessage());
    }
  }

  private static int minor(byte[] file) {
    return file[10] & 0xFF;
  }

  @Test
  public void sparseConstantsNeed11() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4));
    int w = g.constantSparse("w", Shape.of(2, 4), new float[] {0, 0, 0, 1, 0, 0, 2, 0});
    g.output(g.node("FullyConnected", "fc", x, w).output("y"));
    byte[] file = g.compactEncodings(false).build();
    assertEquals(1, minor(file));
    Model.load(ByteBuffer.wrap(file)).close();
    assertRefused(withMinor(file, 0),
        "artifact declares format 1.0 but uses sparse (BITMAP) constants, which needs format 1.1");
  }

  @Test
  public void derivedInt8BiasParametersNeed12() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.INT8, Shape.of(1, 4));
    g.quantization(x, new float[] {0.1f}, new long[] {2}, 0);
    int w = g.constantRaw("w", DataType.INT8, Shape.of(2, 4), ByteBuffer.wrap(new byte[] {1, -2, 3, -4, 5, -6, 7, -8}));
    g.quantization(w, new float[] {0.01f, 0.02f}, new long[2], 0);
    int b = g.constantInts("b", Shape.of(2), new int[] {100, -50});
    int y = g.node("FullyConnected", "fc", x, w, b).output("y", DataType.INT8, null);
    g.quantization(y, new float[] {0.05f}, new long[] {-1}, 0);
    g.output(y);
    byte[] file = g.compactEncodings(false).build();
    assertEquals(2, minor(file));
    Model.load(ByteBuffer.wrap(file)).close();
    assertRefused(withMinor(file, 1), "artifact declares format 1.1 but uses INT32 biases without quantization"
        + " parameters, which needs format 1.2");
  }

  @Test
  public void compactEncodingsNeed13() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(3, 4));
    int idx = g.constantInts("idx", Shape.of(2), new int[] {2, 0});
    g.output(g.node("Gather", "gather", x, idx).output("y"));
    byte[] file = g.build();
    assertEquals(3, minor(file));
    Model.load(ByteBuffer.wrap(file)).close();
    assertRefused(withMinor(file, 2), "artifact declares format 1.2 but uses a compressed header, 8-bit scale codes"
        + " or narrow integer constants, which needs format 1.3");
  }
}
