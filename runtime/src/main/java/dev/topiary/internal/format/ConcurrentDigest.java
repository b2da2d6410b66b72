package dev.topiary.internal.format;

import java.nio.ByteBuffer;

/**
 * The SHA-256 of a file's first bytes, computed on a thread of its own while the caller goes on
 * (see {@link ArtifactReader#readConcurrently}). One short-lived daemon thread per call: loading is
 * rare, and a pool would keep a thread alive in every application that loads a model once.
 */
final class ConcurrentDigest implements Runnable {
  private final ByteBuffer file;
  private final long length;
  private final Thread thread;
  private byte[] digest;
  private Throwable failure;

  private ConcurrentDigest(ByteBuffer file, long length) {
    this.file = file.duplicate();
    this.length = length;
    this.thread = new Thread(this, "topiary-sha256");
    thread.setDaemon(true);
  }

  static ConcurrentDigest start(ByteBuffer file, long length) {
    ConcurrentDigest d = new ConcurrentDigest(file, length);
    d.thread.start();
    return d;
  }

  @Override
  public void run() {
    try {
      digest = ArtifactReader.sha256(file, length);
    } catch (Throwable t) {
      failure = t;
    }
  }

  /** Waits for the digest (uninterruptibly: an interrupt is kept for the caller) and returns it. */
  byte[] await() {
    boolean interrupted = false;
    while (true) {
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    // join() orders the thread's writes before these reads.
    if (failure instanceof RuntimeException) {
      throw (RuntimeException) failure;
    }
    if (failure instanceof Error) {
      throw (Error) failure;
    }
    return digest;
  }
}
