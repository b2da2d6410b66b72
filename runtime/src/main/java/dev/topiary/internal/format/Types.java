package dev.topiary.internal.format;

import dev.topiary.DataType;

/** Conversions between the public {@link DataType} and the header's enum. */
public final class Types {
  private Types() {}

  public static DataType fromProto(dev.topiary.internal.format.proto.DataType t) {
    switch (t) {
      case FLOAT32: return DataType.FLOAT32;
      case FLOAT16: return DataType.FLOAT16;
      case INT8: return DataType.INT8;
      case UINT8: return DataType.UINT8;
      case INT32: return DataType.INT32;
      case INT64: return DataType.INT64;
      case BOOL: return DataType.BOOL;
      default: throw new IllegalArgumentException("no data type for " + t);
    }
  }

  public static dev.topiary.internal.format.proto.DataType toProto(DataType t) {
    switch (t) {
      case FLOAT32: return dev.topiary.internal.format.proto.DataType.FLOAT32;
      case FLOAT16: return dev.topiary.internal.format.proto.DataType.FLOAT16;
      case INT8: return dev.topiary.internal.format.proto.DataType.INT8;
      case UINT8: return dev.topiary.internal.format.proto.DataType.UINT8;
      case INT32: return dev.topiary.internal.format.proto.DataType.INT32;
      case INT64: return dev.topiary.internal.format.proto.DataType.INT64;
      case BOOL: return dev.topiary.internal.format.proto.DataType.BOOL;
      default: throw new IllegalArgumentException("no proto type for " + t);
    }
  }

  public static int byteSize(dev.topiary.internal.format.proto.DataType t) {
    return fromProto(t).byteSize();
  }
}
