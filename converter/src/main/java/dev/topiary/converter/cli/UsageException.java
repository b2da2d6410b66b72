package dev.topiary.converter.cli;

/** The command line is wrong (unknown option, missing or malformed argument): exit code 2. */
final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
