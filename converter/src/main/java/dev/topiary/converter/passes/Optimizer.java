package dev.topiary.converter.passes;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.GraphCheck;
import dev.topiary.converter.ir.Patch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Runs passes in order; each pass runs until it returns no patch. Every patch of an optional pass
 * counts as one step; with a step limit the optimiser applies no more optional patches after that
 * many, while the required passes (shape inference, GELU recognition, lowering, dead-code
 * elimination) still run, so every limit gives a valid artifact and a bad patch can be found by
 * bisection over the limit. See docs/PASSES.md.
 */
public final class Optimizer {
  /** Passes always run: what a valid artifact needs. */
  public static List<Pass> required() {
    return List.of(new ShapeInference(), new GeluFusion(), new LowerToRuntime(), new DeadCodeElimination());
  }

  /** The full optimising pipeline, in order. */
  public static List<Pass> optimizing() {
    return List.of(new ShapeInference(), new DeadCodeElimination(), new IdentityRemoval(), new ConstantFolding(),
        new GeluFusion(), new HardSwishFusion(), new BatchNormFolding(), new DeadCodeElimination(),
        new LowerToRuntime(), new TransposeSinking(), new ActivationFusion(), new DeadCodeElimination());
  }

  private final List<Pass> passes;
  private final int maxPatches;
  private final boolean check;
  private final List<String> log = new ArrayList<>();
  private int applied;
  private boolean stopped;

  /** True for the passes a valid artifact needs, which a step limit never stops. */
  public static boolean isRequired(Pass p) {
    return p instanceof ShapeInference || p instanceof GeluFusion || p instanceof LowerToRuntime
        || p instanceof DeadCodeElimination;
  }

  /** {@code maxPatches} &lt; 0: no limit. */
  public Optimizer(List<Pass> passes, int maxPatches, boolean check) {
    this.passes = List.copyOf(passes);
    this.maxPatches = maxPatches;
    this.check = check;
  }

  /** Runs the passes; returns the final graph (dead-code elimination makes a new one). */
  public Graph run(Graph g, PassContext ctx) throws ConversionException {
    for (Pass p : passes) {
      while (true) {
        boolean required = isRequired(p);
        if (!required && maxPatches >= 0 && applied >= maxPatches) {
          if (!stopped) {
            log.add("stopped optional passes after " + applied + " patches");
            stopped = true;
          }
          break;
        }
        Optional<Patch> patch = p.next(g, ctx);
        if (patch.isEmpty() || patch.get().isEmpty()) {
          break;
        }
        g = patch.get().apply();
        if (!required) {
          applied++;
        }
        log.add(p.name() + ": " + patch.get().description());
        if (check) {
          GraphCheck.check(g);
        }
      }
    }
    return g;
  }

  /** One line per applied patch: pass name and what it did. */
  public List<String> log() {
    return Collections.unmodifiableList(log);
  }

  /** Number of optional patches applied. */
  public int applied() {
    return applied;
  }
}
