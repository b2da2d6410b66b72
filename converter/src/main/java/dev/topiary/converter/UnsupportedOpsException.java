package dev.topiary.converter;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model uses op types the converter does not support. Raised once, listing every unsupported
 * op type with the names of the nodes that use it, so one run shows everything that is missing.
 */
public final class UnsupportedOpsException extends ConversionException {
  private static final long serialVersionUID = 1L;

  private final transient Map<String, List<String>> nodesByOpType;

  public UnsupportedOpsException(Map<String, List<String>> nodesByOpType) {
    super(message(nodesByOpType));
    this.nodesByOpType = Collections.unmodifiableMap(new LinkedHashMap<>(nodesByOpType));
  }

  /** Unsupported op type (with its domain when not the default one) → names of the nodes using it. */
  public Map<String, List<String>> nodesByOpType() {
    return nodesByOpType;
  }

  private static String message(Map<String, List<String>> m) {
    StringBuilder sb = new StringBuilder();
    sb.append(m.size()).append(m.size() == 1 ? " unsupported op type: " : " unsupported op types: ");
    boolean first = true;
    for (Map.Entry<String, List<String>> e : m.entrySet()) {
      sb.append(first ? "" : "; ").append(e.getKey()).append(" (");
      List<String> nodes = e.getValue();
      for (int i = 0; i < nodes.size(); i++) {
        sb.append(i == 0 ? "" : ", ").append('\'').append(nodes.get(i)).append('\'');
      }
      sb.append(')');
      first = false;
    }
    return sb.toString();
  }
}
