package dev.topiary.converter.quantize;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.Tensor;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import java.util.Set;
import org.junit.Test;

/** fp16, dynamic-range and int8 artifacts of the project's Fashion-MNIST CNN and MLP. */
public class QuantizeFixturesTest {
  private static ConversionResult convert(String model, QuantizeMode mode) throws Exception {
    ConvertOptions.Builder b = ConvertOptions.builder().quantize(mode);
    if (mode == QuantizeMode.INT8) {
      b.calibration(FashionMnist.read("calibration_images.npy"));
    }
    return Converter.convert(FashionMnist.dir().resolve(model), b.build());
  }

  private static void check(String model) throws Exception {
    Tensor images = FashionMnist.read("test_images.npy");
    long[] labels = FashionMnist.read("test_labels.npy").toLongArray();
    byte[] fp32 = convert(model, QuantizeMode.NONE).artifact();
    double acc32 = FashionMnist.accuracy(fp32, images, labels);
    StringBuilder line = new StringBuilder(model + ": fp32 " + fp32.length + " B, acc " + acc32);

    ConversionResult fp16 = convert(model, QuantizeMode.FP16);
    double r16 = (double) fp16.artifact().length / fp32.length;
    double acc16 = FashionMnist.accuracy(fp16.artifact(), images, labels);
    line.append("; fp16 ").append(fp16.artifact().length).append(" B (").append(r16).append("x), acc ").append(acc16);
    assertEquals(fp32.length, fp16.quantization().floatBytes());
    assertTrue("fp16 size ratio " + r16, r16 <= 0.51);
    assertTrue("fp16 accuracy " + acc16 + " vs " + acc32, acc32 - acc16 <= 0.001 + 1e-9);

    ConversionResult dyn = convert(model, QuantizeMode.DYNAMIC);
    double rd = (double) dyn.artifact().length / fp32.length;
    line.append("; dynamic ").append(dyn.artifact().length).append(" B (").append(rd).append("x)");
    assertTrue("dynamic size ratio " + rd, rd <= 0.27);

    ConversionResult int8 = convert(model, QuantizeMode.INT8);
    double r8 = (double) int8.artifact().length / fp32.length;
    line.append("; int8 ").append(int8.artifact().length).append(" B (").append(r8).append("x)");
    assertTrue("int8 size ratio " + r8, r8 <= 0.27);
    System.err.println(line);

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
    check("cnn.onnx");
  }

  @Test
  public void mlp() throws Exception {
    check("mlp.onnx");
  }
}
