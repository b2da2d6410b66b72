package dev.topiary.converter.prune;

import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ir.Attributes;
import dev.topiary.converter.ir.DType;
import dev.topiary.converter.ir.Dialect;
import dev.topiary.converter.ir.Graph;
import dev.topiary.converter.ir.IrOps;
import dev.topiary.converter.ir.Node;
import dev.topiary.converter.ir.Outlet;
import dev.topiary.converter.ir.Patch;
import dev.topiary.converter.ir.TensorValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Structured (filter) pruning: for each Conv2D (ungrouped) and FullyConnected with constant
 * weights, removes the {@code floor(fraction·O)} output channels whose filters have the smallest L1
 * or L2 norm (at least one channel stays), and follows the removed channels downstream to the layers
 * that read them:
 *
 * <ul>
 *   <li>through BatchNorm (its four parameter vectors lose the channels), elementwise activations,
 *       max/average/global pooling, transposes and shape ops that merge the channel axis with
 *       others (reshape, flatten, squeeze, unsqueeze: the channel then recurs with a stride, as in a
 *       flatten before a classifier);
 *   <li>through depthwise Conv2D, which loses the same channels (filters and bias) and passes the
 *       removal on;
 *   <li>ending at a Conv2D (ungrouped: its weights lose the input channels), a FullyConnected (its
 *       weight columns) or a MatMul with constant B (its rows).
 * </ul>
 *
 * Channels that meet at a residual Add (two computed inputs of one shape) are pruned consistently:
 * every producer feeding the Add (through activations and BatchNorm) joins one group, the group
 * removes the same channels chosen by the filter norms summed over its members, and the removal
 * goes on past the Add once. A producer whose channels reach anything else (a graph output, another
 * binary op, a Concat, a Softmax, a shared constant) is left alone, with its whole group. Each group
 * is one patch; groups are formed in topological order, so a layer that lost input channels may then
 * lose output channels too. A {@link Trace} can replace the filter norms by a data-driven choice
 * ({@link Selector}) and records what was removed, for {@link ChannelReconstruction}.
 */
public final class ChannelPruning {
  /** Filter norm used to rank output channels. */
  public enum Norm { L1, L2 }

  /** What happened to one producer. */
  public record Layer(String node, int channelsBefore, int channelsAfter, String skipped) {}

  private static final Set<String> UNARY =
      Set.of("Relu", "Relu6", "Clip", "Sigmoid", "Tanh", "HardSwish", "LeakyRelu", "Gelu");

  private ChannelPruning() {}

  /** Prunes {@code g} in place without bias correction; one entry per candidate layer. */
  public static List<Layer> apply(Graph g, double fraction, Norm norm) throws ConversionException {
    return apply(g, fraction, norm, null);
  }

  /**
   * Prunes {@code g} in place; one entry per candidate layer. With {@code means} (from
   * {@link BiasCorrection#means} on the unpruned graph) each reader that loses input channels adds
   * their mean contribution to its bias, when it has a bias.
   */
  public static List<Layer> apply(Graph g, double fraction, Norm norm, Map<Outlet, float[]> means)
      throws ConversionException {
    return apply(g, fraction, norm, means, null);
  }

