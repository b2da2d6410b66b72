package dev.topiary.converter.ir;

/** An edge end: output {@code slot} of node {@code node}. {@link #NONE} marks an omitted optional input. */
public record Outlet(int node, int slot) {
  /** An omitted optional input. */
  public static final Outlet NONE = new Outlet(-1, 0);

  public boolean isNone() {
    return node < 0;
  }

  @Override
  public String toString() {
    return isNone() ? "none" : node + ":" + slot;
  }
}
