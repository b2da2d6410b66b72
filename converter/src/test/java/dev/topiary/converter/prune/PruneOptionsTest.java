package dev.topiary.converter.prune;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.Test;

/** Argument checks of the pruning options, in the API and on the command line. */
public class PruneOptionsTest {
  private static void expectIae(Runnable r, String message) {
    try {
      r.run();
      fail("expected IllegalArgumentException: " + message);
    } catch (IllegalArgumentException e) {
      assertEquals(message, e.getMessage());
    }
  }

  @Test
  public void builderRejectsFractionsOutsideZeroToOne() {
    expectIae(() -> ConvertOptions.builder().prune(1.0), "prune: sparsity must be in [0, 1), got 1.0");
    expectIae(() -> ConvertOptions.builder().prune(-0.1), "prune: sparsity must be in [0, 1), got -0.1");
    expectIae(() -> ConvertOptions.builder().prune(Double.NaN), "prune: sparsity must be in [0, 1), got NaN");
    expectIae(() -> ConvertOptions.builder().pruneChannels(1.5), "pruneChannels: fraction must be in [0, 1), got 1.5");
    ConvertOptions o = ConvertOptions.builder().prune(0.0).pruneChannels(0.99).build();
    assertEquals(0.0, o.prune(), 0);
    assertEquals(ConvertOptions.PruneScope.LAYER, o.pruneScope());
    assertEquals(ConvertOptions.PruneNorm.L1, o.pruneNorm());
    assertEquals(false, o.pruneAllLayers());
    assertEquals(true, ConvertOptions.builder().pruneAllLayers(true).build().pruneAllLayers());
  }

