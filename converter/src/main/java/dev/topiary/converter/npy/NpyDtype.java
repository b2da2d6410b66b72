package dev.topiary.converter.npy;

import dev.topiary.DataType;
import java.nio.ByteOrder;

/**
 * The NumPy dtypes the reader accepts, parsed from a header's {@code descr} string such as
 * {@code "<f4"}: element kind and size, byte order, and the tensor type the values become.
 */
record NpyDtype(char kind, int size, ByteOrder order, DataType target) {
  static final String SUPPORTED = "<f4, <f8, <f2, <i4, <i8, |i1, |u1, |b1 (and big-endian '>' forms)";

  /** Parses {@code descr}, or throws naming it. */
  static NpyDtype parse(String descr) throws NpyFormatException {
    if (descr.length() < 2) {
      throw unsupported(descr, "");
    }
    char order = descr.charAt(0);
    String rest = descr.substring(1);
    if (order != '<' && order != '>' && order != '|' && order != '=') {
      throw unsupported(descr, " (a dtype string starts with a byte order '<', '>' or '|')");
    }
    if (rest.equals("O")) {
      throw unsupported(descr, " (object arrays hold pickled Python objects; save a numeric array)");
    }
    DataType target;
    switch (rest) {
      case "f4":
      case "f8":
      case "f2":
        target = DataType.FLOAT32;
        break;
      case "i4":
        target = DataType.INT32;
        break;
      case "i8":
        target = DataType.INT64;
        break;
      case "i1":
        target = DataType.INT8;
        break;
      case "u1":
        target = DataType.UINT8;
        break;
      case "b1":
        target = DataType.BOOL;
        break;
      default:
        throw unsupported(descr, "");
    }
    int size = rest.charAt(1) - '0';
    if (size > 1 && order == '|') {
      throw unsupported(descr, " (a " + size + "-byte type needs a byte order '<' or '>', not '|')");
    }
    if (size > 1 && order == '=') {
      throw unsupported(descr, " (native byte order '=' is ambiguous in a file; NumPy writes '<' or '>')");
    }
    return new NpyDtype(rest.charAt(0), size, order == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN, target);
  }

  /** The descr NumPy writes for a tensor of type {@code t}. */
  static String descrOf(DataType t) {
    switch (t) {
      case FLOAT32:
        return "<f4";
      case FLOAT16:
        return "<f2";
      case INT32:
        return "<i4";
      case INT64:
        return "<i8";
      case INT8:
        return "|i1";
      case UINT8:
        return "|u1";
      case BOOL:
        return "|b1";
      default:
        throw new IllegalArgumentException("no .npy dtype for " + t);
    }
  }

  private static NpyFormatException unsupported(String descr, String why) {
    return new NpyFormatException("unsupported dtype '" + descr + "'" + why + "; supported: " + SUPPORTED);
  }
}