  /**
   * As {@link #apply(Graph, double, Norm, Map)}, recording in {@code trace} (when not null) the
   * readers that lost input channels and the output channels each pruned producer kept.
   */
  static List<Layer> apply(Graph g, double fraction, Norm norm, Map<Outlet, float[]> means, Trace trace)
      throws ConversionException {
    List<Layer> out = new ArrayList<>();
    Set<Integer> done = new HashSet<>();
    for (int id : g.order()) {
      Node n = g.node(id);
      if (done.contains(id) || !isProducer(g, n)) {
        continue;
      }
      // The producers whose channels meet this one's at residual Adds are pruned together.
      List<Node> group = new ArrayList<>();
      String why = group(g, n, group);
      done.add(id);
      int o = g.fact(n.input(1)).shape()[0];
      if (why != null) {
        out.add(new Layer(n.name(), o, o, why));
        continue;
      }
      for (Node m : group) {
        done.add(m.id());
      }
      int remove = Math.min((int) Math.floor(fraction * o), o - 1);
      if (remove <= 0) {
        continue;
      }
      boolean[] keep = null;
      if (trace != null && trace.selector != null) {
        Edits probe = new Edits();
        boolean[] all = new boolean[o];
        Arrays.fill(all, true);
        Set<Integer> probeJoined = new HashSet<>();
        for (Node m : group) {
          follow(g, m.out(0), m.fact(0).rank() - 1, o, 1, all, probe, probeJoined, null);
        }
        keep = trace.selector.choose(probe.readers, o, remove);
        if (keep != null) {
          for (Node m : group) {
            trace.selected.add(m.name());
          }
        }
      }
      if (keep == null) {
        keep = choose(g, group, remove, norm);
      }
      Edits e = new Edits();
      e.means = means;
      Set<Integer> joined = new HashSet<>();
      for (Node m : group) {
        e.slice(g, m.input(1), 0, keep);
        if (!m.input(2).isNone()) {
          e.slice(g, m.input(2), 0, keep);
        }
        if (why == null) {
          why = follow(g, m.out(0), m.fact(0).rank() - 1, o, 1, keep, e, joined, null);
        }
      }
      if (why != null) {
        out.add(new Layer(n.name(), o, o, why));
        continue;
      }
      Patch p = new Patch(g, "remove " + remove + " output channels of " + names(group));
      for (Map.Entry<Integer, Object> x : e.ops.entrySet()) {
        Object v = x.getValue();
        p.setOp(x.getKey(), v instanceof TensorValue ? IrOps.constant((TensorValue) v)
            : g.node(x.getKey()).op().withAttrs((Attributes) v));
      }
      p.apply();
      for (Node m : group) {
        out.add(new Layer(m.name(), o, o - remove, null));
        if (trace != null) {
          trace.kept.put(m.id(), keep);
        }
      }
      if (trace != null) {
        trace.readers.addAll(e.readers.keySet());
      }
    }
    return out;
  }

  private static String names(List<Node> group) {
    StringBuilder sb = new StringBuilder();
    for (Node m : group) {
      sb.append(sb.length() == 0 ? "" : ", ").append('\'').append(m.name()).append('\'');
    }
    return sb.toString();
  }

  /** An ungrouped Conv2D or a FullyConnected with private FLOAT32 constant weights (and bias). */
  private static boolean isProducer(Graph g, Node n) {
    if (n.op().dialect() != Dialect.RUNTIME) {
      return false;
    }
    String type = n.op().type();
    boolean conv = type.equals("Conv2D") && n.op().attrs().i("group", 1) == 1;
    if (!conv && !type.equals("FullyConnected")) {
      return false;
    }
    return isPrivateConst(g, n.input(1)) && g.fact(n.input(1)).dtype() == DType.FLOAT32
        && (n.input(2).isNone() || isPrivateConst(g, n.input(2)));
  }

  /**
   * Collects into {@code group} the producers whose channels must be pruned with {@code n}'s: those
   * feeding, through channel-preserving ops, the residual Adds that {@code n}'s channels reach.
   * Returns null, or why {@code n} must be left alone.
   */
  private static String group(Graph g, Node n, List<Node> group) {
    group.add(n);
    int o = g.fact(n.input(1)).shape()[0];
    boolean[] all = new boolean[o];
    Arrays.fill(all, true);
    for (int k = 0; k < group.size(); k++) {
      Node m = group.get(k);
      if (g.fact(m.input(1)).shape()[0] != o) {
        return "the layers meeting at its residual Adds have different channel counts";
      }
      List<Node> adds = new ArrayList<>();
      String why = follow(g, m.out(0), m.fact(0).rank() - 1, o, 1, all, new Edits(), new HashSet<>(), adds);
      if (why != null) {
        return why;
      }
      for (Node add : adds) {
        for (Outlet in : add.inputs()) {
          Node src = upstreamProducer(g, in);
          if (src == null) {
            return "'" + add.name() + "' adds channels that do not come from a prunable layer";
          }
          if (!group.contains(src)) {
            group.add(src);
          }
        }
      }
    }
    return null;
  }

  /** The producer an Add input comes from through activations and BatchNorm, or null. */
  private static Node upstreamProducer(Graph g, Outlet o) {
    for (int guard = 0; guard < 1000 && !o.isNone(); guard++) {
      Node n = g.node(o.node());
      if (isProducer(g, n)) {
        return n;
      }
      if (n.op().dialect() != Dialect.RUNTIME || !(UNARY.contains(n.op().type()) || n.op().type().equals("BatchNorm"))) {
        return null;
      }
      o = n.input(0);
    }
    return null;
  }

