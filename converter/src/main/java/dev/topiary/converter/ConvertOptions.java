package dev.topiary.converter;

import dev.topiary.Tensor;
import dev.topiary.converter.quantize.CalibrationMethod;
import dev.topiary.converter.quantize.QuantizeMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Options of a conversion, immutable, built with {@link #builder()}.
 *
 * <pre>{@code
 * ConvertOptions o = ConvertOptions.builder()
 *     .inputShape("input", 1, 3, 224, 224)
 *     .labels(List.of("cat", "dog"))
 *     .normalization(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f})
 *     .build();
 * }</pre>
 */
public final class ConvertOptions {
  private final Map<String, int[]> inputShapes;
  private final boolean optimize;
  private final List<String> labels;
  private final float[] normalizationMean;
  private final float[] normalizationStd;
  private final String name;
  private final String description;
  private final int maxPatches;
  private final boolean checkGraph;
  private final double prune;
  private final PruneScope pruneScope;
  private final boolean pruneAllLayers;
  private final double pruneChannels;
  private final PruneNorm pruneNorm;
  private final dev.topiary.Tensor pruneCalibration;
  private final PruneMethod pruneMethod;

  /** Which weights a magnitude-pruning threshold is computed over. */
  public enum PruneScope {
    /** Each weight tensor loses the same fraction. */
    LAYER,
    /** One threshold over all prunable weights together. */
    GLOBAL
  }

  /** Filter norm that ranks output channels for channel pruning. */
  public enum PruneNorm { L1, L2 }

  /** How {@link #prune()} and {@link #pruneChannels()} choose and adjust the surviving weights. */
  public enum PruneMethod {
    /**
     * Drop the smallest weights (channels with the smallest filter norm), keep the others as they
     * are (bias correction with calibration data).
     */
    MAGNITUDE,
    /**
     * Layer-wise reconstruction on the calibration data: drop weights by OBS saliency and solve the
     * survivors and the bias in least squares so each layer reproduces its dense output
     * ({@link dev.topiary.converter.prune.Reconstruction}); after channel pruning (channels still
     * chosen by filter norm), re-fit the layers that lost input channels the same way.
     */
    RECONSTRUCT
  }
  private final QuantizeMode quantize;
  private final Tensor calibration;
  private final CalibrationMethod calibrationMethod;
  private final Set<String> keepFloat;
  private final Double maxAccuracyDrop;
  private final Tensor evalSamples;
  private final long[] evalLabels;

