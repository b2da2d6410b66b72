package dev.topiary.vector;

import dev.topiary.internal.cpu.ArenaPlacement;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Cache-line-aligned storage for the fp32 kernels' packed weights, which the kernels read as
 * 64-byte vectors: a vector that straddles two cache lines costs two accesses. Measured on Zen 4,
 * depthwise layers of the CNN and MobileNetV2 ran 5–11 % slower with their weights 16 or 32 bytes
 * off a line than on one (docs/BENCHMARKS.md, session 13).
 *
 * <p>Java places a heap array where the collector likes and moves it, so a small array's alignment
 * is unknown and can change. Under G1 an array larger than half a heap region does not move and
 * starts a region ({@link HeapPlacement}), so slices are cut from such arrays: chunks of one
 * region are filled first fit, each slice starting a cache line, and a request larger than a chunk
 * gets an array of its own. The allocator holds its chunks only through weak references: the
 * kernels that hold slices keep their chunk alive, and once none does the chunk is collected. The
 * memory held beyond the weights is the chunks' unused room, which later models fill (the first
 * small model loaded in a process holds one region, 4 MiB with the default heap on a 24 GB
 * machine, which the next ones share).
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

  /** A chunk being filled: weakly held, so that only the kernels with slices in it keep it alive. */
  private static final class Chunk {
    final WeakReference<float[]> array;
    final ArenaPlacement placement;
    /** Elements handed out or reserved as the lead. */
    int used;

    Chunk(float[] array, ArenaPlacement placement, int used) {
      this.array = new WeakReference<>(array);
      this.placement = placement;
      this.used = used;
    }
  }

  /** Chunks with room left, oldest first; a collected chunk is dropped at the next allocation. */
  private static final List<Chunk> chunks = new ArrayList<>();

  /** A zero-filled slice of {@code floats} elements starting a cache line where the heap allows it. */
  static Slice allocate(int floats) {
    return allocate(floats, FloatVectorKernels.placement());
  }

  /**
   * {@link #allocate(int)} for a given placement (tests). A request larger than a chunk gets an
   * array of its own; a smaller one the first chunk with room, else a new chunk.
   */
  static synchronized Slice allocate(int floats, ArenaPlacement placement) {
    if (floats < 0) {
      throw new IllegalArgumentException("negative size " + floats);
    }
    if (!placement.known()) {
      return new Slice(new float[floats], 0);
    }
    int lead = placement.lead(Float.BYTES);
    long minFloats = (placement.minBytes() + Float.BYTES - 1) / Float.BYTES;
    // G1 gives a humongous object whole regions, so a chunk takes one region (twice the placement's
    // size) less a line for the array's header: just over half a region would waste the rest.
    long chunkFloats = (2 * minFloats - LINE_FLOATS) / LINE_FLOATS * LINE_FLOATS;
    if (lead + (long) floats > chunkFloats - LINE_FLOATS) {
      // Larger than a chunk: an array of its own, placed since it is over half a region.
      if (lead + (long) floats > Integer.MAX_VALUE - 16) {
        throw new OutOfMemoryError("packed weights of " + floats + " floats do not fit one Java array");
      }
      return new Slice(new float[lead + floats], lead);
    }
    int rounded = (floats + LINE_FLOATS - 1) / LINE_FLOATS * LINE_FLOATS;
    for (Iterator<Chunk> it = chunks.iterator(); it.hasNext(); ) {
      Chunk c = it.next();
      float[] a = c.array.get();
      if (a == null) {
        it.remove();
      } else if (c.placement == placement && c.used + (long) rounded <= a.length) {
        Slice s = new Slice(a, c.used);
        c.used += rounded;
        if (a.length - c.used < LINE_FLOATS) {
          it.remove();
        }
        return s;
      }
    }
    float[] a = new float[(int) chunkFloats];
    Chunk c = new Chunk(a, placement, lead + rounded);
    chunks.add(c);
    return new Slice(a, lead);
  }
}