  /** Keeps all channels but the {@code remove} with the smallest summed filter norm over the group. */
  private static boolean[] choose(Graph g, List<Node> group, int remove, Norm norm) {
    double[] score = null;
    for (Node m : group) {
      double[] s = scores(g.fact(m.input(1)).value(), norm);
      if (score == null) {
        score = s;
      } else {
        for (int c = 0; c < s.length; c++) {
          score[c] += s[c];
        }
      }
    }
    return keepAllBut(score, remove);
  }

  /** Per output channel (axis 0), the L1 norm or the squared L2 norm of its filter. */
  static double[] scores(TensorValue w, Norm norm) {
    int o = w.shape()[0];
    int per = w.count() / o;
    double[] score = new double[o];
    for (int c = 0; c < o; c++) {
      double s = 0;
      for (int i = 0; i < per; i++) {
        float v = w.floatAt(c * per + i);
        s += norm == Norm.L1 ? Math.abs(v) : (double) v * v;
      }
      score[c] = s;
    }
    return score;
  }

  /** All channels but the {@code remove} with the smallest score (ties: the later index goes). */
  static boolean[] keepAllBut(double[] score, int remove) {
    int o = score.length;
    Integer[] idx = new Integer[o];
    for (int c = 0; c < o; c++) {
      idx[c] = c;
    }
    Arrays.sort(idx, (a, b) -> {
      int cmp = Double.compare(score[a], score[b]);
      return cmp != 0 ? cmp : Integer.compare(b, a);
    });
    boolean[] keep = new boolean[o];
    Arrays.fill(keep, true);
    for (int i = 0; i < remove; i++) {
      keep[idx[i]] = false;
    }
    return keep;
  }

