package dev.topiary.converter.prune;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.passes.PassContext;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the pruning {@link ConvertOptions} ask for on a lowered graph, channel pruning first (it
 * changes shapes), then unstructured pruning, and notes what each did in the conversion summary.
 * Unstructured pruning is {@link Reconstruction} or {@link MagnitudePruning} as
 * {@link ConvertOptions#pruneMethod()} says. With calibration data
 * ({@link ConvertOptions#pruneCalibration()}) and the reconstruct method, channel pruning re-fits
 * the layers that lost input channels ({@link ChannelReconstruction}) and unstructured pruning
 * reconstructs each layer ({@link Reconstruction}); with the magnitude method both correct the
 * biases of the layers they changed ({@link BiasCorrection}).
 */
public final class Pruner {
  private Pruner() {}

  /** Input means of the linear ops of {@code g} over the calibration data, or null without it. */
  private static Map<Outlet, float[]> means(Graph g, ConvertOptions o, PassContext ctx) throws ConversionException {
    if (o.pruneCalibration() == null) {
      return null;
    }
    ctx.note("pruning: biases corrected with the mean activations of " + o.pruneCalibration().shape().dims()[0]
        + " calibration samples");
    return BiasCorrection.means(g, o.pruneCalibration());
  }

  /** True when {@code o} asks for any pruning. */
  public static boolean requested(ConvertOptions o) {
    return o.prune() > 0 || o.pruneChannels() > 0;
  }

  /** Prunes {@code g} in place as {@code o} asks, adding notes to {@code ctx}. */
  public static void apply(Graph g, ConvertOptions o, PassContext ctx) throws ConversionException {
    if (!requested(o)) {
      return;
    }
    if (o.pruneChannels() > 0) {
      long before = Macs.of(g);
      long t0 = System.nanoTime();
      ChannelPruning.Norm norm =
          o.pruneNorm() == ConvertOptions.PruneNorm.L2 ? ChannelPruning.Norm.L2 : ChannelPruning.Norm.L1;
      List<ChannelPruning.Layer> layers;
      List<ChannelReconstruction.Refit> refits = List.of();
      java.util.Set<String> selected = java.util.Set.of();
      if (o.pruneCalibration() != null && o.pruneMethod() == ConvertOptions.PruneMethod.RECONSTRUCT) {
        ChannelReconstruction.Result r = ChannelReconstruction.apply(g, o.pruneChannels(), norm, o.pruneCalibration());
        layers = r.layers();
        refits = r.refits();
        selected = r.selected();
      } else {
        layers = ChannelPruning.apply(g, o.pruneChannels(), norm, means(g, o, ctx));
      }
      int pruned = 0;
      for (ChannelPruning.Layer l : layers) {
        if (l.skipped() == null) {
          pruned++;
          ctx.note(String.format(Locale.ROOT, "channel pruning: '%s' keeps %d of %d output channels (%s)",
              l.node(), l.channelsAfter(), l.channelsBefore(), selected.contains(l.node())
                  ? "chosen by the re-fit error of its readers" : "smallest filter norms removed"));
        } else {
          ctx.note("channel pruning: '" + l.node() + "' left alone: " + l.skipped());
        }
      }
      for (ChannelReconstruction.Refit r : refits) {
        if (r.fallback() != null) {
          ctx.note(String.format(Locale.ROOT, "channel pruning: '%s' not re-fitted (%s): weights as channel pruning"
              + " left them, bias mean-corrected if it has one",
              r.node(), r.fallback()));
        } else {
          ctx.note(String.format(Locale.ROOT, "channel pruning: '%s' re-fitted on %d of %d inputs (%d outputs),"
              + " relative output error %.4f -> %.4f", r.node(), r.inputsAfter(), r.inputsBefore(), r.outputs(),
              r.errorBefore(), r.errorAfter()));
        }
      }
      if (!refits.isEmpty()) {
        ctx.note(String.format(Locale.ROOT, "channel pruning: %d layers re-fitted by least squares on %d calibration"
            + " samples in %.1f s", refits.stream().filter(r -> r.fallback() == null).count(),
            o.pruneCalibration().shape().dims()[0], (System.nanoTime() - t0) / 1e9));
      }
      long after = Macs.of(g);
      ctx.note(String.format(Locale.ROOT, "channel pruning (%s, %.0f%%): %d layers pruned, MACs %,d -> %,d (-%.1f%%)",
          selected.isEmpty() ? o.pruneNorm().name().toLowerCase(Locale.ROOT) : "re-fit error",
          100 * o.pruneChannels(), pruned, before, after,
          before == 0 ? 0.0 : 100.0 * (before - after) / before));
    }
    if (o.prune() > 0) {
      if (o.pruneMethod() == ConvertOptions.PruneMethod.RECONSTRUCT) {
        reconstruct(g, o, ctx);
        return;
      }
      List<MagnitudePruning.Layer> layers = MagnitudePruning.apply(g, o.prune(),
          o.pruneScope() == ConvertOptions.PruneScope.GLOBAL, o.pruneAllLayers(), means(g, o, ctx));
      long total = 0;
      long zeros = 0;
      long prunable = 0;
      long prunableZeros = 0;
      int pruned = 0;
      for (MagnitudePruning.Layer l : layers) {
        total += l.count();
        zeros += l.zerosAfter();
        if (l.skipped() == null) {
          pruned++;
          prunable += l.count();
          prunableZeros += l.zerosAfter();
          ctx.note(String.format(Locale.ROOT, "magnitude pruning: '%s' weights %.1f%% zero (%d of %d)",
              l.node(), 100.0 * l.zerosAfter() / Math.max(1, l.count()), l.zerosAfter(), l.count()));
        } else {
          ctx.note(String.format(Locale.ROOT, "magnitude pruning: '%s' kept dense (%s; --prune-all-layers prunes it)",
              l.node(), l.skipped()));
        }
      }
      ctx.note(String.format(Locale.ROOT, "magnitude pruning (%s, %.0f%%): %d of %d weight tensors pruned, %d of %d"
          + " weights zero (%.1f%% overall, %.1f%% of the pruned layers)",
          o.pruneScope().name().toLowerCase(Locale.ROOT), 100 * o.prune(), pruned, layers.size(), zeros, total,
          100.0 * zeros / Math.max(1, total), 100.0 * prunableZeros / Math.max(1, prunable)));
    }
  }

  private static void reconstruct(Graph g, ConvertOptions o, PassContext ctx) throws ConversionException {
    long t0 = System.nanoTime();
    List<Reconstruction.Layer> layers = Reconstruction.apply(g, o.prune(),
        o.pruneScope() == ConvertOptions.PruneScope.GLOBAL, o.pruneAllLayers(), o.pruneCalibration());
    long total = 0;
    long zeros = 0;
    long prunable = 0;
    long prunableZeros = 0;
    int pruned = 0;
    for (Reconstruction.Layer l : layers) {
      total += l.count();
      zeros += l.zerosAfter();
      if (l.skipped() != null) {
        ctx.note(String.format(Locale.ROOT,
            "reconstruction pruning: '%s' kept dense (%s; --prune-all-layers prunes it)", l.node(), l.skipped()));
        continue;
      }
      pruned++;
      prunable += l.count();
      prunableZeros += l.zerosAfter();
      if (l.fallback() != null) {
        ctx.note(String.format(Locale.ROOT, "reconstruction pruning: '%s' weights %.1f%% zero (%d of %d) by magnitude"
            + " (%s)", l.node(), 100.0 * l.zerosAfter() / Math.max(1, l.count()), l.zerosAfter(), l.count(),
            l.fallback()));
      } else {
        ctx.note(String.format(Locale.ROOT, "reconstruction pruning: '%s' weights %.1f%% zero (%d of %d), relative"
            + " output error %.4f by magnitude -> %.4f reconstructed", l.node(),
            100.0 * l.zerosAfter() / Math.max(1, l.count()), l.zerosAfter(), l.count(), l.errorMagnitude(),
            l.errorReconstructed()));
      }
    }
    ctx.note(String.format(Locale.ROOT, "reconstruction pruning (%s, %.0f%%, %d calibration samples, %.1f s): %d of %d"
        + " weight tensors pruned, %d of %d weights zero (%.1f%% overall, %.1f%% of the pruned layers)",
        o.pruneScope().name().toLowerCase(Locale.ROOT), 100 * o.prune(), o.pruneCalibration().shape().dims()[0],
        (System.nanoTime() - t0) / 1e9, pruned, layers.size(), zeros, total, 100.0 * zeros / Math.max(1, total),
        100.0 * prunableZeros / Math.max(1, prunable)));
  }
}
