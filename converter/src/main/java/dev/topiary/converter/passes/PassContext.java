package dev.topiary.converter.passes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What passes share: the static input shapes requested by the caller, and notes for the summary. */
public final class PassContext {
  private final Map<String, int[]> inputShapes;
  private final List<String> notes = new ArrayList<>();

  public PassContext(Map<String, int[]> inputShapes) {
    this.inputShapes = new LinkedHashMap<>(inputShapes);
  }

  public static PassContext empty() {
    return new PassContext(Map.of());
  }

  public Map<String, int[]> inputShapes() {
    return Collections.unmodifiableMap(inputShapes);
  }

  public void note(String note) {
    if (!notes.contains(note)) {
      notes.add(note);
    }
  }

  public List<String> notes() {
    return Collections.unmodifiableList(notes);
  }
}