  /**
   * Follows channels {@code keep} of outlet {@code o} downstream, recording edits. Along axis
   * {@code axis}, index {@code j} belongs to channel {@code (j / inner) % channels}. Residual Adds
   * are followed once ({@code joined}); when {@code adds} is not null they are collected there (the
   * group discovery). Returns null on success, else why the producer must be left alone.
   */
  private static String follow(Graph g, Outlet o, int axis, int channels, int inner, boolean[] keep, Edits e,
      Set<Integer> joined, List<Node> adds) {
    if (g.isOutput(o)) {
      return "its channels reach the graph output";
    }
    List<Node> consumers = g.consumers(o);
    if (consumers.isEmpty()) {
      return "its output is unused";
    }
    Set<Integer> seen = new HashSet<>();
    for (Node c : consumers) {
      if (!seen.add(c.id())) {
        return "'" + c.name() + "' reads its channels twice";
      }
      int[] in = g.fact(o).shape();
      if (c.op().dialect() == Dialect.RUNTIME && c.op().type().equals("Add") && c.inputs().size() == 2
          && !c.input(0).equals(c.input(1))
          && Arrays.equals(g.fact(c.input(0)).shape(), g.fact(c.input(1)).shape())
          && !g.fact(c.input(0)).isConstant() && !g.fact(c.input(1)).isConstant()) {
        // A residual Add: every input's producer is pruned alike (the group), the sum goes on once.
        if (adds != null && !adds.contains(c)) {
          adds.add(c);
        }
        if (joined.add(c.id())) {
          String why = follow(g, c.out(0), axis, channels, inner, keep, e, joined, adds);
          if (why != null) {
            return why;
          }
        }
        continue;
      }
      if (c.op().dialect() != Dialect.RUNTIME || !c.input(0).equals(o)) {
        return "'" + c.name() + "' (" + c.op().type() + ") reads its channels in a way pruning cannot follow";
      }
      boolean plain = inner == 1 && in[axis] == channels;
      String t = c.op().type();
      String why;
      if (UNARY.contains(t)) {
        why = follow(g, c.out(0), axis, channels, inner, keep, e, joined, adds);
      } else if (t.equals("BatchNorm")) {
        long a = c.op().attrs().i("axis", -1);
        if (!plain || (a < 0 ? a + in.length : a) != axis) {
          return "'" + c.name() + "' normalizes another axis";
        }
        for (int i = 1; i <= 4; i++) {
          if (!isPrivateConst(g, c.input(i))) {
            return "'" + c.name() + "' has a shared or computed parameter";
          }
          e.slice(g, c.input(i), 0, keep);
        }
        why = follow(g, c.out(0), axis, channels, inner, keep, e, joined, adds);
      } else if (t.equals("MaxPool") || t.equals("AvgPool") || t.equals("GlobalAvgPool")) {
        why = plain && axis == 3 ? follow(g, c.out(0), axis, channels, inner, keep, e, joined, adds)
            : "'" + c.name() + "' pools across channels";
      } else if (t.equals("Transpose")) {
        if (!plain) {
          return "'" + c.name() + "' transposes a merged channel axis";
        }
        long[] perm = c.op().attrs().ints("perm");
        int to = -1;
        for (int k = 0; k < perm.length; k++) {
          if (perm[k] == axis) {
            to = k;
          }
        }
        why = follow(g, c.out(0), to, channels, inner, keep, e, joined, adds);
      } else if (t.equals("Reshape") || t.equals("Flatten") || t.equals("Squeeze") || t.equals("Unsqueeze")) {
        int[] outShape = c.fact(0).shape();
        int[] m = mergedAxis(in, axis, outShape);
        if (m == null) {
          return "'" + c.name() + "' splits the channel axis";
        }
        if (t.equals("Reshape")) {
          int kept = count(keep);
          int[] ns = outShape.clone();
          ns[m[0]] = ns[m[0]] / channels * kept;
          e.ops.put(c.id(), c.op().attrs().toBuilder().set("shape", ns).build());
        }
        why = follow(g, c.out(0), m[0], channels, inner * m[1], keep, e, joined, adds);
      } else if (t.equals("Conv2D")) {
        if (!plain || axis != 3 || !isPrivateConst(g, c.input(1))) {
          return "'" + c.name() + "' cannot lose input channels";
        }
        int[] w = g.fact(c.input(1)).shape();
        int group = (int) c.op().attrs().i("group", 1);
        if (group == 1) {
          e.readers.put(c.id(), new int[] {1, channels});
          e.correct(g, c, o, keep);
          e.slice(g, c.input(1), 3, keep);
          why = null;
        } else if (group == channels && w[3] == 1 && w[0] == channels) {
          // Depthwise: the same channels go from its filters and bias, and the removal goes on.
          e.slice(g, c.input(1), 0, keep);
          if (!c.input(2).isNone()) {
            if (!isPrivateConst(g, c.input(2))) {
              return "'" + c.name() + "' has a shared bias";
            }
            e.slice(g, c.input(2), 0, keep);
          }
          e.ops.put(c.id(), c.op().attrs().toBuilder().set("group", (long) count(keep)).build());
          why = follow(g, c.out(0), 3, channels, 1, keep, e, joined, adds);
        } else {
          return "'" + c.name() + "' is a grouped convolution";
        }
      } else if (t.equals("FullyConnected") || t.equals("MatMul")) {
        int b = 1;
        if (axis != in.length - 1 || !isPrivateConst(g, c.input(b))) {
          return "'" + c.name() + "' does not read the channels along its depth";
        }
        int[] ws = g.fact(c.input(b)).shape();
        if (ws.length != 2) {
          return "'" + c.name() + "' has batched weights";
        }
        int depthAxis = t.equals("FullyConnected") ? 1 : 0;
        boolean[] pos = new boolean[in[axis]];
        for (int j = 0; j < pos.length; j++) {
          pos[j] = keep[(j / inner) % channels];
        }
        if (t.equals("FullyConnected")) {
          e.correct(g, c, o, pos);
        }
        e.readers.put(c.id(), new int[] {inner, channels});
        e.slice(g, c.input(b), depthAxis, pos);
        why = null;
      } else {
        return "its channels reach '" + c.name() + "' (" + t + ")";
      }
      if (why != null) {
        return why;
      }
    }
    return null;
  }

  /**
   * Where axis {@code a} of {@code in} lands in {@code out} when a reshape only merges it with
   * neighbours: {@code {b, q}} with output axis {@code b} and {@code q} the size of the dims merged in
   * after it (the new channel stride factor); null when the channel axis is split.
   */
  static int[] mergedAxis(int[] in, int a, int[] out) {
    long pre = 1;
    for (int i = 0; i < a; i++) {
      pre *= in[i];
    }
    long post = 1;
    for (int i = a + 1; i < in.length; i++) {
      post *= in[i];
    }
    long preOut = 1;
    for (int b = 0; b < out.length; b++) {
      long postOut = 1;
      for (int i = b + 1; i < out.length; i++) {
        postOut *= out[i];
      }
      if (preOut != 0 && postOut != 0 && pre % preOut == 0 && post % postOut == 0
          && out[b] == (pre / preOut) * in[a] * (post / postOut)) {
        return new int[] {b, (int) (post / postOut)};
      }
      preOut *= out[b];
    }
    return null;
  }

