package dev.topiary;

/** Element type of a tensor. Values are stored little-endian in artifacts and {@code .npy} files. */
public enum DataType {
  /** IEEE 754 single precision. */
  FLOAT32(4),
  /** IEEE 754 half precision (storage only: computed as FLOAT32). */
  FLOAT16(2),
  /** Signed 8-bit integer, usually quantized. */
  INT8(1),
  /** Unsigned 8-bit integer, usually quantized. */
  UINT8(1),
  /** Signed 32-bit integer. */
  INT32(4),
  /** Signed 64-bit integer. */
  INT64(8),
  /** Boolean, one byte per element (0 or 1). */
  BOOL(1);

  private final int byteSize;

  DataType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Size of one element in bytes. */
  public int byteSize() {
    return byteSize;
  }
}
