package dev.topiary.converter.npy;

/** Builds {@code .npy} files byte by byte for tests in other packages. */
public final class NpyTestFiles {
  private NpyTestFiles() {}

  /** A version 1.0 file with a NumPy-style header for {@code descr} and {@code shape}, then {@code data}. */
  public static byte[] file(String descr, String shape, byte[] data) {
    return NpyTest.file(descr, shape, data);
  }
}
