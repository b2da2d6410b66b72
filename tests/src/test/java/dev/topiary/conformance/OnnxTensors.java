package dev.topiary.conformance;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.TensorValue;
import dev.topiary.converter.onnx.OnnxFormatException;
import dev.topiary.converter.onnx.OnnxReader;
import dev.topiary.converter.onnx.proto.TensorProto;
import dev.topiary.testing.TestSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * ONNX {@code TensorProto} files ({@code input_N.pb}, {@code output_N.pb}) read with the converter's
 * protobuf classes and decoder, turned into runtime tensors, and compared with runtime outputs.
 */
final class OnnxTensors {
  private OnnxTensors() {}

  /** Parses a serialized {@code TensorProto}. */
  static TensorProto parse(Path pb) throws IOException {
    return TensorProto.parseFrom(Files.readAllBytes(pb));
  }

  /** The runtime type a graph input of ONNX type {@code onnxType} is fed as, or null when not feedable. */
  static DataType inputType(int onnxType) {
    switch (onnxType) {
      case 1: return DataType.FLOAT32;
      case 6: return DataType.INT32;
      case 7: return DataType.INT64;
      case 9: return DataType.BOOL;
      default: return null;
    }
  }

  /** The runtime tensor holding {@code t}'s values; its type must be one {@link #inputType} accepts. */
  static Tensor toTensor(TensorProto t, String what) throws OnnxFormatException {
    TensorValue v = OnnxReader.tensor(t, what, null);
    Shape s = Shape.of(v.shape());
    switch (v.dtype()) {
      case FLOAT32:
        return Tensor.ofFloats(s, v.floats());
      case INT32: {
        long[] l = v.longs();
        int[] i = new int[l.length];
        for (int k = 0; k < l.length; k++) {
          i[k] = (int) l[k];
        }
        return Tensor.ofInts(s, i);
      }
      case INT64:
        return Tensor.ofLongs(s, v.longs());
      case BOOL: {
        long[] l = v.longs();
        byte[] b = new byte[l.length];
        for (int k = 0; k < l.length; k++) {
          b[k] = (byte) (l[k] != 0 ? 1 : 0);
        }
        return Tensor.ofBytes(DataType.BOOL, s, b);
      }
      default:
        throw new IllegalArgumentException(what + ": cannot feed " + v.dtype());
    }
  }

  /**
   * Asserts that {@code actual} has {@code expected}'s shape and type, and values equal within
   * {@code |a − e| ≤ atol + rtol·|e|} (NumPy {@code assert_allclose}; NaN equals NaN) for floats,
   * exactly for integers and booleans.
   */
  static void assertMatches(String what, TensorValue expected, Tensor actual, double rtol, double atol) {
    if (!Arrays.equals(expected.shape(), actual.shape().dims())) {
      throw new AssertionError(what + ": shape " + actual.shape() + ", expected " + Arrays.toString(expected.shape()));
    }
    DataType want = runtimeType(expected.dtype());
    if (want != actual.dataType()) {
      throw new AssertionError(what + ": type " + actual.dataType() + ", expected " + expected.dtype());
    }
    switch (want) {
      case FLOAT32:
        TestSupport.assertClose(what, expected.floats(), actual.toFloatArray(), rtol, atol);
        return;
      case INT64:
        assertExact(what, expected.longs(), actual.toLongArray());
        return;
      case INT32:
        assertExact(what, expected.longs(), Arrays.stream(actual.toIntArray()).asLongStream().toArray());
        return;
      default: {
        byte[] b = actual.toByteArray();
        long[] l = new long[b.length];
        for (int i = 0; i < b.length; i++) {
          l[i] = want == DataType.UINT8 ? b[i] & 0xFF : b[i];
        }
        assertExact(what, expected.longs(), l);
      }
    }
  }

  /** Largest |a − e| over two float arrays of equal length, ignoring positions where both are NaN. */
  static double maxAbsError(float[] expected, float[] actual) {
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      if (Float.isNaN(expected[i]) && Float.isNaN(actual[i])) {
        continue;
      }
      double d = Math.abs((double) expected[i] - actual[i]);
      worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
    }
    return worst;
  }

  private static DataType runtimeType(DType t) {
    switch (t) {
      case FLOAT32: return DataType.FLOAT32;
      case FLOAT16: return DataType.FLOAT16;
      case INT8: return DataType.INT8;
      case UINT8: return DataType.UINT8;
      case INT32: return DataType.INT32;
      case INT64: return DataType.INT64;
      case BOOL: return DataType.BOOL;
      default: throw new AssertionError("expected output type " + t + " has no runtime equivalent");
    }
  }

  private static void assertExact(String what, long[] expected, long[] actual) {
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != actual[i]) {
        throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
      }
    }
  }
}
