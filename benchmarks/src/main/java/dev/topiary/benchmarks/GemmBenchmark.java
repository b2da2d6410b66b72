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
 * FP32 matrix multiply {@code [M,K]·[K,N]} through a one-node MatMul model with a constant B
 * (packed at load), fast kernels against the reference kernels. {@code shape} is {@code MxNxK};
 * {@code kernel} is {@code fast} (C2-vectorised), {@code reference} or {@code vector} (the Vector API
 * kernels: a JDK 21+ build and {@code --add-modules jdk.incubator.vector}, docs/BENCHMARKS.md).
 * {@link Main} prints GFLOP/s and the fast/reference ratio after the JMH table.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GemmBenchmark {
  @Param({"256x256x256", "64x64x64", "512x512x512", "1x1000x1024"})
  public String shape;

  @Param({"fast", "reference"})
  public String kernel;

  @Param({"1"})
  public int threads;

  private LinearModels model;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    int[] d = dims(shape);
    model = LinearModels.gemm(d[0], d[1], d[2], kernel, threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    model.close();
  }

  @Benchmark
  public Object matmul() {
    model.run();
    return model.output();
  }

  /** {@code MxNxK} as {@code {M, N, K}}. */
  static int[] dims(String shape) {
    String[] p = shape.split("x");
    return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
  }

  /** Floating-point operations of one multiply: 2·M·N·K. */
  static double flops(String shape) {
    int[] d = dims(shape);
    return 2.0 * d[0] * d[1] * d[2];
  }
}
