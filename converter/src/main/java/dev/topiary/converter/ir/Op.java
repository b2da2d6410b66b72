package dev.topiary.converter.ir;

import java.util.Objects;

/**
 * An operation as an immutable value: its type, its attributes and the rule that gives it meaning
 * (output facts, evaluation over constants, lowering). Two ops are equal when type, attributes and
 * rule are.
 */
public record Op(String type, Attributes attrs, OpRule rule) {
  public Op {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(attrs, "attrs");
    Objects.requireNonNull(rule, "rule");
  }

  public Dialect dialect() {
    return rule.dialect();
  }

  public Op withAttrs(Attributes a) {
    return new Op(type, a, rule);
  }

  public boolean is(Dialect d, String t) {
    return dialect() == d && type.equals(t);
  }

  @Override
  public String toString() {
    return dialect().name().toLowerCase(java.util.Locale.ROOT) + "." + type + attrs;
  }
}
