package dev.topiary.converter.quantize;

import static org.junit.Assume.assumeTrue;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.npy.Npy;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/** The repository's Fashion-MNIST fixtures for tests; a test is skipped when they are missing. */
final class FashionMnist {
  private FashionMnist() {}

  static Path dir() {
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path d = p.resolve("tools/fixtures/fashion-mnist");
      if (Files.isRegularFile(d.resolve("cnn.onnx")) && Files.isRegularFile(d.resolve("test_images.npy"))) {
        return d;
      }
    }
    assumeTrue("no Fashion-MNIST fixtures (tools/fixtures/make_fixtures.sh makes them)", false);
    return null;
  }

  static Tensor read(String name) throws Exception {
    return Npy.read(dir().resolve(name)).tensor();
  }

  /** Top-1 accuracy counted image by image with a plain session: the oracle for the tests. */
  static double accuracy(byte[] artifact, Tensor images, long[] labels) throws Exception {
    float[] all = images.toFloatArray();
    int per = 28 * 28;
    int correct = 0;
    try (Model m = Model.load(ByteBuffer.wrap(artifact)); Session s = m.newSession()) {
      String in = m.inputs().get(0).name();
      String out = m.outputs().get(0).name();
      for (int i = 0; i < labels.length; i++) {
        float[] x = new float[per];
        System.arraycopy(all, i * per, x, 0, per);
        float[] y = s.run(Map.of(in, Tensor.ofFloats(Shape.of(1, 1, 28, 28), x))).get(out).toFloatArray();
        int best = 0;
        for (int k = 1; k < y.length; k++) {
          if (y[k] > y[best]) {
            best = k;
          }
        }
        correct += best == labels[i] ? 1 : 0;
      }
    }
    return (double) correct / labels.length;
  }

  /** Whether this runtime can plan {@code artifact} (false until the int8 kernels are merged). */
  static boolean plans(byte[] artifact) {
    try (Model m = Model.load(ByteBuffer.wrap(artifact))) {
      return true;
    } catch (Exception e) {
      System.err.println("cannot plan: " + e.getMessage());
      return false;
    }
  }
}
