package dev.topiary.internal.plan;

import dev.topiary.DataType;

/** The Java array type that holds a tensor of a given data type at run time. */
public enum Storage {
  /** float[]: FLOAT32, and FLOAT16 constants widened at load. */
  F32(4),
  /** int[]: INT32. */
  I32(4),
  /** long[]: INT64. */
  I64(8),
  /** byte[]: INT8, UINT8, BOOL. */
  I8(1);

  final int bytes;

  Storage(int bytes) {
    this.bytes = bytes;
  }

  public static Storage of(DataType t) {
    switch (t) {
      case FLOAT32:
      case FLOAT16:
        return F32;
      case INT32:
        return I32;
      case INT64:
        return I64;
      default:
        return I8;
    }
  }

  Object newArray(int n) {
    switch (this) {
      case F32: return new float[n];
      case I32: return new int[n];
      case I64: return new long[n];
      default: return new byte[n];
    }
  }
}
