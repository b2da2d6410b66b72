package dev.topiary.converter.quantize;

import dev.topiary.Model;
import dev.topiary.ModelFormatException;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.quantization.QuantParams;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Automatic mixed precision for int8 ({@code convert --max-accuracy-drop PP}): keeps the fewest,
 * most sensitive layers in float so that the top-1 accuracy on an evaluation set drops by at most
 * {@code PP} percentage points against the float artifact.
 *
 * <ol>
 *   <li>Measure the float artifact's accuracy and the all-int8 one's (the user's {@code keepFloat}
 *       stays float throughout). Within budget: done, nothing more is kept in float.
 *   <li>Sensitivity of each quantizable layer (a node int8 rewrote that has weights or does
 *       arithmetic: not pools and data movement, which reuse their input's parameters and add no
 *       error): the accuracy, in points, that keeping <em>only that layer</em> in float recovers
 *       over all-int8. Chosen over "only that layer quantized" because it is measured in the
 *       context the search ends in (everything else int8, the error of the other layers flowing
 *       through), and over SQNR/KL because it is the very quantity the budget is about: a layer
 *       with poor SQNR whose error the argmax tolerates costs nothing. Ties (frequent: accuracy
 *       moves in steps of 1/N) are broken by the layer's output SQNR in the all-int8 model, lower
 *       first.
 *   <li>Greedy: add layers to float, most sensitive first, re-measuring the real accuracy after
 *       each addition, until the drop is within budget or every layer is float.
 * </ol>
 *
 * <p>Calibration runs once; each step rewrites the model (cheap) and runs it over the evaluation
 * set, so the search costs {@code 2 + layers + kept} evaluations at most.
 */
public final class MixedPrecision {
  /**
   * Sensitivity of one layer.
   *
   * @param node node name
   * @param op op type
   * @param accuracyKeptFloat top-1 accuracy with only this layer (and the user's) kept in float
   * @param recoveredPp accuracy recovered over all-int8 by keeping it float, in points
   * @param sqnrDb its output SQNR in the all-int8 model on the calibration data (null: unknown)
   */
  public record Layer(String node, String op, double accuracyKeptFloat, double recoveredPp, Double sqnrDb) {}

