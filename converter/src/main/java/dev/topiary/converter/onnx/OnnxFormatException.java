package dev.topiary.converter.onnx;

import java.io.IOException;

/**
 * An ONNX file that is malformed, truncated, hostile or outside what the importer reads (IR or
 * opset version, data type, external data outside the model's directory). The message names what
 * is wrong and where: tensor, node or field.
 */
public class OnnxFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public OnnxFormatException(String message) {
    super(message);
  }

  public OnnxFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
