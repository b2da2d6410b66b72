package dev.topiary.vector;

import dev.topiary.internal.cpu.ArenaPlacement;
import java.lang.ref.WeakReference;

/**
 * Cache-line-aligned storage for the fp32 kernels' packed weights, which the kernels read as
 * 64-byte vectors: a vector that straddles two cache lines costs two accesses. Measured on Zen 4,
 * depthwise layers of the CNN and MobileNetV2 ran 5–11 % slower with their weights 16 or 32 bytes
 * off a line than on one (docs/BENCHMARKS.md, session 13).
 *
 * <p>Java places a heap array where the collector likes and moves it, so a small array's alignment
 * is unknown and can change. Under G1 an array larger than half a heap region does not move and
 * starts a region ({@link HeapPlacement}), so slices are cut from such arrays: one chunk of at
 * least that size is filled slice after slice, each slice starting a cache line, and a request
 * larger than a chunk gets an array of its own. The allocator keeps only a weak reference to the
 * chunk it is filling: the kernels that hold slices keep their chunk alive, and once none does
 * the chunk is collected, so at most one chunk's unused tail is ever held beyond the weights.
 * Where the placement is unknown (other collectors, other object layouts), each slice is a plain
 * array of its own at offset 0, as before.
 *
 * <p>Slices are zero-filled (new memory, never handed out twice).
 */
final class AlignedFloats {
  private AlignedFloats() {}

  /** {@code floats} elements of {@code array} from {@code offset}. */
  static final class Slice {
    final float[] array;
    final int offset;

    private Slice(float[] array, int offset) {
      this.array = array;
      this.offset = offset;
    }
  }

  /** Floats per cache line. */
  private static final int LINE_FLOATS = ArenaPlacement.LINE / Float.BYTES;

  private static WeakReference<float[]> chunk = new WeakReference<>(null);
  /** The placement the chunk was made for (only tests ask for another). */
  private static ArenaPlacement chunkPlacement;
  /** Elements of the chunk already handed out, or reserved as its lead. */
  private static int used;

  /** A zero-filled slice of {@code floats} elements starting a cache line where the heap allows it. */
  static Slice allocate(int floats) {
    return allocate(floats, FloatVectorKernels.placement());
  }

  /** {@link #allocate(int)} for a given placement (tests). */
  static synchronized Slice allocate(int floats, ArenaPlacement placement) {
    if (floats < 0) {
      throw new IllegalArgumentException("negative size " + floats);
    }
    if (!placement.known()) {
      return new Slice(new float[floats], 0);
    }
    int lead = placement.lead(Float.BYTES);
    long chunkFloats = Math.max((placement.minBytes() + Float.BYTES - 1) / Float.BYTES + LINE_FLOATS, lead);
    long rounded = ((long) floats + LINE_FLOATS - 1) / LINE_FLOATS * LINE_FLOATS;
    if (lead + rounded > chunkFloats / 2) {
      // Large: an array of its own, itself large enough to be placed.
      long length = Math.max(lead + (long) floats, chunkFloats);
      if (length > Integer.MAX_VALUE - 16) {
        length = lead + (long) floats;
      }
      if (length > Integer.MAX_VALUE - 16) {
        throw new OutOfMemoryError("packed weights of " + floats + " floats do not fit one Java array");
      }
      return new Slice(new float[(int) length], lead);
    }
    float[] c = chunk.get();
    if (c == null || placement != chunkPlacement || used + rounded > c.length) {
      c = new float[(int) chunkFloats];
      chunk = new WeakReference<>(c);
      chunkPlacement = placement;
      used = lead;
    }
    Slice s = new Slice(c, used);
    used += (int) rounded;
    return s;
  }
}