  private static boolean isPrivateConst(Graph g, Outlet o) {
    return !o.isNone() && IrOps.isConst(g.node(o.node()).op()) && g.useCount(o) == 1;
  }

  private static int count(boolean[] b) {
    int n = 0;
    for (boolean x : b) {
      n += x ? 1 : 0;
    }
    return n;
  }

  /**
   * What {@link #apply(Graph, double, Norm, Map, Trace)} did, by node id: the ungrouped Conv2D,
   * FullyConnected and MatMul layers that lost input channels, and the output channels kept by
   * each pruned producer.
   */
  static final class Trace {
    final Set<Integer> readers = new HashSet<>();
    final Map<Integer, boolean[]> kept = new HashMap<>();
    /** Chooses the channels instead of the filter norms when set and it answers. */
    Selector selector;
    /** The producers whose channels {@link #selector} chose. */
    final Set<String> selected = new HashSet<>();
  }

  /** A data-driven channel choice. */
  interface Selector {
    /**
     * The {@code channels − remove} channels to keep given the readers ({@code id → {inner,
     * channels}}, as in the edits), or null to fall back to the filter norms.
     */
    boolean[] choose(Map<Integer, int[]> readers, int channels, int remove) throws ConversionException;
  }

  /** The edits of one producer: new constant values and new attributes, by node id. */
  private static final class Edits {
    final Map<Integer, Object> ops = new LinkedHashMap<>();
    /**
     * The linear layers (ungrouped Conv2D, FullyConnected, MatMul) whose input channels go, each
     * with {@code {inner, channels}}: its input position {@code j} (last axis) is channel
     * {@code (j / inner) % channels}.
     */
    final Map<Integer, int[]> readers = new HashMap<>();
    /** Mean of each input position of the linear ops, for bias correction; null: none. */
    Map<Outlet, float[]> means;

    /** The value of constant {@code o} with this patch's edits so far. */
    TensorValue value(Graph g, Outlet o) {
      Object pending = ops.get(o.node());
      return pending instanceof TensorValue ? (TensorValue) pending : g.fact(o).value();
    }

    /**
     * Adds to the bias of reader {@code c} (ungrouped Conv2D with weights [O,KH,KW,C], or
     * FullyConnected [N,K]) the mean contribution of the input positions {@code keep} drops, with
     * the weights before they are sliced. Nothing without means or without a private bias.
     */
    void correct(Graph g, Node c, Outlet in, boolean[] keep) {
      float[] m = means == null ? null : means.get(in);
      if (m == null || m.length != keep.length || !isPrivateConst(g, c.input(2))) {
        return;
      }
      TensorValue w = value(g, c.input(1));
      TensorValue b = value(g, c.input(2));
      int rows = w.shape()[0];
      int depth = keep.length;
      int taps = w.count() / rows / depth;
      float[] bias = b.floats().clone();
      for (int j = 0; j < rows; j++) {
        double d = 0;
        for (int t = 0; t < taps; t++) {
          for (int k = 0; k < depth; k++) {
            if (!keep[k]) {
              d += (double) m[k] * w.floatAt((j * taps + t) * depth + k);
            }
          }
        }
        bias[j] += (float) d;
      }
      ops.put(c.input(2).node(), TensorValue.ofFloats(DType.FLOAT32, b.shape(), bias));
    }

    /** Keeps the indices {@code keep} of axis {@code axis} of constant {@code o}. */
    void slice(Graph g, Outlet o, int axis, boolean[] keep) {
      TensorValue v = value(g, o);
      int[] s = v.shape();
      int outer = 1;
      for (int i = 0; i < axis; i++) {
        outer *= s[i];
      }
      int innerSize = 1;
      for (int i = axis + 1; i < s.length; i++) {
        innerSize *= s[i];
      }
      int kept = count(keep);
      int[] ns = s.clone();
      ns[axis] = kept;
      int[] src = new int[outer * kept * innerSize];
      int k = 0;
      for (int a = 0; a < outer; a++) {
        for (int j = 0; j < s[axis]; j++) {
          if (keep[j]) {
            for (int q = 0; q < innerSize; q++) {
              src[k++] = (a * s[axis] + j) * innerSize + q;
            }
          }
        }
      }
      ops.put(o.node(), v.gatherFlat(ns, src));
    }
  }
}
