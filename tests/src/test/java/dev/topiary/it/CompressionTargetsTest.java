package dev.topiary.it;

import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.npy.Npy;
import dev.topiary.converter.prune.Macs;
import dev.topiary.converter.quantize.QuantizeMode;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Issue #4's measured targets on the project's Fashion-MNIST CNN and MLP (tools/fixtures), with
 * the bounds: int8 ≤ 0.27× the FLOAT32 artifact and ≤ 0.5 pp top-1 drop; fp16 ≤ 0.51× and
 * ≤ 0.1 pp; int8 + 50% unstructured pruning ≤ 0.2× and ≤ 1.0 pp; 25% channel pruning ≥ 20% fewer
 * MACs (its accuracy and latency change printed); automatic mixed precision within a 0.3 pp
 * budget. Accuracy is counted here image by image with plain sessions over the first 1000 test
 * images (the oracle is this loop and the labels, not the converter's own evaluation).
 */
public class CompressionTargetsTest {
  private static Path dir;
  private static Tensor images;
  private static long[] labels;
  private static Tensor calibration;

  @BeforeClass
  public static void fixtures() throws Exception {
    for (Path p = Paths.get("").toAbsolutePath(); p != null && dir == null; p = p.getParent()) {
      Path d = p.resolve("tools/fixtures/fashion-mnist");
      if (Files.isRegularFile(d.resolve("cnn.onnx")) && Files.isRegularFile(d.resolve("test_images.npy"))) {
        dir = d;
      }
    }
    assumeTrue("no Fashion-MNIST fixtures (tools/fixtures/make_fixtures.sh makes them)", dir != null);
    images = Npy.read(dir.resolve("test_images.npy")).tensor();
    labels = Npy.read(dir.resolve("test_labels.npy")).tensor().toLongArray();
    calibration = Npy.read(dir.resolve("calibration_images.npy")).tensor();
  }

  private static ConversionResult convert(String model, ConvertOptions.Builder b) throws Exception {
    return Converter.convert(dir.resolve(model), b.build());
  }

  private static ConvertOptions.Builder int8() {
    return ConvertOptions.builder().quantize(QuantizeMode.INT8).calibration(calibration);
  }

  /** Top-1 accuracy, one image at a time. */
  private static double accuracy(byte[] artifact) throws Exception {
    float[] all = images.toFloatArray();
    int[] d = images.shape().dims();
    int per = all.length / d[0];
    int correct = 0;
    try (Model m = Model.load(ByteBuffer.wrap(artifact)); Session s = m.newSession()) {
      String in = m.inputs().get(0).name();
      String out = m.outputs().get(0).name();
      Shape shape = m.inputs().get(0).shape();
      for (int i = 0; i < labels.length; i++) {
        float[] x = Arrays.copyOfRange(all, i * per, (i + 1) * per);
        float[] y = s.run(Map.of(in, Tensor.ofFloats(shape, x))).get(out).toFloatArray();
        int best = 0;
        for (int k = 1; k < y.length; k++) {
          best = y[k] > y[best] ? k : best;
        }
        correct += best == labels[i] ? 1 : 0;
      }
    }
    return (double) correct / labels.length;
  }

  /** Median batch-1 latency in ms over alternating rounds is not asserted (shared machine), only printed. */
  private static double medianMs(byte[] artifact) throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(artifact));
        Session s = m.newSession(SessionOptions.builder().threads(1).build())) {
      Tensor x = Tensor.ofFloats(m.inputs().get(0).shape(),
          Arrays.copyOf(images.toFloatArray(), m.inputs().get(0).shape().elementCount()));
      Map<String, Tensor> feed = Map.of(m.inputs().get(0).name(), x);
      for (int i = 0; i < 300; i++) {
        s.run(feed);
      }
      long[] t = new long[200];
      for (int i = 0; i < t.length; i++) {
        long t0 = System.nanoTime();
        s.run(feed);
        t[i] = System.nanoTime() - t0;
      }
      Arrays.sort(t);
      return t[t.length / 2] / 1e6;
    }
  }

  private static void check(String model) throws Exception {
    byte[] fp32 = convert(model, ConvertOptions.builder()).artifact();
    double acc32 = accuracy(fp32);
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s: fp32 %,d B %.1f%%", model, fp32.length,
        100 * acc32));
    target(line, "fp16", fp32, acc32, convert(model, ConvertOptions.builder().quantize(QuantizeMode.FP16)).artifact(),
        0.51, 0.1);
    // dynamic range has no bound in the issue; it keeps FLOAT32 biases (0.276x for the CNN)
    target(line, "dynamic", fp32, acc32, convert(model, ConvertOptions.builder().quantize(QuantizeMode.DYNAMIC))
        .artifact(), 0.30, 0.5);
    target(line, "int8", fp32, acc32, convert(model, int8()).artifact(), 0.27, 0.5);
    target(line, "int8 + 50% pruning", fp32, acc32, convert(model, int8().prune(0.5)).artifact(), 0.20, 1.0);
    System.err.println(line);
  }

  private static void target(StringBuilder line, String what, byte[] fp32, double acc32, byte[] q, double sizeBound,
      double dropBoundPp) throws Exception {
    double ratio = (double) q.length / fp32.length;
    double acc = accuracy(q);
    line.append(String.format(Locale.ROOT, "; %s %,d B %.4fx %.1f%%", what, q.length, ratio, 100 * acc));
    assertTrue(what + ": " + q.length + " bytes is " + ratio + "x the FLOAT32 artifact, bound " + sizeBound,
        ratio <= sizeBound);
    assertTrue(what + ": accuracy " + acc + " vs FLOAT32 " + acc32 + ", bound " + dropBoundPp + " pp",
        100 * (acc32 - acc) <= dropBoundPp + 1e-9);
  }

  @Test
  public void cnnMeetsTheSizeAndAccuracyBounds() throws Exception {
    check("cnn.onnx");
  }

  @Test
  public void mlpMeetsTheSizeAndAccuracyBounds() throws Exception {
    check("mlp.onnx");
  }

  @Test
  public void quarterChannelPruningCutsAFifthOfTheMacs() throws Exception {
    for (String model : new String[] {"cnn.onnx", "mlp.onnx"}) {
      byte[] onnx = Files.readAllBytes(dir.resolve(model));
      ConvertOptions dense = ConvertOptions.builder().build();
      ConvertOptions pruned = ConvertOptions.builder().pruneChannels(0.25).pruneCalibration(calibration).build();
      long before = Macs.of(Converter.lowered(onnx, dense));
      long after = Macs.of(Converter.lowered(onnx, pruned));
      byte[] a = Converter.convert(onnx, dense).artifact();
      byte[] b = Converter.convert(onnx, pruned).artifact();
      double ta = medianMs(a);
      double tb = medianMs(b);
      System.err.printf(Locale.ROOT, "%s: 25%% channel pruning: MACs %,d -> %,d (-%.1f%%), accuracy %.1f%% -> %.1f%%,"
          + " batch-1 median %.3f -> %.3f ms (%.2fx, 1 thread, not asserted)%n", model, before, after,
          100.0 * (before - after) / before, 100 * accuracy(a), 100 * accuracy(b), ta, tb, tb / ta);
      assertTrue(model + ": MACs " + before + " -> " + after + " is less than a 20% cut", after <= 0.8 * before);
    }
  }

  @Test
  public void mixedPrecisionMeetsAThreeTenthsPointBudget() throws Exception {
    for (String model : new String[] {"cnn.onnx", "mlp.onnx"}) {
      double acc32 = accuracy(convert(model, ConvertOptions.builder()).artifact());
      byte[] mixed = convert(model, int8().maxAccuracyDrop(0.3, images, labels)).artifact();
      double acc = accuracy(mixed);
      System.err.printf(Locale.ROOT, "%s: mixed precision (0.3 pp budget): %.1f%% -> %.1f%%, %,d B%n", model,
          100 * acc32, 100 * acc, mixed.length);
      assertTrue(model + ": mixed precision accuracy " + acc + " vs " + acc32, 100 * (acc32 - acc) <= 0.3 + 1e-9);
    }
  }
}
