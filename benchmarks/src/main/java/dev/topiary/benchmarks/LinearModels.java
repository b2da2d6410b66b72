package dev.topiary.benchmarks;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.cpu.VectorSupport;
import dev.topiary.internal.plan.Planner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.Map;
import java.util.Random;

/**
 * One-node models for the linear-op benchmarks, run through an ordinary {@link Session} with
 * caller-owned buffers (no allocation per run), loaded with the fast (C2-vectorised) kernels, the
 * Vector API kernels or the reference kernels only.
 */
final class LinearModels implements AutoCloseable {
  private final Model model;
  private final Session session;
  private final Map<String, ByteBuffer> inputs;
  private final Map<String, ByteBuffer> outputs;

  private LinearModels(byte[] artifact, String kernel, int threads) throws Exception {
    Planner.Options o = new Planner.Options();
    if (!kernel.equals("fast") && !kernel.equals("vector") && !kernel.equals("reference") && !kernel.equals("dense")
        && !kernel.equals("sparse")) {
      throw new IllegalArgumentException("kernel must be fast, vector, reference, dense or sparse, got " + kernel);
    }
    o.referenceKernels = kernel.equals("reference");
    // fast: the C2-vectorised kernels; vector: the Vector API kernels (topiary-runtime-vector).
    o.vectorKernels = kernel.equals("vector");
    if (o.vectorKernels && VectorSupport.kernels() == null) {
      throw new IllegalStateException("kernel=vector needs the topiary-runtime-vector classes (a JDK 21+ build of"
          + " benchmarks.jar) and a JVM started with --add-modules jdk.incubator.vector");
    }
    // dense / sparse: the fast kernels with the sparse FullyConnected kernel forced off / on.
    if (kernel.equals("dense")) {
      o.sparseThreshold = 2;
    } else if (kernel.equals("sparse")) {
      o.sparseThreshold = -1;
    }
    this.model = ModelAccess.get().load(ByteBuffer.wrap(artifact), o);
    this.session = model.newSession(SessionOptions.builder().threads(threads).build());
    Shape in = model.inputs().get(0).shape();
    Shape out = model.outputs().get(0).shape();
    ByteBuffer x = ByteBuffer.allocateDirect(in.elementCount() * 4).order(ByteOrder.nativeOrder());
    Random r = new Random(1);
    for (int i = 0; i < in.elementCount(); i++) {
      x.putFloat(i * 4, r.nextFloat() * 2 - 1);
    }
    this.inputs = Collections.singletonMap("x", x);
    this.outputs = Collections.singletonMap("y",
        ByteBuffer.allocateDirect(out.elementCount() * 4).order(ByteOrder.nativeOrder()));
  }

  /** y = x · B with x [m, k] and a constant B [k, n] (MatMul). */
  static LinearModels gemm(int m, int n, int k, String kernel, int threads) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(m, k));
    int b = g.constant("b", Shape.of(k, n), random(k * n));
    g.output(g.node("MatMul", "matmul", x, b).output("y"));
    return new LinearModels(g.build(), kernel, threads);
  }

  /**
   * y = x · wᵀ with x [m, k] and constant weights w [n, k] (FullyConnected, no bias) of which a
   * fraction {@code sparsity} is zero, stored with the sparse encoding.
   */
  static LinearModels fullyConnected(int m, int n, int k, double sparsity, String kernel, int threads)
      throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(m, k));
    float[] w = random(n * k);
    Random r = new Random(3);
    for (int i = 0; i < w.length; i++) {
      if (r.nextDouble() < sparsity) {
        w[i] = 0f;
      }
    }
    int wt = g.constantSparse("w", Shape.of(n, k), w);
    g.output(g.node("FullyConnected", "fc", x, wt).output("y"));
    return new LinearModels(g.build(), kernel, threads);
  }

  /** A Conv2D on x [1, h, w, c] with o outputs, kernel kh×kw, SAME_UPPER padding, bias and RELU. */
  static LinearModels conv(int h, int w, int c, int o, int kh, int kw, int group, String kernel, int threads)
      throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, h, w, c));
    int wt = g.constant("w", Shape.of(o, kh, kw, c / group), random(o * kh * kw * (c / group)));
    int b = g.constant("b", Shape.of(o), random(o));
    g.output(g.node("Conv2D", "conv", x, wt, b).attr("padding", "SAME_UPPER").attr("group", (long) group)
        .attr("activation", "RELU").output("y"));
    return new LinearModels(g.build(), kernel, threads);
  }

  void run() {
    session.run(inputs, outputs);
  }

  ByteBuffer output() {
    return outputs.get("y");
  }

  @Override
  public void close() {
    session.close();
    model.close();
  }

  private static float[] random(int n) {
    Random r = new Random(2);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (r.nextFloat() * 2 - 1) * 0.1f;
    }
    return a;
  }
}
