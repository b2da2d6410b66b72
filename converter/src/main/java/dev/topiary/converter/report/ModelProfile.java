package dev.topiary.converter.report;

import java.util.List;
import java.util.Map;

/**
 * Where one model's bytes, multiply-accumulates, time and memory go. Sizes are bytes, times
 * nanoseconds.
 *
 * @param path the model file as given
 * @param onnx whether the file is an ONNX model (profiled through the artifact converted in memory)
 * @param optimized for an ONNX model, whether the conversion ran the optimising passes; true for an artifact
 * @param fileBytes size of the file given
 * @param fileDeflateBytes the file compressed with DEFLATE at level 9 (what it adds to a zip, APK or JAR)
 * @param formatVersion artifact format {@code "major.minor"}
 * @param artifactBytes size of the artifact (the file itself, or the in-memory conversion)
 * @param headerBytes protobuf header (graph, tensor descriptors, quantization, metadata)
 * @param dataBytes data section, alignment padding included
 * @param constantBytes stored bytes of all constants (the data section without its padding)
 * @param artifactDeflateBytes the artifact compressed with DEFLATE at level 9
 * @param parameters elements of all constants
 * @param weightBytesByDtype stored bytes of all constants per dtype name
 * @param unattributedBytes stored bytes of constants no node reads (e.g. a constant graph output)
 * @param macs multiply-accumulates of one run, all layers
 * @param arenaBytes bytes of intermediate tensors one session allocates (memory planner)
 * @param arenaLowerBoundBytes most bytes alive at one step: no plan can use less
 * @param sessionArenaBytes bytes of arena the measured session allocated: {@code arenaBytes}, plus
 *     padding where it placed the arena on cache lines ({@code SessionOptions.Builder#placeArena})
 * @param threads threads of the session
 * @param warmup untimed runs before measuring
 * @param iterations timed runs (each phase: whole runs, then per-layer runs)
 * @param loadNanos loading the artifact: read, verify, plan, pack weights
 * @param firstRunNanos first run of a fresh session
 * @param steadyNanos wall time of each steady-state run (step timing off), in run order
 * @param layers per node, in execution order
 */
public record ModelProfile(
    String path,
    boolean onnx,
    boolean optimized,
    long fileBytes,
    long fileDeflateBytes,
    String formatVersion,
    long artifactBytes,
    long headerBytes,
    long dataBytes,
    long constantBytes,
    long artifactDeflateBytes,
    long parameters,
    Map<String, Long> weightBytesByDtype,
    long unattributedBytes,
    long macs,
    long arenaBytes,
    long arenaLowerBoundBytes,
    long sessionArenaBytes,
    int threads,
    int warmup,
    int iterations,
    long loadNanos,
    long firstRunNanos,
    long[] steadyNanos,
    List<Layer> layers) {

  /** Bytes of the artifact that are not weights: preamble, header, alignment padding, trailer. */
  public long overheadBytes() {
    return artifactBytes - constantBytes;
  }

  /** Alignment padding inside the data section. */
  public long paddingBytes() {
    return dataBytes - constantBytes;
  }

  /** Sum of the layers' mean times. */
  public double layersNanos() {
    double s = 0;
    for (Layer l : layers) {
      s += l.meanNanos();
    }
    return s;
  }

  /** Sum of the layers' weight bytes. */
  public long layerWeightBytes() {
    long s = 0;
    for (Layer l : layers) {
      s += l.weightBytes();
    }
    return s;
  }

  public double steadyMeanNanos() {
    double s = 0;
    for (long t : steadyNanos) {
      s += t;
    }
    return s / steadyNanos.length;
  }

  public double steadyMedianNanos() {
    long[] s = sorted();
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
  }

  public long steadyP90Nanos() {
    return Profiler.percentile(sorted(), 0.90);
  }

  public long steadyMinNanos() {
    return sorted()[0];
  }

  private long[] sorted() {
    long[] s = steadyNanos.clone();
    java.util.Arrays.sort(s);
    return s;
  }
}