  /**
   * What the search did.
   *
   * @param budgetPp the allowed drop, in percentage points
   * @param floatAccuracy top-1 accuracy of the float artifact
   * @param int8Accuracy top-1 accuracy of the all-int8 artifact
   * @param finalAccuracy top-1 accuracy of the artifact written
   * @param evalSamples samples in the evaluation set
   * @param sensitivity every candidate layer, most sensitive first (empty when all-int8 was within budget)
   * @param keptFloat the layers the search kept in float, in the order it added them
   * @param evaluations how many times a model ran over the evaluation set
   * @param nanos wall time of the search (calibration included)
   */
  public record Report(double budgetPp, double floatAccuracy, double int8Accuracy, double finalAccuracy,
      int evalSamples, List<Layer> sensitivity, List<String> keptFloat, int evaluations, long nanos) {
    /** Drop of the all-int8 artifact, in points. */
    public double int8DropPp() {
      return 100 * (floatAccuracy - int8Accuracy);
    }

    /** Drop of the artifact written, in points. */
    public double finalDropPp() {
      return 100 * (floatAccuracy - finalAccuracy);
    }

    /** Whether the artifact written is within budget. */
    public boolean withinBudget() {
      return finalDropPp() <= budgetPp + 1e-9;
    }

    /** One line for the conversion notes. */
    public String note() {
      StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
          "mixed precision: int8 drops top-1 accuracy by %.2f pp (%.2f%% -> %.2f%%, %d samples), budget %.2f pp",
          int8DropPp(), 100 * floatAccuracy, 100 * int8Accuracy, evalSamples, budgetPp));
      if (keptFloat.isEmpty()) {
        b.append(sensitivity.isEmpty() ? "; all layers int8" : "");
      } else {
        List<String> why = new ArrayList<>();
        for (String n : keptFloat) {
          for (Layer l : sensitivity) {
            if (l.node().equals(n)) {
              why.add(String.format(Locale.ROOT, "%s (%s, recovers %+.2f pp alone%s)", n, l.op(), l.recoveredPp(),
                  l.sqnrDb() == null ? "" : String.format(Locale.ROOT, ", int8 SQNR %.1f dB", l.sqnrDb())));
            }
          }
        }
        b.append("; kept in float: ").append(String.join(", ", why));
      }
      b.append(String.format(Locale.ROOT, "; final drop %.2f pp%s (%d evaluations, %.1f s)", finalDropPp(),
          withinBudget() ? "" : ", over budget even with every layer float", evaluations, nanos / 1e9));
      return b.toString();
    }
  }

  /** The quantized artifact and the search's report. */
  public record Result(Quantizer.Result quantized, Report report) {}

  private MixedPrecision() {}

  /**
   * Quantizes {@code fp32} to int8 with options {@code o}, keeping layers in float until the top-1
   * accuracy on {@code evalX} (labels {@code evalLabels}) drops by at most {@code maxDropPp}.
   *
   * @throws ConversionException if the data does not fit the model, a label is out of range, or
   *     the runtime rejects a model
   */
  public static Result search(byte[] fp32, Quantizer.Options o, Tensor evalX, long[] evalLabels, double maxDropPp)
      throws ConversionException {
    if (o.mode() != QuantizeMode.INT8) {
      throw new ConversionException("--max-accuracy-drop applies to int8 quantization");
    }
    long t0 = System.nanoTime();
    int[] evals = {0};
    try {
      double accF = accuracy(fp32, evalX, evalLabels, evals);
      Quantizer.Result all = Quantizer.apply(fp32, o);
      double acc8 = accuracy(all.artifact(), evalX, evalLabels, evals);
      if (100 * (accF - acc8) <= maxDropPp + 1e-9) {
        return new Result(all, new Report(maxDropPp, accF, acc8, acc8, evalLabels.length, List.of(), List.of(),
            evals[0], System.nanoTime() - t0));
      }
      Map<Integer, QuantParams> params = Int8Rewriter.calibrate(fp32, o);
      List<LayerReport> candidates = new ArrayList<>();
      for (LayerReport l : all.layers()) {
        boolean int8 = !l.dtypeAfter().equals(l.dtypeBefore()) && l.dtypeAfter().equals("INT8");
        if (int8 && !Int8Rewriter.SAME_PARAMS.contains(l.op()) && !o.keepFloat().contains(l.node())) {
          candidates.add(l);
        }
      }
      // The per-layer measurements are independent: one task per layer, one single-threaded
      // session each, on up to as many threads as there are processors.
      List<Callable<Layer>> tasks = new ArrayList<>();
      for (LayerReport l : candidates) {
        tasks.add(() -> {
          double a = accuracy(Int8Rewriter.rewriteCalibrated(fp32, with(o, Set.of(l.node())), params), evalX,
              evalLabels, null);
          return new Layer(l.node(), l.op(), a, 100 * (a - acc8), l.sqnrDb());
        });
      }
      List<Layer> layers = new ArrayList<>();
      int threads = Math.max(1, Math.min(tasks.size(), Runtime.getRuntime().availableProcessors()));
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        for (Future<Layer> f : pool.invokeAll(tasks)) {
          layers.add(f.get());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ConversionException("mixed precision: interrupted", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof ConversionException c) {
          throw c;
        }
        if (e.getCause() instanceof ModelFormatException m) {
          throw m;
        }
        throw new ConversionException("mixed precision: " + e.getCause(), e.getCause());
      } finally {
        pool.shutdownNow();
      }
      evals[0] += layers.size();
      layers.sort(Comparator.comparingDouble((Layer l) -> -l.recoveredPp())
          .thenComparingDouble(l -> l.sqnrDb() == null ? Double.POSITIVE_INFINITY : l.sqnrDb()));
      Set<String> kept = new LinkedHashSet<>();
      double acc = acc8;
      for (Layer l : layers) {
        kept.add(l.node());
        acc = accuracy(Int8Rewriter.rewriteCalibrated(fp32, with(o, kept), params), evalX, evalLabels, evals);
        if (100 * (accF - acc) <= maxDropPp + 1e-9) {
          break;
        }
      }
      Quantizer.Result fin = Quantizer.apply(fp32, with(o, kept));
      return new Result(fin, new Report(maxDropPp, accF, acc8, acc, evalLabels.length, List.copyOf(layers),
          List.copyOf(kept), evals[0], System.nanoTime() - t0));
    } catch (ModelFormatException e) {
      throw new ConversionException("mixed precision: " + e.getMessage(), e);
    }
  }

  private static Quantizer.Options with(Quantizer.Options o, Set<String> more) {
    Set<String> k = new LinkedHashSet<>(o.keepFloat());
    k.addAll(more);
    return new Quantizer.Options(o.mode(), o.calibration(), o.method(), k);
  }

  /** Top-1 accuracy of {@code artifact}'s first output, read as {@code [B, classes]} scores. */
  static double accuracy(byte[] artifact, Tensor x, long[] labels, int[] evals)
      throws ModelFormatException, ConversionException {
    if (evals != null) {
      evals[0]++;
    }
    try (Model m = Model.load(ByteBuffer.wrap(artifact))) {
      String why = BatchRunner.mismatch(m, x);
      if (why != null) {
        throw new ConversionException("evaluation data: " + why);
      }
      int n = x.shape().dims()[0];
      if (labels.length != n) {
        throw new ConversionException("evaluation data: " + labels.length + " labels for " + n + " samples");
      }
      int batch = m.inputs().get(0).shape().dims()[0];
      int k = m.outputs().get(0).shape().elementCount() / batch;
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] < 0 || labels[i] >= k) {
          throw new ConversionException("evaluation labels: label " + labels[i] + " at index " + i
              + " is outside the model's " + k + " classes");
        }
      }
      String out = m.outputs().get(0).name();
      int[] correct = {0};
      BatchRunner.run(m, x, 1, (first, valid, outputs) -> {
        float[] y = outputs.get(out).toFloatArray();
        for (int b = 0; b < valid; b++) {
          int best = 0;
          for (int c = 1; c < k; c++) {
            if (y[b * k + c] > y[b * k + best]) {
              best = c;
            }
          }
          correct[0] += best == labels[first + b] ? 1 : 0;
        }
      });
      return (double) correct[0] / n;
    }
  }
}
