package dev.topiary.converter.quantize;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.Tensor;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.internal.format.Artifact;
import dev.topiary.internal.format.ArtifactReader;
import java.nio.ByteBuffer;
import org.junit.Test;

/** fp16, dynamic-range and int8 artifacts of the project's Fashion-MNIST CNN and MLP. */
public class QuantizeFixturesTest {
  private static ConversionResult convert(String model, QuantizeMode mode) throws Exception {
    return convert(model, mode, 0);
  }

  private static ConversionResult convert(String model, QuantizeMode mode, double prune) throws Exception {
    ConvertOptions.Builder b = ConvertOptions.builder().quantize(mode);
    if (prune > 0) {
      b.prune(prune);
    }
    if (mode == QuantizeMode.INT8) {
      b.calibration(FashionMnist.read("calibration_images.npy"));
    }
    return Converter.convert(FashionMnist.dir().resolve(model), b.build());
  }

  /** Bytes of the data section (the weights) of an artifact. */
  static long dataBytes(byte[] artifact) throws Exception {
    return ArtifactReader.read(ByteBuffer.wrap(artifact), true).dataSize();
  }

  /**
   * Checks the size of {@code q} against {@code fp32}: the weights (data section) at most
   * {@code bound} times the float weights, and the whole file at most {@code fileBound} times the
   * float file (for a model as small as the CNN, 31k parameters, the header, 0.9 KB compressed in
   * FLOAT32 and 1.7 KB with int8's per-channel weight scale codes, is a visible part of the file).
   */
  private static String checkSize(String what, byte[] fp32, byte[] q, double bound, double fileBound) throws Exception {
    double data = (double) dataBytes(q) / dataBytes(fp32);
    double file = (double) q.length / fp32.length;
    assertTrue(what + " weight bytes ratio " + data, data <= bound);
    assertTrue(what + " size ratio " + file, file <= fileBound);
    return String.format(java.util.Locale.ROOT, "%s %d B (%.4fx file, %.4fx weights)", what, q.length, file, data);
  }

  /**
   * @param dynamicFile bound of the dynamic-range file against the fp32 file
   * @param int8File bound of the int8 file against the fp32 file
   * @param prunedFile bound of the {@code --prune 0.5 --quantize int8} file against the fp32 file
   * @param prunedDrop largest accuracy drop of that artifact against fp32
   */
  private static void check(String model, double dynamicFile, double int8File, double prunedFile, double prunedDrop)
      throws Exception {
    Tensor images = FashionMnist.read("test_images.npy");
    long[] labels = FashionMnist.read("test_labels.npy").toLongArray();
    byte[] fp32 = convert(model, QuantizeMode.NONE).artifact();
    double acc32 = FashionMnist.accuracy(fp32, images, labels);
    StringBuilder line = new StringBuilder(model + ": fp32 " + fp32.length + " B, acc " + acc32);

    ConversionResult fp16 = convert(model, QuantizeMode.FP16);
    double acc16 = FashionMnist.accuracy(fp16.artifact(), images, labels);
    line.append("; ").append(checkSize("fp16", fp32, fp16.artifact(), 0.51, 0.51)).append(", acc ").append(acc16);
    assertEquals(fp32.length, fp16.quantization().floatBytes());
    assertTrue("fp16 accuracy " + acc16 + " vs " + acc32, acc32 - acc16 <= 0.001 + 1e-9);

    ConversionResult dyn = convert(model, QuantizeMode.DYNAMIC);
    line.append("; ").append(checkSize("dynamic", fp32, dyn.artifact(), 0.27, dynamicFile));

    ConversionResult int8 = convert(model, QuantizeMode.INT8);
    line.append("; ").append(checkSize("int8", fp32, int8.artifact(), 0.27, int8File));
    // INT32 biases omit their derived parameters (format 1.2) and are stored in 16 bits, the weight
    // scales as 8-bit codes and the header compressed (format 1.3)
    Artifact a8 = ArtifactReader.read(ByteBuffer.wrap(int8.artifact()), true);
    assertEquals(3, a8.minorVersion());
    assertTrue(a8.headerCompressed());

    ConversionResult pruned = convert(model, QuantizeMode.INT8, 0.5);
    line.append("; ").append(checkSize("prune 0.5 + int8", fp32, pruned.artifact(), prunedFile, prunedFile));
    double accPruned = FashionMnist.accuracy(pruned.artifact(), images, labels);
    line.append(", acc ").append(accPruned);
    System.err.println(line);
    assertTrue("prune 0.5 + int8 accuracy " + accPruned + " vs " + acc32, acc32 - accPruned <= prunedDrop + 1e-9);

    boolean dynRuns = FashionMnist.plans(dyn.artifact());
    boolean int8Runs = FashionMnist.plans(int8.artifact());
    if (dynRuns) {
      double a = FashionMnist.accuracy(dyn.artifact(), images, labels);
      System.err.println(model + ": dynamic acc " + a);
      assertTrue("dynamic accuracy " + a + " vs " + acc32, acc32 - a <= 0.005 + 1e-9);
    }
    if (int8Runs) {
      double a = FashionMnist.accuracy(int8.artifact(), images, labels);
      System.err.println(model + ": int8 acc " + a);
      assertTrue("int8 accuracy " + a + " vs " + acc32, acc32 - a <= 0.005 + 1e-9);
    }
    assumeTrue("the runtime has no dynamic-range / int8 kernels yet (branch int8-runtime)", dynRuns && int8Runs);
  }

  @Test
  public void cnn() throws Exception {
    // the bounds: int8 <= 0.27x (0.2675x measured, with the compact encodings of format
    // 1.3), fp16 <= 0.51x (0.504x), prune 0.5 + int8 <= 0.20x (0.175x) with <= 1 pp accuracy drop:
    // pruning with the calibration data reconstructs each layer by least squares (plain magnitude
    // pruning lost ~15 pp on this CNN). Dynamic keeps the 2.3 KB of FLOAT32 biases (0.276x; the
    // issue sets it no bound)
    check("cnn.onnx", 0.28, 0.27, 0.20, 0.01);
  }

  @Test
  public void mlp() throws Exception {
    // the bounds: int8 <= 0.27x, prune 0.5 + int8 <= 0.2x with <= 1 pp accuracy drop
    check("mlp.onnx", 0.27, 0.27, 0.20, 0.01);
  }
}
