package dev.topiary.converter.passes;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.Patch;
import java.util.Optional;

/**
 * One graph transformation. {@link #next} looks at the graph and returns a patch or nothing; the
 * {@link Optimizer} applies the patch and asks again until the pass has nothing left to do.
 */
public interface Pass {
  String name();

  Optional<Patch> next(Graph g, PassContext ctx) throws ConversionException;
}
