package dev.topiary.converter.cli;

/** The command was well formed but failed on its inputs (wrong shape, unusable file): exit code 1. */
final class CliException extends Exception {
  private static final long serialVersionUID = 1L;

  CliException(String message) {
    super(message);
  }
}
