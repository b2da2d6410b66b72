package dev.topiary.converter;

/**
 * A model that parsed but cannot be converted: an unsupported op, attribute or shape, a value the
 * runtime would need at conversion time but that is only known at run time. The message names the
 * node, its op type and, where relevant, the attribute.
 */
public class ConversionException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConversionException(String message) {
    super(message);
  }

  public ConversionException(String message, Throwable cause) {
    super(message, cause);
  }
}
