package dev.topiary.converter.ir;

import dev.topiary.DataType;

/** Element types the IR carries. Floating types hold their values as float, the others as long. */
public enum DType {
  FLOAT32(DataType.FLOAT32, true),
  FLOAT16(DataType.FLOAT16, true),
  FLOAT64(null, true),
  INT8(DataType.INT8, false),
  UINT8(DataType.UINT8, false),
  INT16(null, false),
  UINT16(null, false),
  INT32(DataType.INT32, false),
  UINT32(null, false),
  INT64(DataType.INT64, false),
  BOOL(DataType.BOOL, false);

  private final DataType runtime;
  private final boolean floating;

  DType(DataType runtime, boolean floating) {
    this.runtime = runtime;
    this.floating = floating;
  }

  /** The runtime data type, or null when the runtime has no tensors of this type. */
  public DataType runtime() {
    return runtime;
  }

  public boolean isFloating() {
    return floating;
  }

  /** Wraps an integer value to this type's range (two's complement), as a cast does. */
  public long wrap(long v) {
    switch (this) {
      case INT8: return (byte) v;
      case UINT8: return v & 0xFF;
      case INT16: return (short) v;
      case UINT16: return v & 0xFFFF;
      case INT32: return (int) v;
      case UINT32: return v & 0xFFFFFFFFL;
      case BOOL: return v != 0 ? 1 : 0;
      default: return v;
    }
  }
}
