package dev.topiary;

/** Where a session executes. */
public enum Backend {
  /** The pure-Java CPU backend: available everywhere, runs every op. */
  CPU,
  /** The best backend available on this device for this model; the CPU backend runs what others cannot. */
  AUTO
}