  private static String[] cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = Main.run(args, o, e);
    }
    return new String[] {String.valueOf(code), err.toString(StandardCharsets.UTF_8)};
  }

  private static void expectUsage(String part, String... args) {
    String[] r = cli(args);
    assertEquals("exit code; stderr " + r[1], String.valueOf(Main.USAGE), r[0]);
    assertEquals("one line: " + r[1], 1, r[1].split("\n", -1).length - 1);
    assertTrue(r[1], r[1].contains(part));
  }

  @Test
  public void cliNamesTheBadArgument() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("prune");
    java.nio.file.Path m = dir.resolve("m.onnx");
    java.nio.file.Files.write(m, new byte[] {8, 7});
    String out = dir.resolve("m.topiary").toString();
    expectUsage("--prune: sparsity must be in [0, 1), got 1", "convert", m.toString(), "-o", out, "--prune", "1");
    expectUsage("--prune: sparsity must be a number in [0, 1), got 'half'", "convert", m.toString(), "-o", out,
        "--prune", "half");
    expectUsage("--prune-channels: fraction must be in [0, 1), got -0.25", "convert", m.toString(), "-o", out,
        "--prune-channels=-0.25");
    expectUsage("--prune-scope: expected layer or global, got 'all'", "convert", m.toString(), "-o", out,
        "--prune-scope", "all");
    expectUsage("--prune-norm: expected l1 or l2, got 'l3'", "convert", m.toString(), "-o", out, "--prune-norm", "l3");
    expectUsage("--prune-method: expected magnitude or reconstruct, got 'obs'", "convert", m.toString(), "-o", out,
        "--prune", "0.5", "--prune-method", "obs");
    expectUsage("--prune-method reconstruct needs calibration data: --prune-calibration X.npy or --calibration X.npy",
        "convert", m.toString(), "-o", out, "--prune", "0.5", "--prune-method", "reconstruct");
    expectUsage("--prune-method applies to --prune SPARSITY and --prune-channels FRACTION", "convert", m.toString(), "-o", out,
        "--prune-method", "magnitude");
  }

  @Test
  public void builderDefaultsToReconstructionWithCalibrationData() {
    dev.topiary.Tensor x = dev.topiary.Tensor.ofFloats(dev.topiary.Shape.of(1, 4), new float[4]);
    assertEquals(ConvertOptions.PruneMethod.MAGNITUDE, ConvertOptions.builder().prune(0.5).build().pruneMethod());
    ConvertOptions o = ConvertOptions.builder().prune(0.5).calibration(x).build();
    assertEquals(ConvertOptions.PruneMethod.RECONSTRUCT, o.pruneMethod());
    assertTrue(o.pruneCalibration() == x);
    assertEquals(null, ConvertOptions.builder().calibration(x).build().pruneCalibration());
    assertEquals(ConvertOptions.PruneMethod.MAGNITUDE, ConvertOptions.builder().prune(0.5).pruneCalibration(x)
        .pruneMethod(ConvertOptions.PruneMethod.MAGNITUDE).build().pruneMethod());
    expectIae(() -> ConvertOptions.builder().prune(0.5).pruneMethod(ConvertOptions.PruneMethod.RECONSTRUCT).build(),
        "pruneMethod RECONSTRUCT needs calibration data (pruneCalibration or calibration)");
  }

  @Test
  public void convertPrunesFromTheCommandLine() throws Exception {
    java.nio.file.Path root = java.nio.file.Path.of("").toAbsolutePath();
    while (root != null && !java.nio.file.Files.isRegularFile(root.resolve("tools/fixtures/fashion-mnist/mlp.onnx"))) {
      root = root.getParent();
    }
    org.junit.Assume.assumeTrue("no Fashion-MNIST fixtures", root != null);
    java.nio.file.Path fx = root.resolve("tools/fixtures/fashion-mnist");
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("prune");
    java.nio.file.Path out = dir.resolve("mlp.topiary");
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code;
    try (PrintStream po = new PrintStream(o, true, StandardCharsets.UTF_8);
        PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8)) {
      code = Main.run(new String[] {"convert", fx.resolve("mlp.onnx").toString(), "-o", out.toString(),
          "--prune", "0.6", "--prune-scope", "global", "--prune-channels", "0.25", "--prune-norm", "l2",
          "--prune-method", "magnitude", "--prune-calibration", fx.resolve("calibration_images.npy").toString()},
          po, pe);
    }
    String text = o.toString(StandardCharsets.UTF_8);
    assertEquals("stderr: " + e, 0, code);
    assertTrue(text, text.contains("channel pruning (l2, 25%): 2 layers pruned, MACs 54,912 -> 40,416 (-26.4%)"));
    assertTrue(text, text.contains("magnitude pruning (global, 60%)"));
    assertTrue(text, text.contains("kept dense (480 weights; --prune-all-layers prunes it)"));
    java.nio.file.Path all = dir.resolve("mlp-all.topiary");
    ByteArrayOutputStream o2 = new ByteArrayOutputStream();
    try (PrintStream po = new PrintStream(o2, true, StandardCharsets.UTF_8);
        PrintStream pe = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
      assertEquals(0, Main.run(new String[] {"convert", fx.resolve("mlp.onnx").toString(), "-o", all.toString(),
          "--prune", "0.5", "--prune-all-layers"}, po, pe));
    }
    String text2 = o2.toString(StandardCharsets.UTF_8);
    assertTrue(text2, text2.contains("3 of 3 weight tensors pruned") && !text2.contains("kept dense"));
    assertTrue(text, text.contains("biases corrected with the mean activations of 500 calibration samples"));
    String[] r = cli("convert", fx.resolve("mlp.onnx").toString(), "-o", dir.resolve("bad.topiary").toString(),
        "--prune", "0.5", "--calibration", fx.resolve("test_labels.npy").toString());
    assertTrue(r[0], !r[0].equals("0"));
    assertEquals("one line: " + r[1], 1, r[1].split("\n", -1).length - 1);
    assertTrue(r[1], r[1].contains("calibration data for pruning: expected at least 1 samples of [1,28,28] FLOAT32"));
    ByteArrayOutputStream o3 = new ByteArrayOutputStream();
    try (PrintStream po = new PrintStream(o3, true, StandardCharsets.UTF_8);
        PrintStream pe = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
      assertEquals(0, Main.run(new String[] {"convert", fx.resolve("mlp.onnx").toString(), "-o",
          dir.resolve("mlp-r.topiary").toString(), "--prune", "0.5", "--calibration",
          fx.resolve("calibration_images.npy").toString()}, po, pe));
    }
    String text3 = o3.toString(StandardCharsets.UTF_8);
    assertTrue(text3, text3.contains("reconstruction pruning (layer, 50%, 500 calibration samples"));
    assertTrue(text3, text3.contains("(50.0% overall"));
    assertTrue(text3, text3.contains("reconstructed"));
    byte[] artifact = java.nio.file.Files.readAllBytes(out);
    // pruned weights stored sparsely (1.1), header compressed (1.3)
    assertEquals("format minor version", 3, artifact[10]);
    try (dev.topiary.Model m = dev.topiary.Model.load(java.nio.ByteBuffer.wrap(artifact))) {
      assertEquals("[1, 10]", java.util.Arrays.toString(m.outputs().get(0).shape().dims()));
    }
  }
}