  private ConvertOptions(Builder b) {
    Map<String, int[]> m = new LinkedHashMap<>();
    b.inputShapes.forEach((k, v) -> m.put(k, v.clone()));
    this.inputShapes = Collections.unmodifiableMap(m);
    this.optimize = b.optimize;
    this.labels = List.copyOf(b.labels);
    this.normalizationMean = b.mean == null ? new float[0] : b.mean.clone();
    this.normalizationStd = b.std == null ? new float[0] : b.std.clone();
    this.name = b.name;
    this.description = b.description;
    this.maxPatches = b.maxPatches;
    this.checkGraph = b.checkGraph;
    this.prune = b.prune;
    this.pruneScope = b.pruneScope;
    this.pruneAllLayers = b.pruneAllLayers;
    this.pruneChannels = b.pruneChannels;
    this.pruneNorm = b.pruneNorm;
    this.pruneCalibration = b.pruneCalibration != null ? b.pruneCalibration
        : b.prune > 0 || b.pruneChannels > 0 ? b.calibration : null;
    this.pruneMethod = b.pruneMethod != null ? b.pruneMethod
        : this.pruneCalibration != null ? PruneMethod.RECONSTRUCT : PruneMethod.MAGNITUDE;
    if (pruneMethod == PruneMethod.RECONSTRUCT && (b.prune > 0 || b.pruneChannels > 0) && pruneCalibration == null) {
      throw new IllegalArgumentException("pruneMethod RECONSTRUCT needs calibration data (pruneCalibration or calibration)");
    }
    this.quantize = b.quantize;
    this.calibration = b.calibration;
    this.calibrationMethod = b.calibrationMethod;
    this.keepFloat = Set.copyOf(b.keepFloat);
    this.maxAccuracyDrop = b.maxAccuracyDrop;
    this.evalSamples = b.evalSamples;
    this.evalLabels = b.evalLabels == null ? null : b.evalLabels.clone();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Defaults: no input shapes, optimisation on, no labels, no normalization. */
  public static ConvertOptions defaults() {
    return builder().build();
  }

  /** Static shapes for inputs whose shapes the model leaves symbolic (default: none; a symbolic batch becomes 1). */
  public Map<String, int[]> inputShapes() {
    return inputShapes;
  }

  /** Whether to run the optimising passes (default true); false runs only what a valid artifact needs. */
  public boolean optimize() {
    return optimize;
  }

  /** Class labels stored in the artifact's metadata (default: none). */
  public List<String> labels() {
    return labels;
  }

  /** Per-channel input normalization mean stored in the metadata (default: none). */
  public float[] normalizationMean() {
    return normalizationMean.clone();
  }

  /** Per-channel input normalization std stored in the metadata (default: none). */
  public float[] normalizationStd() {
    return normalizationStd.clone();
  }

  /** Model name for the metadata (default: the ONNX graph name). */
  public String name() {
    return name;
  }

  /** Model description for the metadata (default: the ONNX doc string). */
  public String description() {
    return description;
  }

  /** Stop the optimiser after this many applied patches, for bisecting a bad pass (default: no limit, −1). */
  public int maxPatches() {
    return maxPatches;
  }

  /** Check graph consistency after every patch (default: on when assertions are enabled). */
  public boolean checkGraph() {
    return checkGraph;
  }

  /**
   * Unstructured magnitude pruning: the fraction of Conv2D, FullyConnected and MatMul weights set to
   * zero, in [0, 1) (default 0: none). Pruned weights are stored sparsely where that is smaller.
   */
  public double prune() {
    return prune;
  }

  /** Scope of {@link #prune()}: per layer or global (default {@link PruneScope#LAYER}). */
  public PruneScope pruneScope() {
    return pruneScope;
  }

  /**
   * Whether {@link #prune()} also prunes the fragile layers it skips by default: grouped and
   * depthwise Conv2D, layers with at most 9 weights per output channel and layers with fewer than
   * 1,000 weights (default false: they are kept dense and the other layers make up their share).
   */
  public boolean pruneAllLayers() {
    return pruneAllLayers;
  }

  /**
   * Structured pruning: the fraction of output channels removed from each Conv2D and FullyConnected
   * whose channels can be followed to their readers, in [0, 1) (default 0: none).
   */
  public double pruneChannels() {
    return pruneChannels;
  }

  /** Filter norm ranking channels for {@link #pruneChannels()} (default {@link PruneNorm#L1}). */
  public PruneNorm pruneNorm() {
    return pruneNorm;
  }

  /**
   * Calibration inputs for pruning: a FLOAT32 tensor for the model's single input, walked along its
   * first dimension in batches of the model's batch size (default: the int8 {@link #calibration()}
   * when {@link #prune()} or {@link #pruneChannels()} is set, else none). With them
   * {@link #prune()} reconstructs layers and channel pruning re-fits the layers that lost input
   * channels ({@link PruneMethod#RECONSTRUCT}), or both correct biases ({@link PruneMethod#MAGNITUDE}).
   */
  public dev.topiary.Tensor pruneCalibration() {
    return pruneCalibration;
  }

  /**
   * How {@link #prune()} and {@link #pruneChannels()} work (default {@link PruneMethod#RECONSTRUCT} when
   * {@link #pruneCalibration()} is available, else {@link PruneMethod#MAGNITUDE}).
   */
  public PruneMethod pruneMethod() {
    return pruneMethod;
  }

  /** How the artifact is compressed after the passes (default {@link QuantizeMode#NONE}). */
  public QuantizeMode quantize() {
    return quantize;
  }

  /** Calibration samples for int8, FLOAT32 {@code [N, ...]} along the model's batch dimension (default: none). */
  public Tensor calibration() {
    return calibration;
  }

  /** How int8 calibration chooses activation ranges (default {@link CalibrationMethod#MINMAX}). */
  public CalibrationMethod calibrationMethod() {
    return calibrationMethod;
  }

  /** Names of artifact nodes that int8 quantization leaves in float (default: none). */
  public Set<String> keepFloat() {
    return keepFloat;
  }

  /**
   * Int8 automatic mixed precision: the largest allowed top-1 accuracy drop, in percentage points,
   * on {@link #evalSamples()} ({@link dev.topiary.converter.quantize.MixedPrecision}); null (the
   * default) quantizes every layer it can.
   */
  public Double maxAccuracyDrop() {
    return maxAccuracyDrop;
  }

  /** Evaluation samples of {@link #maxAccuracyDrop()}, FLOAT32 {@code [N, ...]} (default: none). */
  public Tensor evalSamples() {
    return evalSamples;
  }

  /** Class index of each of {@link #evalSamples()} (default: none). */
  public long[] evalLabels() {
    return evalLabels == null ? null : evalLabels.clone();
  }

  /** Builds {@link ConvertOptions}. */
  public static final class Builder {
    private final Map<String, int[]> inputShapes = new LinkedHashMap<>();
    private boolean optimize = true;
    private List<String> labels = new ArrayList<>();
    private float[] mean;
    private float[] std;
    private String name;
    private String description;
    private int maxPatches = -1;
    private boolean checkGraph = ConvertOptions.class.desiredAssertionStatus();
    private double prune;
    private PruneScope pruneScope = PruneScope.LAYER;
    private boolean pruneAllLayers;
    private double pruneChannels;
    private PruneNorm pruneNorm = PruneNorm.L1;
    private dev.topiary.Tensor pruneCalibration;
    private PruneMethod pruneMethod;
    private QuantizeMode quantize = QuantizeMode.NONE;
    private Tensor calibration;
    private CalibrationMethod calibrationMethod = CalibrationMethod.MINMAX;
    private Set<String> keepFloat = Set.of();
    private Double maxAccuracyDrop;
    private Tensor evalSamples;
    private long[] evalLabels;

    private Builder() {}

    /** Fixes the shape of input {@code name}; every dimension must be positive. */
    public Builder inputShape(String name, int... shape) {
      for (int d : shape) {
        if (d <= 0) {
          throw new IllegalArgumentException("input '" + name + "': dimensions must be positive, got "
              + java.util.Arrays.toString(shape));
        }
      }
      inputShapes.put(name, shape.clone());
      return this;
    }

    public Builder optimize(boolean optimize) {
      this.optimize = optimize;
      return this;
    }

    public Builder labels(List<String> labels) {
      this.labels = new ArrayList<>(labels);
      return this;
    }

    /** Sets mean and std, which must have the same length. */
    public Builder normalization(float[] mean, float[] std) {
      if (mean.length != std.length) {
        throw new IllegalArgumentException("normalization: " + mean.length + " means but " + std.length + " stds");
      }
      for (float s : std) {
        if (!(s > 0) || Float.isInfinite(s)) {
          throw new IllegalArgumentException("normalization std must be positive and finite, got " + s);
        }
      }
      this.mean = mean.clone();
      this.std = std.clone();
      return this;
    }

    public Builder name(String name) {
      this.name = name;
      return this;
    }

    public Builder description(String description) {
      this.description = description;
      return this;
    }

    public Builder maxPatches(int maxPatches) {
      this.maxPatches = maxPatches;
      return this;
    }

    public Builder checkGraph(boolean checkGraph) {
      this.checkGraph = checkGraph;
      return this;
    }

    /** Sets {@link ConvertOptions#prune()}; {@code sparsity} must lie in [0, 1). */
    public Builder prune(double sparsity) {
      this.prune = fraction("prune", "sparsity", sparsity);
      return this;
    }

    public Builder pruneScope(PruneScope scope) {
      this.pruneScope = java.util.Objects.requireNonNull(scope, "pruneScope");
      return this;
    }

    /** Sets {@link ConvertOptions#pruneAllLayers()}. */
    public Builder pruneAllLayers(boolean all) {
      this.pruneAllLayers = all;
      return this;
    }

    /** Sets {@link ConvertOptions#pruneChannels()}; {@code fraction} must lie in [0, 1). */
    public Builder pruneChannels(double fraction) {
      this.pruneChannels = fraction("pruneChannels", "fraction", fraction);
      return this;
    }

    /** Sets {@link ConvertOptions#pruneCalibration()} (null: the default). */
    public Builder pruneCalibration(dev.topiary.Tensor calibration) {
      this.pruneCalibration = calibration;
      return this;
    }

    /**
     * Sets {@link ConvertOptions#pruneMethod()} (null: the default); {@link PruneMethod#RECONSTRUCT}
     * needs calibration data, or {@link #build()} throws {@code IllegalArgumentException}.
     */
    public Builder pruneMethod(PruneMethod method) {
      this.pruneMethod = method;
      return this;
    }

    public Builder pruneNorm(PruneNorm norm) {
      this.pruneNorm = java.util.Objects.requireNonNull(norm, "pruneNorm");
      return this;
    }

    private static double fraction(String option, String what, double v) {
      if (!(v >= 0 && v < 1)) {
        throw new IllegalArgumentException(option + ": " + what + " must be in [0, 1), got " + v);
      }
      return v;
    }

    public Builder quantize(QuantizeMode mode) {
      this.quantize = java.util.Objects.requireNonNull(mode, "mode");
      return this;
    }

    public Builder calibration(Tensor samples) {
      this.calibration = samples;
      return this;
    }

    public Builder calibrationMethod(CalibrationMethod method) {
      this.calibrationMethod = java.util.Objects.requireNonNull(method, "method");
      return this;
    }

    public Builder keepFloat(Set<String> nodeNames) {
      this.keepFloat = Set.copyOf(nodeNames);
      return this;
    }

    /**
     * Sets {@link ConvertOptions#maxAccuracyDrop()} with the evaluation set it is measured on
     * ({@code maxDropPp} null: off).
     */
    public Builder maxAccuracyDrop(Double maxDropPp, Tensor samples, long[] labels) {
      if (maxDropPp != null && (maxDropPp.isNaN() || maxDropPp < 0 || samples == null || labels == null)) {
        throw new IllegalArgumentException("maxAccuracyDrop needs a non-negative budget, samples and labels");
      }
      this.maxAccuracyDrop = maxDropPp;
      this.evalSamples = maxDropPp == null ? null : samples;
      this.evalLabels = maxDropPp == null ? null : labels.clone();
      return this;
    }

    public ConvertOptions build() {
      return new ConvertOptions(this);
    }
  }
}
