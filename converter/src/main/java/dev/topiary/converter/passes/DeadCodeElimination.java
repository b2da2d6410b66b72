package dev.topiary.converter.passes;

import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Patch;
import java.util.Optional;

/** Removes nodes no graph output depends on, renumbering the rest in topological order. */
public final class DeadCodeElimination implements Pass {
  @Override
  public String name() {
    return "dead-code-elimination";
  }

  @Override
  public Optional<Patch> next(Graph g, PassContext ctx) {
    int live = g.order().length;
    int kept = live;
    for (int in : g.inputs()) {
      kept += g.isLive(in) ? 0 : 1;
    }
    if (kept == g.size()) {
      return Optional.empty();
    }
    return Optional.of(Patch.compaction(g, "remove " + (g.size() - kept) + " dead nodes"));
  }
}
