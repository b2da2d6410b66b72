package dev.topiary.converter.report;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Matches the layers of two profiles of one model, "before" (e.g. the ONNX graph as imported) and
 * "after" (e.g. the optimised, quantized artifact), so that bytes, MACs and time can be compared
 * per layer. The converter names each artifact node after the ONNX node it was lowered from (the
 * exporter adds {@code _1}, {@code _2}, ... to keep names unique, and helper nodes get
 * {@code /suffix}es), so names carry the match through the passes:
 *
 * <ol>
 *   <li><b>name</b>: an after layer with exactly the name of a before layer;
 *   <li><b>base name</b>: names equal once trailing {@code _<digits>} uniqueness suffixes are
 *       removed, paired in execution order (e.g. a Flatten {@code /flatten/Flatten_1} lowered to the
 *       Reshape {@code /flatten/Flatten_1_1});
 *   <li><b>fused</b>: a before layer still unmatched whose input comes from a matched (or fused)
 *       before layer joins that layer's match: an activation fused into its Conv, a BatchNorm folded
 *       into it, the layout transposes the optimiser removed after it.
 * </ol>
 *
 * What remains is listed as unmatched on either side: before layers with no matched producer
 * (e.g. a transpose of the graph input that the optimiser removed) and after layers with no
 * before counterpart (e.g. the Quantize and Dequantize nodes of an int8 artifact). A layer renamed
 * by a pass that invents new names is reported as unmatched rather than guessed.
 */
public final class LayerMatch {
  /** How a group of layers was matched. */
  public enum How {
    NAME,
    BASE_NAME
  }

  /**
   * One after layer and the before layers it stands for.
   *
   * @param after the after layer
   * @param before the before layer matched to it by name (first), then those fused into it
   * @param how how the first before layer was matched
   */
  public record Group(Layer after, List<Layer> before, How how) {
    public long beforeBytes() {
      return before.stream().mapToLong(Layer::weightBytes).sum();
    }

    public long beforeMacs() {
      return before.stream().mapToLong(Layer::macs).sum();
    }

    public double beforeNanos() {
      return before.stream().mapToDouble(Layer::meanNanos).sum();
    }
  }

  /**
   * The matching.
   *
   * @param groups matched groups, in the after model's execution order
   * @param unmatchedBefore before layers with no counterpart (removed), in execution order
   * @param unmatchedAfter after layers with no counterpart (added), in execution order
   */
  public record Result(List<Group> groups, List<Layer> unmatchedBefore, List<Layer> unmatchedAfter) {}

  private static final Pattern UNIQUE_SUFFIX = Pattern.compile("(_[0-9]+)+$");

  private LayerMatch() {}

  /** Matches the layers of {@code before} and {@code after}. */
  public static Result match(List<Layer> before, List<Layer> after) {
    Map<Integer, Integer> groupOfBefore = new HashMap<>();
    Map<Integer, List<Layer>> members = new LinkedHashMap<>();
    Map<Integer, How> how = new HashMap<>();
    boolean[] afterUsed = new boolean[after.size()];

    Map<String, Integer> afterByName = new HashMap<>();
    for (Layer l : after) {
      afterByName.putIfAbsent(l.name(), l.position());
    }
    for (Layer b : before) {
      Integer a = afterByName.get(b.name());
      if (a != null && !afterUsed[a]) {
        afterUsed[a] = true;
        join(b, a, How.NAME, groupOfBefore, members, how);
      }
    }

    Map<String, Deque<Integer>> afterByBase = new HashMap<>();
    for (Layer l : after) {
      if (!afterUsed[l.position()]) {
        afterByBase.computeIfAbsent(base(l.name()), k -> new ArrayDeque<>()).add(l.position());
      }
    }
    for (Layer b : before) {
      if (groupOfBefore.containsKey(b.position())) {
        continue;
      }
      Deque<Integer> q = afterByBase.get(base(b.name()));
      if (q != null && !q.isEmpty()) {
        int a = q.poll();
        afterUsed[a] = true;
        join(b, a, How.BASE_NAME, groupOfBefore, members, how);
      }
    }

    List<Layer> removed = new ArrayList<>();
    for (Layer b : before) {
      if (groupOfBefore.containsKey(b.position())) {
        continue;
      }
      Integer target = null;
      for (int p : b.producers()) {
        target = groupOfBefore.get(p);
        if (target != null) {
          break;
        }
      }
      if (target == null) {
        removed.add(b);
      } else {
        groupOfBefore.put(b.position(), target);
        members.get(target).add(b);
      }
    }

    List<Group> groups = new ArrayList<>();
    List<Layer> added = new ArrayList<>();
    for (Layer a : after) {
      List<Layer> m = members.get(a.position());
      if (m == null) {
        added.add(a);
      } else {
        groups.add(new Group(a, List.copyOf(m), how.get(a.position())));
      }
    }
    return new Result(groups, removed, added);
  }

  /** {@code name} without trailing {@code _<digits>} uniqueness suffixes. */
  static String base(String name) {
    return UNIQUE_SUFFIX.matcher(name).replaceFirst("");
  }

  private static void join(Layer b, int a, How h, Map<Integer, Integer> groupOfBefore,
      Map<Integer, List<Layer>> members, Map<Integer, How> how) {
    groupOfBefore.put(b.position(), a);
    members.computeIfAbsent(a, k -> new ArrayList<>()).add(b);
    how.put(a, h);
  }
}
