package dev.topiary;

import java.io.IOException;

/**
 * A model file is malformed, corrupted, truncated, tampered with, or uses a feature this runtime
 * does not know. The message names what is wrong and where (byte offset, tensor, node).
 *
 * <p>Like {@link java.util.zip.ZipException}, this is a checked {@link IOException}: bad files are
 * expected, not exceptional.
 */
public class ModelFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message naming what is wrong. */
  public ModelFormatException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the underlying cause. */
  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
