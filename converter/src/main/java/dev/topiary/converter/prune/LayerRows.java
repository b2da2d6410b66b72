package dev.topiary.converter.prune;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.ShapeRules;

/**
 * The rows a linear layer (FullyConnected, MatMul with constant rank-2 B, ungrouped Conv2D)
 * multiplies by its weights, for {@link Reconstruction}: {@code perBatch} rows of {@code depth}
 * values per calibration batch, and the conversion between the stored weight layout and rows
 * {@code [w_j, b_j]} per output {@code j}.
 */
final class LayerRows {
  String unsupported;
  int depth;
  int outputs;
  int perBatch;
  private boolean conv;
  private boolean matmul;
  private int h;
  private int w;
  private int c;
  private int kh;
  private int kw;
  private int oh;
  private int ow;
  private int sh;
  private int sw;
  private int dh;
  private int dw;
  private int top;
  private int left;

  static LayerRows of(Graph g, Node n) throws ConversionException {
    LayerRows r = new LayerRows();
    int[] x = g.fact(n.input(0)).shape();
    int[] ws = g.fact(n.input(1)).shape();
    switch (n.op().type()) {
      case "Conv2D": {
        if (n.op().attrs().i("group", 1) != 1) {
          r.unsupported = "grouped/depthwise Conv2D";
          return r;
        }
        r.conv = true;
        r.h = x[1];
        r.w = x[2];
        r.c = x[3];
        r.outputs = ws[0];
        r.kh = ws[1];
        r.kw = ws[2];
        r.depth = ws[1] * ws[2] * ws[3];
        int[] out = n.fact(0).shape();
        r.oh = out[1];
        r.ow = out[2];
        int[] s = pair(n.op().attrs().ints("strides"));
        int[] d = pair(n.op().attrs().ints("dilations"));
        r.sh = s[0];
        r.sw = s[1];
        r.dh = d[0];
        r.dw = d[1];
        long[] pads = ShapeRules.resolvePads(n.op().attrs().s("padding", "EXPLICIT"), new int[] {x[1], x[2]},
            new int[] {r.kh, r.kw}, s, d, n.op().attrs().ints("pads"));
        r.top = (int) pads[0];
        r.left = (int) pads[1];
        r.perBatch = x[0] * r.oh * r.ow;
        return r;
      }
      case "MatMul":
        if (ws.length != 2) {
          r.unsupported = "MatMul with B of rank " + ws.length;
          return r;
        }
        r.matmul = true;
        r.depth = ws[0];
        r.outputs = ws[1];
        break;
      default:
        r.depth = ws[1];
        r.outputs = ws[0];
        break;
    }
    long count = 1;
    for (int d : x) {
      count *= d;
    }
    r.perBatch = (int) (count / Math.max(1, r.depth));
    return r;
  }

  /** The number of input positions a row reads per tap (the input channels of a conv, else {@code depth}). */
  int inputWidth() {
    return conv ? c : depth;
  }

  private static int[] pair(long[] v) {
    return v == null ? new int[] {1, 1} : new int[] {(int) v[0], (int) v[1]};
  }

  /** Writes row {@code r} of activation {@code a} into {@code out[0..depth)} and 1 into {@code out[depth]}. */
  void row(float[] a, int r, double[] out) {
    if (!conv) {
      int base = r * depth;
      for (int i = 0; i < depth; i++) {
        out[i] = a[base + i];
      }
    } else {
      int n = r / (oh * ow);
      int y = r / ow % oh;
      int x = r % ow;
      int k = 0;
      for (int i = 0; i < kh; i++) {
        int ih = y * sh - top + i * dh;
        for (int j = 0; j < kw; j++) {
          int iw = x * sw - left + j * dw;
          boolean inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
          int base = ((n * h + ih) * w + iw) * c;
          for (int ci = 0; ci < c; ci++) {
            out[k++] = inside ? a[base + ci] : 0;
          }
        }
      }
    }
    out[depth] = 1;
  }

  /** Rows {@code [w_j, b_j]} of the stored weights {@code v} and bias {@code b}. */
  double[][] matrix(float[] v, float[] b) {
    double[][] m = new double[outputs][depth + 1];
    for (int j = 0; j < outputs; j++) {
      for (int i = 0; i < depth; i++) {
        m[j][i] = matmul ? v[i * outputs + j] : v[j * depth + i];
      }
      m[j][depth] = b[j];
    }
    return m;
  }

  /** The stored weight layout of rows {@code m}, zeros as +0. */
  float[] weights(double[][] m, int[] shape) {
    float[] v = new float[outputs * depth];
    for (int j = 0; j < outputs; j++) {
      for (int i = 0; i < depth; i++) {
        float f = (float) m[j][i];
        v[matmul ? i * outputs + j : j * depth + i] = f == 0f ? 0f : f;
      }
    }
    return v;
  }
}
