package dev.topiary.converter.npy;

import java.io.IOException;

/**
 * A {@code .npy} file is malformed, truncated, or holds an array this reader cannot turn into a
 * tensor (unsupported dtype, Fortran order, absurd shape). The message names what is wrong and
 * where (byte offset, header character, dtype).
 */
public class NpyFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message naming what is wrong. */
  public NpyFormatException(String message) {
    super(message);
  }
}
