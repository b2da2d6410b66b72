package dev.topiary;

import dev.topiary.internal.cpu.ArenaPlacement;
import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.cpu.ThreadPool;
import dev.topiary.internal.cpu.VectorSupport;
import dev.topiary.internal.ops.Frame;
import dev.topiary.internal.plan.Plan;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a {@link Model}: holds the arena (all intermediate tensors, sized at load) and the worker
 * threads. Nothing is allocated per inference except the output tensors of {@link #run(Map)};
 * {@link #run(Map, Map)} allocates nothing at all.
 *
 * <pre>{@code
 * try (Session session = model.newSession(SessionOptions.builder().threads(2).build())) {
 *   Map<String, Tensor> out = session.run(Collections.singletonMap("input", image));
 *   float[] logits = out.get("logits").toFloatArray();
 * }
 * }</pre>
 *
 * <p><b>A session is used by one thread at a time</b>; concurrent calls fail with
 * {@link IllegalStateException}. Open one session per thread; they share the model's weights.
 */
public final class Session implements AutoCloseable {
  private final Plan plan;
  private final SessionOptions options;
  private final Parallel parallel;
  private final Object[] arrays;
  private final int[] offsets;
  /** Bytes of the arena arrays, placement padding included. */
  private final long arenaBytes;
  private final Frame frame;
  private final AtomicBoolean busy = new AtomicBoolean();
  /** Per-step wall times of the last run when profiling (see {@link #timeSteps}), else null. */
  private long[] stepNanos;
  private volatile boolean closed;

  Session(Plan plan, SessionOptions options) {
    this.plan = plan;
    this.options = options;
    this.parallel = options.threads() == 1 ? Parallel.sequential() : new ThreadPool(options.threads());
    ArenaPlacement placement = options.placeArena() && plan.usesVectorKernels()
        ? VectorSupport.arenaPlacement() : ArenaPlacement.UNKNOWN;
    Plan.Arena arena = plan.newArena(placement);
    this.arrays = arena.arrays;
    this.offsets = arena.offsets;
    this.arenaBytes = arena.allocatedBytes;
    float[][] scratch = new float[parallel.workers()][];
    for (int w = 0; w < scratch.length; w++) {
      scratch[w] = new float[plan.scratchFloats()];
    }
    int[][] scratchInts = new int[parallel.workers()][];
    for (int w = 0; w < scratchInts.length; w++) {
      scratchInts[w] = new int[plan.scratchInts()];
    }
    long[][] scratchLongs = new long[parallel.workers()][];
    for (int w = 0; w < scratchLongs.length; w++) {
      scratchLongs[w] = new long[plan.scratchLongs()];
    }
    byte[][] scratchBytes = new byte[parallel.workers()][];
    for (int w = 0; w < scratchBytes.length; w++) {
      scratchBytes[w] = new byte[plan.scratchBytes()];
    }
    this.frame = new Frame(arrays, offsets, parallel, scratch, scratchInts, scratchLongs, scratchBytes);
    try {
      // The arena is fresh, so the inputs are zeros; every run writes what it reads.
      for (int i = 0; i < options.warmUpRuns(); i++) {
        execute();
      }
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  /**
   * Bytes of this session's arena, the arrays holding intermediate tensors: the plan's
   * {@link Model#arenaBytes()}, plus what placing them on cache lines added
   * ({@link SessionOptions.Builder#placeArena}).
   */
  public long arenaBytes() {
    return arenaBytes;
  }

  /** The options this session was opened with. */
  public SessionOptions options() {
    return options;
  }

  /**
   * Runs the model on {@code inputs} (by input name) and returns every output by name, in the
   * model's output order.
   *
   * @throws IllegalArgumentException if an input is missing, unknown, or has the wrong shape or type
   *     (the message gives expected and actual)
   * @throws IllegalStateException if the session is closed or in use by another thread
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    enter();
    try {
      checkNames(inputs.keySet());
      List<TensorInfo> ins = plan.inputs();
      for (int k = 0; k < ins.size(); k++) {
        TensorInfo info = ins.get(k);
        Tensor t = inputs.get(info.name());
        if (t.dataType() != info.dataType() || !t.shape().equals(info.shape())) {
          throw new IllegalArgumentException(
              "input '" + info.name() + "': expected " + info.shape() + " " + info.dataType() + ", got "
                  + t.shape() + " " + t.dataType());
        }
        copyIn(plan.inputId(k), t.buffer(), info);
      }
      execute();
      Map<String, Tensor> out = new LinkedHashMap<>();
      List<TensorInfo> outs = plan.outputs();
      for (int k = 0; k < outs.size(); k++) {
        TensorInfo info = outs.get(k);
        ByteBuffer b =
            ByteBuffer.allocate(info.shape().elementCount() * info.dataType().byteSize())
                .order(ByteOrder.LITTLE_ENDIAN);
        copyOut(plan.outputId(k), b, info);
        out.put(info.name(), Tensor.wrap(info.dataType(), info.shape(), b));
      }
      return Collections.unmodifiableMap(out);
    } finally {
      exit();
    }
  }

  /**
   * Runs the model reading inputs from, and writing outputs into, caller-owned buffers: no
   * allocation at all, which suits direct buffers shared with native code or a camera pipeline.
   * Each buffer holds exactly the tensor's bytes from its position, in the buffer's own byte order
   * (use {@link ByteOrder#nativeOrder()} for direct buffers); positions are left unchanged.
   *
   * @throws IllegalArgumentException if a buffer is missing, unknown or of the wrong size
   * @throws IllegalStateException if the session is closed or in use by another thread
   */
  public void run(Map<String, ByteBuffer> inputs, Map<String, ByteBuffer> outputs) {
    enter();
    try {
      checkNames(inputs.keySet());
      List<TensorInfo> ins = plan.inputs();
      for (int k = 0; k < ins.size(); k++) {
        TensorInfo info = ins.get(k);
        ByteBuffer b = inputs.get(info.name());
        checkSize("input", info, b);
        copyIn(plan.inputId(k), b, info);
      }
      List<TensorInfo> outs = plan.outputs();
      for (String name : outputs.keySet()) {
        if (indexOf(outs, name) < 0) {
          throw new IllegalArgumentException("unknown output '" + name + "'; the model's outputs are " + names(outs));
        }
      }
      for (TensorInfo info : outs) {
        checkSize("output", info, outputs.get(info.name()));
      }
      execute();
      for (int k = 0; k < outs.size(); k++) {
        TensorInfo info = outs.get(k);
        copyOut(plan.outputId(k), outputs.get(info.name()), info);
      }
    } finally {
      exit();
    }
  }

  /** Stops the worker threads and releases the arena. Harmless to call twice. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (parallel instanceof ThreadPool) {
      ((ThreadPool) parallel).close();
    }
  }

  private void execute() {
    long[] times = stepNanos;
    if (times == null) {
      for (Plan.Step step : plan.steps()) {
        step.kernel.run(frame);
      }
      return;
    }
    List<Plan.Step> steps = plan.steps();
    for (int i = 0; i < times.length; i++) {
      long start = System.nanoTime();
      steps.get(i).kernel.run(frame);
      times[i] = System.nanoTime() - start;
    }
  }

  /** Profiling hook reached through {@code ModelAccess.timeSteps}; null switches timing off. */
  void timeSteps(long[] nanos) {
    if (nanos != null && nanos.length != plan.steps().size()) {
      throw new IllegalArgumentException(
          "step times: expected " + plan.steps().size() + " elements (one per plan step), got " + nanos.length);
    }
    if (closed) {
      throw new IllegalStateException("session is closed");
    }
    stepNanos = nanos;
  }

  /** Test hook reached through {@code ModelAccess.minParallelWork}. */
  void minParallelWork(long work) {
    if (closed) {
      throw new IllegalStateException("session is closed");
    }
    if (parallel instanceof ThreadPool) {
      ((ThreadPool) parallel).minParallelWork(work);
    }
  }

  private void enter() {
    if (closed) {
      throw new IllegalStateException("session is closed");
    }
    if (!busy.compareAndSet(false, true)) {
      throw new IllegalStateException("session is already running on another thread; open one session per thread");
    }
  }

  private void exit() {
    busy.set(false);
  }

  private void checkNames(java.util.Set<String> given) {
    List<TensorInfo> ins = plan.inputs();
    for (String name : given) {
      if (indexOf(ins, name) < 0) {
        throw new IllegalArgumentException("unknown input '" + name + "'; the model's inputs are " + names(ins));
      }
    }
    for (TensorInfo info : ins) {
      if (!given.contains(info.name())) {
        throw new IllegalArgumentException("missing input '" + info.name() + "' " + info.shape() + " " + info.dataType());
      }
    }
  }

  private static void checkSize(String what, TensorInfo info, ByteBuffer b) {
    if (b == null) {
      throw new IllegalArgumentException("missing " + what + " buffer '" + info.name() + "'");
    }
    long need = (long) info.shape().elementCount() * info.dataType().byteSize();
    if (b.remaining() != need) {
      throw new IllegalArgumentException(
          what + " '" + info.name() + "': expected " + need + " bytes (" + info.shape() + " " + info.dataType()
              + "), got " + b.remaining());
    }
  }

  private void copyIn(int id, ByteBuffer src, TensorInfo info) {
    ByteBuffer b = src.duplicate().order(src.order());
    int off = offsets[id];
    int n = info.shape().elementCount();
    switch (info.dataType()) {
      case FLOAT32:
        b.asFloatBuffer().get((float[]) arrays[id], off, n);
        break;
      case INT32:
        b.asIntBuffer().get((int[]) arrays[id], off, n);
        break;
      case INT64:
        b.asLongBuffer().get((long[]) arrays[id], off, n);
        break;
      default:
        b.get((byte[]) arrays[id], off, n);
    }
  }

  private void copyOut(int id, ByteBuffer dst, TensorInfo info) {
    ByteBuffer b = dst.duplicate().order(dst.order());
    int off = offsets[id];
    int n = info.shape().elementCount();
    switch (info.dataType()) {
      case FLOAT32:
        b.asFloatBuffer().put((float[]) arrays[id], off, n);
        break;
      case INT32:
        b.asIntBuffer().put((int[]) arrays[id], off, n);
        break;
      case INT64:
        b.asLongBuffer().put((long[]) arrays[id], off, n);
        break;
      default:
        b.put((byte[]) arrays[id], off, n);
    }
    ((Buffer) b).rewind();
  }

  private static int indexOf(List<TensorInfo> l, String name) {
    for (int i = 0; i < l.size(); i++) {
      if (l.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  private static String names(List<TensorInfo> l) {
    StringBuilder sb = new StringBuilder("[");
    for (TensorInfo t : l) {
      sb.append(sb.length() > 1 ? ", " : "").append(t.name());
    }
    return sb.append(']').toString();
  }
}
