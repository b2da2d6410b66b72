package dev.topiary.converter.prune;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.npy.Npy;
import dev.topiary.internal.format.Artifact;
import dev.topiary.internal.format.ArtifactReader;
import dev.topiary.internal.format.proto.TensorDesc;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Pruning the project's Fashion-MNIST CNN and MLP ({@code tools/fixtures/fashion-mnist}): artifact
 * sizes with sparse storage, MACs after channel pruning, and accuracy on the 1000 test images run
 * with the runtime. Accuracy after pruning without fine-tuning is reported (stdout); 50% unstructured
 * with fragile layers kept dense (the default) must keep the CNN at 0.65 by magnitude (measured 0.764
 * per layer, 0.756 global) and within 1 pp of the dense model with reconstruction on the
 * calibration images; other settings are only checked against sanity bounds.
 */
public class PruneFashionMnistTest {
  private static final int BATCH = 100;
  private static final double BOUND = 0.65;
  /** Largest accuracy drop of 50% reconstruction pruning against the dense model (the 1 pp). */
  private static final double RECONSTRUCT_DROP = 0.01;
  private static Path dir;
  private static float[] images;
  private static long[] labels;
  private static int count;

  @BeforeClass
  public static void fixtures() throws Exception {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("tools/fixtures/fashion-mnist/cnn.onnx"))) {
      p = p.getParent();
    }
    assumeTrue("no Fashion-MNIST fixtures above " + Path.of("").toAbsolutePath(), p != null);
    dir = p.resolve("tools/fixtures/fashion-mnist");
    Tensor im = Npy.read(dir.resolve("test_images.npy")).tensor();
    images = im.toFloatArray();
    count = im.shape().dims()[0];
    Tensor lb = Npy.read(dir.resolve("test_labels.npy")).tensor();
    labels = lb.toLongArray();
    assertEquals(1000, count);
  }

  private static ConvertOptions.Builder options() {
    return ConvertOptions.builder().inputShape("input", BATCH, 1, 28, 28);
  }

  private static byte[] onnx(String model) throws Exception {
    return Files.readAllBytes(dir.resolve(model + ".onnx"));
  }

  static double accuracy(byte[] artifact) throws Exception {
    int per = 28 * 28;
    int correct = 0;
    try (Model m = Model.load(ByteBuffer.wrap(artifact)); Session s = m.newSession()) {
      for (int b = 0; b < count; b += BATCH) {
        float[] x = Arrays.copyOfRange(images, b * per, (b + BATCH) * per);
        float[] y = s.run(Collections.singletonMap("input", Tensor.ofFloats(Shape.of(BATCH, 1, 28, 28), x)))
            .get("logits").toFloatArray();
        for (int i = 0; i < BATCH; i++) {
          int best = 0;
          for (int c = 1; c < 10; c++) {
            if (y[i * 10 + c] > y[i * 10 + best]) {
              best = c;
            }
          }
          correct += best == labels[b + i] ? 1 : 0;
        }
      }
    }
    return correct / (double) count;
  }

  private static int sparseTensors(byte[] artifact) throws Exception {
    Artifact a = ArtifactReader.read(ByteBuffer.wrap(artifact), true);
    int n = 0;
    for (TensorDesc t : a.header().getGraph().getTensorsList()) {
      n += t.hasSparse() ? 1 : 0;
    }
    return n;
  }

  /** The values of every FullyConnected / Conv2D bias, in order. */
  private static java.util.List<dev.topiary.converter.ir.TensorValue> biases(Graph g) {
    java.util.List<dev.topiary.converter.ir.TensorValue> out = new java.util.ArrayList<>();
    for (int id : g.order()) {
      dev.topiary.converter.ir.Node n = g.node(id);
      if ((n.op().type().equals("FullyConnected") || n.op().type().equals("Conv2D")) && !n.input(2).isNone()) {
        out.add(g.fact(n.input(2)).value());
      }
    }
    return out;
  }

  private static void report(String line) {
    System.out.println("PruneFashionMnistTest: " + line);
  }

  @Test
  public void unstructuredHalfSparsityStoresSmallerArtifacts() throws Exception {
    for (String model : new String[] {"mlp", "cnn"}) {
      ConversionResult dense = Converter.convert(onnx(model), options().build());
      double accDense = accuracy(dense.artifact());
      for (ConvertOptions.PruneScope scope : ConvertOptions.PruneScope.values()) {
        for (boolean all : new boolean[] {false, true}) {
          ConversionResult pruned =
              Converter.convert(onnx(model), options().prune(0.5).pruneScope(scope).pruneAllLayers(all).build());
          int d = dense.artifact().length;
          int s = pruned.artifact().length;
          double accPruned = accuracy(pruned.artifact());
          String overall = "";
          for (String n : pruned.summary().notes()) {
            if (n.startsWith("magnitude pruning (")) {
              overall = n;
            }
          }
          report(String.format(Locale.ROOT, "%s 50%% unstructured (%s%s): artifact %d -> %d bytes (%.1f%%), accuracy"
              + " %.3f -> %.3f; %s", model, scope, all ? ", all layers" : "", d, s, 100.0 * s / d, accDense, accPruned,
              overall));
          assertTrue(model + ": sparse artifact " + s + " should be smaller than dense " + d, s < d);
          assertTrue(model + ": " + s + " bytes should be at most 70% of " + d, s < 0.7 * d);
          assertTrue(sparseTensors(pruned.artifact()) > 0);
          assertEquals(0, sparseTensors(dense.artifact()));
          assertTrue(overall, overall.contains("(50.0% overall"));
          if (all) {
            // Sanity only: pruning every layer collapses the small CNN at 50% (reported above).
            assertTrue(model + " accuracy " + accPruned, accPruned >= (model.equals("mlp") ? 0.5 : 0.05));
          } else {
            assertTrue(model + " accuracy " + accPruned, accPruned >= (model.equals("mlp") ? 0.8 : BOUND));
          }
        }
      }
    }
  }

  @Test
  public void channelPruningQuarterCutsMacsAndStillRuns() throws Exception {
    for (String model : new String[] {"cnn", "mlp"}) {
      for (ConvertOptions.PruneNorm norm : ConvertOptions.PruneNorm.values()) {
        Graph before = Converter.lowered(onnx(model), options().build());
        ConvertOptions o = options().pruneChannels(0.25).pruneNorm(norm).build();
        Graph after = Converter.lowered(onnx(model), o);
        long mb = Macs.of(before);
        long ma = Macs.of(after);
        ConversionResult r = Converter.convert(onnx(model), o);
        double acc = accuracy(r.artifact());
        double accDense = accuracy(Converter.convert(onnx(model), options().build()).artifact());
        report(String.format(Locale.ROOT, "%s 25%% channels (%s): MACs %d -> %d (-%.1f%%), params %d -> %d, artifact"
            + " bytes %d, accuracy %.3f -> %.3f", model, norm, mb, ma, 100.0 * (mb - ma) / mb,
            Converter.convert(onnx(model), options().build()).summary().parameterCount(), r.summary().parameterCount(),
            r.artifact().length, accDense, acc));
        assertTrue(model + ": MACs " + mb + " -> " + ma + " is less than a 20% cut", ma <= 0.8 * mb);
        assertTrue(model + " accuracy " + acc, acc >= (model.equals("mlp") ? 0.5 : 0.1));
      }
    }
  }

  @Test
  public void biasCorrectionWithCalibrationData() throws Exception {
    Tensor calibration = Npy.read(dir.resolve("calibration_images.npy")).tensor();
    for (String model : new String[] {"cnn", "mlp"}) {
      ConvertOptions plainChannels = options().pruneChannels(0.25).build();
      ConvertOptions corrChannels = options().pruneChannels(0.25).pruneCalibration(calibration)
          .pruneMethod(ConvertOptions.PruneMethod.MAGNITUDE).build();
      ConvertOptions plainMagnitude = options().prune(0.5).build();
      ConvertOptions corrMagnitude = options().prune(0.5).pruneCalibration(calibration)
          .pruneMethod(ConvertOptions.PruneMethod.MAGNITUDE).build();
      double a = accuracy(Converter.convert(onnx(model), plainChannels).artifact());
      ConversionResult rc = Converter.convert(onnx(model), corrChannels);
      double b = accuracy(rc.artifact());
      double c = accuracy(Converter.convert(onnx(model), plainMagnitude).artifact());
      double d = accuracy(Converter.convert(onnx(model), corrMagnitude).artifact());
      report(String.format(Locale.ROOT, "%s bias correction (500 calibration images): 25%% channels %.3f -> %.3f,"
          + " 50%% unstructured %.3f -> %.3f", model, a, b, c, d));
      assertTrue(rc.summary().notes().toString(), rc.summary().notes().toString().contains("biases corrected"));
      assertTrue(model + ": corrected biases differ", !biases(Converter.lowered(onnx(model), plainMagnitude))
          .equals(biases(Converter.lowered(onnx(model), corrMagnitude))));
      assertTrue(model + " corrected accuracy " + b, b >= (model.equals("mlp") ? 0.5 : 0.1));
      assertTrue(model + " corrected accuracy " + d, d >= (model.equals("mlp") ? 0.5 : 0.05));
    }
  }

  @Test
  public void channelPruningRefitRecoversAccuracy() throws Exception {
    // 25% of the channels, chosen by re-fit error, the readers re-fitted on the calibration images.
    Tensor calibration = Npy.read(dir.resolve("calibration_images.npy")).tensor();
    for (String model : new String[] {"cnn", "mlp"}) {
      ConvertOptions corrected = options().pruneChannels(0.25).pruneCalibration(calibration)
          .pruneMethod(ConvertOptions.PruneMethod.MAGNITUDE).build();
      ConvertOptions refit = options().pruneChannels(0.25).pruneCalibration(calibration).build();
      long mb = Macs.of(Converter.lowered(onnx(model), options().build()));
      long ma = Macs.of(Converter.lowered(onnx(model), refit));
      double b = accuracy(Converter.convert(onnx(model), corrected).artifact());
      ConversionResult r = Converter.convert(onnx(model), refit);
      double acc = accuracy(r.artifact());
      int refitted = 0;
      for (String n : r.summary().notes()) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("relative output error ([0-9.]+) -> ([0-9.]+)")
            .matcher(n);
        if (n.contains("re-fitted on") && m.find()) {
          refitted++;
          assertTrue(n, Double.parseDouble(m.group(2)) <= Double.parseDouble(m.group(1)));
        }
      }
      report(String.format(Locale.ROOT, "%s 25%% channels re-fitted: MACs -%.1f%%, accuracy %.3f (bias-corrected"
          + " %.3f), %d layers re-fitted", model, 100.0 * (mb - ma) / mb, acc, b, refitted));
      assertTrue(model + ": MACs " + mb + " -> " + ma + " is less than a 20% cut", ma <= 0.8 * mb);
      assertEquals(r.summary().notes().toString(), model.equals("cnn") ? 4 : 2, refitted);
      // Measured (batch 1, 1000 test images): cnn 0.901 (bias-corrected 0.379), mlp 0.884 (0.834); with
      // the channels chosen by filter norm instead the re-fit gave 0.862 and 0.876.
      assertTrue(model + " re-fitted accuracy " + acc, acc >= (model.equals("mlp") ? 0.86 : 0.87));
      assertTrue(model + " re-fitted " + acc + " vs bias-corrected " + b, acc > b);
    }
  }

  @Test
  public void reconstructionKeepsAccuracy() throws Exception {
    Tensor calibration = Npy.read(dir.resolve("calibration_images.npy")).tensor();
    for (String model : new String[] {"cnn", "mlp"}) {
      double dense = accuracy(Converter.convert(onnx(model), options().build()).artifact());
      for (ConvertOptions.PruneScope scope : ConvertOptions.PruneScope.values()) {
        ConversionResult r = Converter.convert(onnx(model),
            options().prune(0.5).pruneScope(scope).pruneCalibration(calibration).build());
        double acc = accuracy(r.artifact());
        String overall = "";
        int layers = 0;
        for (String n : r.summary().notes()) {
          overall = n.startsWith("reconstruction pruning (") ? n : overall;
          layers += n.contains("reconstructed") ? 1 : 0;
        }
        report(String.format(Locale.ROOT, "%s 50%% reconstruction (%s): accuracy %.3f -> %.3f; %s", model, scope,
            dense, acc, overall));
        assertTrue(overall, overall.contains("(50.0% overall"));
        assertTrue(r.summary().notes().toString(), layers > 0);
        // Measured: cnn 0.911 (layer) and 0.906 (global), mlp 0.881 and 0.883 (dense 0.914, 0.880).
        assertTrue(model + " " + scope + " accuracy " + acc + " vs dense " + dense, acc >= dense - RECONSTRUCT_DROP);
      }
    }
  }

  @Test
  public void reconstructionPrunesExactlyTheMagnitudeAllocation() throws Exception {
    Tensor calibration = Npy.read(dir.resolve("calibration_images.npy")).tensor();
    for (boolean all : new boolean[] {false, true}) {
      Graph magnitude = Converter.lowered(onnx("cnn"), options().prune(0.7).pruneAllLayers(all).build());
      ConvertOptions o = options().prune(0.7).pruneAllLayers(all).pruneCalibration(calibration).build();
      java.util.List<Integer> a = zerosPerLayer(magnitude);
      assertEquals(a, zerosPerLayer(Converter.lowered(onnx("cnn"), o)));
      assertTrue(a.toString(), a.stream().mapToInt(Integer::intValue).sum() > 0);
      if (all) {
        // Depthwise convs cannot be reconstructed row by row: they are pruned by magnitude, with a note.
        String notes = Converter.convert(onnx("cnn"), o).summary().notes().toString();
        assertTrue(notes, notes.contains("by magnitude (grouped/depthwise Conv2D)"));
      }
    }
  }

  private static java.util.List<Integer> zerosPerLayer(Graph g) {
    java.util.List<Integer> out = new java.util.ArrayList<>();
    for (int id : g.order()) {
      dev.topiary.converter.ir.Node n = g.node(id);
      if (n.op().type().equals("FullyConnected") || n.op().type().equals("Conv2D")) {
        int z = 0;
        for (float v : g.fact(n.input(1)).value().floats()) {
          z += v == 0f ? 1 : 0;
        }
        out.add(z);
      }
    }
    return out;
  }

  @Test
  public void channelAndMagnitudePruningCombine() throws Exception {
    ConversionResult r = Converter.convert(onnx("cnn"), options().pruneChannels(0.25).prune(0.5).build());
    double acc = accuracy(r.artifact());
    report(String.format(Locale.ROOT, "cnn 25%% channels + 50%% unstructured: artifact %d bytes, accuracy %.3f",
        r.artifact().length, acc));
    assertTrue(acc >= 0.05);
  }
}
