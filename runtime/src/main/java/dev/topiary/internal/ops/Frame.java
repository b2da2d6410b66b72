package dev.topiary.internal.ops;

import dev.topiary.internal.cpu.Parallel;

/**
 * A session's view of tensor storage while it runs: for each tensor id the backing array (an arena
 * array of the session, or a constant array shared by all sessions) and the element offset in it.
 * Kernels look up their tensors by the ids they captured at bind time.
 */
public final class Frame {
  private final Object[] arrays;
  private final int[] offsets;
  private final Parallel parallel;
  private final float[][] scratch;
  private final int[][] scratchInts;
  private final long[][] scratchLongs;
  private final byte[][] scratchBytes;

  public Frame(Object[] arrays, int[] offsets, Parallel parallel, float[][] scratch) {
    this(arrays, offsets, parallel, scratch, new int[scratch.length][0]);
  }

  public Frame(Object[] arrays, int[] offsets, Parallel parallel, float[][] scratch, int[][] scratchInts) {
    this(arrays, offsets, parallel, scratch, scratchInts, new long[scratch.length][0], new byte[scratch.length][0]);
  }

  public Frame(Object[] arrays, int[] offsets, Parallel parallel, float[][] scratch, int[][] scratchInts,
      long[][] scratchLongs, byte[][] scratchBytes) {
    this.arrays = arrays;
    this.offsets = offsets;
    this.parallel = parallel;
    this.scratch = scratch;
    this.scratchInts = scratchInts;
    this.scratchLongs = scratchLongs;
    this.scratchBytes = scratchBytes;
  }

  /** FLOAT32 storage of tensor {@code id} (values start at {@link #off}). */
  public float[] f32(int id) {
    return (float[]) arrays[id];
  }

  /** INT32 storage of tensor {@code id}. */
  public int[] i32(int id) {
    return (int[]) arrays[id];
  }

  /** INT64 storage of tensor {@code id}. */
  public long[] i64(int id) {
    return (long[]) arrays[id];
  }

  /** INT8, UINT8 or BOOL storage of tensor {@code id}. */
  public byte[] i8(int id) {
    return (byte[]) arrays[id];
  }

  /** Element offset of tensor {@code id} in its storage array. */
  public int off(int id) {
    return offsets[id];
  }

  /** The session's workers; kernels split output tiles across them. */
  public Parallel parallel() {
    return parallel;
  }

  /**
   * Scratch memory of worker {@code worker}, at least as many floats as the largest
   * {@link BindContext#requestScratch} of the plan. Contents are undefined on entry.
   */
  public float[] scratch(int worker) {
    return scratch[worker];
  }

  /**
   * Int scratch memory of worker {@code worker}, at least as many ints as the largest
   * {@link BindContext#requestScratchInts} of the plan. Contents are undefined on entry.
   */
  public int[] scratchInts(int worker) {
    return scratchInts[worker];
  }

  /**
   * Long scratch memory of worker {@code worker}, at least as many longs as the largest
   * {@link BindContext#requestScratchLongs} of the plan. Contents are undefined on entry.
   */
  public long[] scratchLongs(int worker) {
    return scratchLongs[worker];
  }

  /**
   * Byte scratch memory of worker {@code worker}, at least as many bytes as the largest
   * {@link BindContext#requestScratchBytes} of the plan. Contents are undefined on entry.
   */
  public byte[] scratchBytes(int worker) {
    return scratchBytes[worker];
  }
}
