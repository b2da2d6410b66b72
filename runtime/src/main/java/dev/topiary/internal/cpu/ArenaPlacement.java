package dev.topiary.internal.cpu;

/**
 * What is known, for the running JVM, about where a large array's first element lands relative to
 * a 64-byte boundary, so that a session can place its arena tensors on cache-line boundaries.
 *
 * <p>Java gives heap arrays no alignment beyond 8 bytes, and which of the eight offsets an array
 * gets changes from process to process. The fp32 vector kernels load and store 64-byte vectors;
 * one that straddles two cache lines costs two accesses, and on a Zen 4 core the whole of
 * MobileNetV2 ran 7 % slower with every tensor 16 bytes off a line than with every tensor on one
 * (docs/BENCHMARKS.md, session 11). Some collectors do place large arrays: G1 allocates an object
 * larger than half a heap region (a "humongous" object) at the start of a region, and regions
 * are at least 1 MiB, so its first element sits at the array header's size past a 64-byte
 * boundary. A placement says how large an array must be for that to hold ({@link #minBytes}) and
 * what the header's size is ({@link #firstElementOffset}); {@link #UNKNOWN} says nothing is known,
 * and then arenas are allocated as before.
 *
 * <p>The runtime core never finds this out itself: it runs on Android, which has no management
 * API. The optional vector kernels, which need a HotSpot JDK 21+ anyway, probe it
 * ({@link VectorKernels#arenaPlacement()}).
 */
public final class ArenaPlacement {
  /** Nothing known: arenas are allocated at their planned size and tensors at their planned offsets. */
  public static final ArenaPlacement UNKNOWN = new ArenaPlacement(0, -1, -1, "unknown");

  /** Cache-line size the tensors are placed on. */
  public static final int LINE = 64;

  private final long minBytes;
  private final int offset4;
  private final int offset8;
  private final String description;

  private ArenaPlacement(long minBytes, int offset4, int offset8, String description) {
    this.minBytes = minBytes;
    this.offset4 = offset4;
    this.offset8 = offset8;
    this.description = description;
  }

  /**
   * A known placement.
   *
   * @param minBytes arrays of at least this many bytes start where {@code offset4} and
   *     {@code offset8} say
   * @param offset4 bytes from a 64-byte boundary to the first element of such an array of 1-, 2-
   *     or 4-byte elements
   * @param offset8 the same for 8-byte elements
   * @param description what was found, for tools: e.g. {@code "G1 humongous, 4 MiB regions"}
   * @throws IllegalArgumentException if an offset is outside {@code 0..63} or not a multiple of
   *     the element size it is for, or {@code minBytes} is negative
   */
  public static ArenaPlacement of(long minBytes, int offset4, int offset8, String description) {
    if (minBytes < 0 || offset4 < 0 || offset4 >= LINE || offset4 % 4 != 0 || offset8 < 0 || offset8 >= LINE
        || offset8 % 8 != 0) {
      throw new IllegalArgumentException(
          "placement: minBytes " + minBytes + ", offsets " + offset4 + " and " + offset8 + " (0..63, element-aligned)");
    }
    return new ArenaPlacement(minBytes, offset4, offset8, description);
  }

  /** Whether anything is known. */
  public boolean known() {
    return offset4 >= 0;
  }

  /** Smallest array, in bytes, whose first element's placement is known; 0 when unknown. */
  public long minBytes() {
    return minBytes;
  }

  /** Bytes from a 64-byte boundary to element 0 of a large array of {@code elementBytes}-byte elements; -1 when unknown. */
  public int firstElementOffset(int elementBytes) {
    return elementBytes >= 8 ? offset8 : offset4;
  }

  /**
   * Elements to skip at the start of a large array of {@code elementBytes}-byte elements so that
   * the next one starts a cache line; 0 when unknown.
   */
  public int lead(int elementBytes) {
    if (!known()) {
      return 0;
    }
    return (LINE - firstElementOffset(elementBytes)) % LINE / elementBytes;
  }

  @Override
  public String toString() {
    return description;
  }
}
