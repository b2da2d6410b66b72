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
 * FullyConnected with pruned weights at batch 1: the compressed-row sparse kernel against the
 * dense fast kernel on the same weights, at several sparsities. Sets the sparse kernel's default
 * threshold (docs/BENCHMARKS.md, "Sparse FullyConnected"). {@code shape} is {@code MxNxK} with
 * weights {@code [N, K]}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SparseFullyConnectedBenchmark {
  @Param({"1x512x512", "1x1000x1024"})
  public String shape;

  @Param({"0.5", "0.7", "0.9"})
  public double sparsity;

  @Param({"dense", "sparse"})
  public String kernel;

  @Param({"1"})
  public int threads;

  private LinearModels model;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    int[] d = GemmBenchmark.dims(shape);
    model = LinearModels.fullyConnected(d[0], d[1], d[2], sparsity, kernel, threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    model.close();
  }

  @Benchmark
  public Object fullyConnected() {
    model.run();
    return model.output();
  }
}
