package dev.topiary.internal.ops;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.ModelFormatException;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.quantization.Int8Schemes;
import dev.topiary.quantization.QuantParams;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Map;
import java.util.Random;

/**
 * Helpers for int8 kernel tests: quantized one-node graphs, and the oracle "run the FLOAT32 op on
 * the dequantized inputs and weights, quantize its output, and allow one quantization step".
 */
final class Int8Testing {
  private Int8Testing() {}

  /** Random int8 values in [lo, hi]. */
  static byte[] randomBytes(Random r, int n, int lo, int hi) {
    byte[] a = new byte[n];
    for (int i = 0; i < n; i++) {
      a[i] = (byte) (lo + r.nextInt(hi - lo + 1));
    }
    return a;
  }

  static long[] zps(QuantParams q) {
    long[] z = new long[q.channels()];
    for (int c = 0; c < z.length; c++) {
      z[c] = q.zeroPoint(c);
    }
    return z;
  }

  /** Sets {@code q} on tensor {@code id}. */
  static int quant(GraphBuilder g, int id, QuantParams q) {
    g.quantization(id, q.scales(), zps(q), q.isPerTensor() ? 0 : q.axis());
    return id;
  }

  static int int8Input(GraphBuilder g, String name, Shape s, QuantParams q) {
    return quant(g, g.input(name, DataType.INT8, s), q);
  }

  static int int8Constant(GraphBuilder g, String name, Shape s, byte[] v, QuantParams q) {
    return quant(g, g.constantRaw(name, DataType.INT8, s, ByteBuffer.wrap(v)), q);
  }

  /** An INT32 bias constant with scales {@code xScale × w_scale[c]} (per channel unless w is per tensor). */
  static int int32Bias(GraphBuilder g, String name, int[] b, float xScale, QuantParams w) {
    int id = g.constantInts(name, Shape.of(b.length), b);
    float[] s = Int8Schemes.biasScales(xScale, w);
    g.quantization(id, s, new long[s.length], 0);
    return id;
  }

  /** Adds an INT8 output with parameters {@code q} to {@code node}, marked as graph output. */
  static int int8Output(GraphBuilder g, GraphBuilder.NodeBuilder node, String name, QuantParams q) {
    int y = node.output(name, DataType.INT8, null);
    quant(g, y, q);
    g.output(y);
    return y;
  }

  /** Dequantizes per tensor, or per channel along axis 0 (contiguous blocks). */
  static float[] dequantize(byte[] q, QuantParams p) {
    float[] f = new float[q.length];
    int per = p.isPerTensor() ? Math.max(1, q.length) : q.length / p.channels();
    for (int i = 0; i < q.length; i++) {
      f[i] = p.dequantize(q[i], p.isPerTensor() ? 0 : i / per);
    }
    return f;
  }

  static float[] dequantizeBias(int[] b, float xScale, QuantParams w) {
    float[] s = Int8Schemes.biasScales(xScale, w);
    float[] f = new float[b.length];
    for (int c = 0; c < b.length; c++) {
      f[c] = b[c] * s[s.length == 1 ? 0 : c];
    }
    return f;
  }

  static byte[] quantize(float[] v, QuantParams p) {
    byte[] q = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      q[i] = (byte) p.quantize(v[i], 0, -128, 127);
    }
    return q;
  }

  /** Fails unless every element is within {@code steps} of the expectation, naming the worst. */
  static void assertWithin(String what, byte[] expected, byte[] actual, int steps) {
    assertEquals(what + ": length", expected.length, actual.length);
    int worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      int d = Math.abs(expected[i] - actual[i]);
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    if (worst > steps) {
      fail(what + ": element " + at + " is " + actual[at] + ", expected " + expected[at] + " ± " + steps);
    }
  }

  static Map<String, Tensor> feed(String name, Tensor t) {
    return Collections.singletonMap(name, t);
  }

  /** Runs output "y" of an artifact built by {@code g}. */
  static Tensor run(GraphBuilder g, Map<String, Tensor> in, boolean reference) throws Exception {
    return OpTesting.run(g, in, "y", reference);
  }

  /** Building (which plans the graph) or loading must fail with a message containing {@code part}. */
  static void assertFails(GraphBuilder g, String part) throws Exception {
    try {
      dev.topiary.testing.TestSupport.load(g.build()).close();
      fail("expected a failure containing: " + part);
    } catch (ModelFormatException e) {
      assertTrue("message '" + e.getMessage() + "' lacks '" + part + "'", e.getMessage().contains(part));
    }
  }
}
