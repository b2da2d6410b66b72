package dev.topiary.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Conv2D layers typical of mobile CNNs through a one-node model (SAME padding, stride 1, bias,
 * RELU), fast kernels against the reference kernel:
 * <ul>
 *   <li>{@code conv3x3}: 3×3, 56×56×64 → 64 (im2col GEMM);
 *   <li>{@code conv1x1}: 1×1, 56×56×64 → 128 (GEMM on the input in place);
 *   <li>{@code dw3x3}: depthwise 3×3, 112×112×32 (depthwise kernel);
 *   <li>{@code project1x1}: 1×1, 56×56×144 → 24, a MobileNetV2 projection (narrow output).
 * </ul>
 * {@code kernel}: {@code fast} (C2-vectorised), {@code reference}, and {@code vector} (the Vector API
 * kernels: a JDK 21+ build and {@code --add-modules jdk.incubator.vector}, docs/BENCHMARKS.md).
 * {@link Main} prints GFLOP/s and the fast/reference ratio after the JMH table.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ConvBenchmark {
  @Param({"conv3x3", "conv1x1", "dw3x3", "project1x1"})
  public String layer;

  @Param({"fast", "reference"})
  public String kernel;

  @Param({"1"})
  public int threads;

  private LinearModels model;

  /** {h, w, c, o, kh, kw, group} of each layer. */
  static int[] geometry(String layer) {
    switch (layer) {
      case "conv3x3":
        return new int[] {56, 56, 64, 64, 3, 3, 1};
      case "conv1x1":
        return new int[] {56, 56, 64, 128, 1, 1, 1};
      case "dw3x3":
        return new int[] {112, 112, 32, 32, 3, 3, 32};
      case "project1x1":
        return new int[] {56, 56, 144, 24, 1, 1, 1};
      default:
        throw new IllegalArgumentException("unknown layer " + layer);
    }
  }

  /** Floating-point operations of one run (multiply-adds × 2; stride 1, SAME: output = input size). */
  static double flops(String layer) {
    int[] g = geometry(layer);
    return 2.0 * g[0] * g[1] * g[3] * g[4] * g[5] * (g[2] / g[6]);
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    int[] g = geometry(layer);
    model = LinearModels.conv(g[0], g[1], g[2], g[3], g[4], g[5], g[6], kernel, threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    model.close();
  }

  @Benchmark
  public Object conv() {
    model.run();
    return model.output();
  }
}
