package dev.topiary.benchmarks;

import dev.topiary.internal.cpu.Gemm;
import java.util.Random;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The GEMM engine alone, single thread: {@code C = A·B} with B packed, every tile computed on the
 * calling thread, no session and no input/output copies. This is the micro-kernel's own speed;
 * {@link GemmBenchmark} measures what a model sees.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GemmEngineBenchmark {
  @Param({"256x256x256", "64x64x64", "512x512x512"})
  public String shape;

  private Gemm gemm;
  private float[] a;
  private float[] c;
  private float[] scratch;

  @Setup(Level.Trial)
  public void setUp() {
    int[] d = GemmBenchmark.dims(shape);
    int m = d[0];
    int n = d[1];
    int k = d[2];
    Random r = new Random(3);
    a = new float[m * k];
    float[] b = new float[k * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextFloat() * 2 - 1;
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = r.nextFloat() * 2 - 1;
    }
    gemm = new Gemm(m, n, k, Gemm.Packed.ofRowMajor(b, 0, n, k, n), null, Gemm.Act.NONE, 0, 0);
    c = new float[m * n];
    scratch = new float[Gemm.SCRATCH];
  }

  @Benchmark
  public float[] gemm() {
    int m = gemm.m();
    int n = gemm.n();
    int k = gemm.k();
    int rows = 64;
    for (int p = 0; p < gemm.panels(); p++) {
      for (int i0 = 0; i0 < m; i0 += rows) {
        gemm.compute(scratch, a, i0 * k, k, null, 0, 0, c, i0 * n, n, Math.min(rows, m - i0), p);
      }
    }
    return c;
  }
}
