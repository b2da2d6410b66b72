package dev.topiary.converter.cli;

import dev.topiary.DataType;
import dev.topiary.Tensor;
import dev.topiary.quantization.Float16;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Summary statistics of a tensor for the {@code run} summary. NaNs are counted and left out of
 * min, max and mean; an empty tensor (or one of only NaNs) has NaN min, max and mean.
 *
 * @param count number of elements
 * @param min smallest non-NaN value
 * @param max largest non-NaN value
 * @param mean mean of the non-NaN values
 * @param nanCount number of NaN elements
 */
record TensorStats(long count, double min, double max, double mean, long nanCount) {

  /** One entry of a top-k list: element index and value. */
  record Ranked(int index, double value) {}

  static TensorStats of(Tensor t) {
    int n = t.shape().elementCount();
    ByteBuffer b = t.buffer();
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    long nans = 0;
    for (int i = 0; i < n; i++) {
      double v = value(t.dataType(), b, i);
      if (Double.isNaN(v)) {
        nans++;
        continue;
      }
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    long valid = n - nans;
    if (valid == 0) {
      return new TensorStats(n, Double.NaN, Double.NaN, Double.NaN, nans);
    }
    return new TensorStats(n, min, max, sum / valid, nans);
  }

  /**
   * The {@code k} largest values of a tensor with their flat indices, largest first (ties by lower
   * index); NaNs are skipped.
   */
  static List<Ranked> top(Tensor t, int k) {
    int n = t.shape().elementCount();
    ByteBuffer b = t.buffer();
    List<Ranked> best = new ArrayList<>(k + 1);
    for (int i = 0; i < n; i++) {
      double v = value(t.dataType(), b, i);
      if (Double.isNaN(v)) {
        continue;
      }
      int at = best.size();
      while (at > 0 && best.get(at - 1).value() < v) {
        at--;
      }
      if (at < k) {
        best.add(at, new Ranked(i, v));
        if (best.size() > k) {
          best.remove(k);
        }
      }
    }
    return best;
  }

  /** Element {@code i} of a little-endian tensor buffer as a double. */
  static double value(DataType type, ByteBuffer b, int i) {
    return switch (type) {
      case FLOAT32 -> b.getFloat(4 * i);
      case FLOAT16 -> Float16.toFloat(b.getShort(2 * i));
      case INT32 -> b.getInt(4 * i);
      case INT64 -> b.getLong(8 * i);
      case UINT8 -> b.get(i) & 0xFF;
      case INT8, BOOL -> b.get(i);
    };
  }
}
