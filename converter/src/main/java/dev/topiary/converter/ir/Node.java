package dev.topiary.converter.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** One node of a {@link Graph}: id, unique name, op, input outlets, and one fact per output. */
public final class Node {
  private final int id;
  private final String name;
  private Op op;
  private final List<Outlet> inputs;
  private final String[] outputNames;
  private final Fact[] facts;

  Node(int id, String name, Op op, List<Outlet> inputs, String[] outputNames) {
    this.id = id;
    this.name = name;
    this.op = op;
    this.inputs = new ArrayList<>(inputs);
    this.outputNames = outputNames.clone();
    this.facts = new Fact[outputNames.length];
  }

  public int id() {
    return id;
  }

  public String name() {
    return name;
  }

  public Op op() {
    return op;
  }

  public List<Outlet> inputs() {
    return Collections.unmodifiableList(inputs);
  }

  public Outlet input(int i) {
    return i < inputs.size() ? inputs.get(i) : Outlet.NONE;
  }

  public int outputCount() {
    return outputNames.length;
  }

  /** Name of output {@code slot}: the source model's value name where there was one. */
  public String outputName(int slot) {
    return outputNames[slot];
  }

  public Outlet out(int slot) {
    return new Outlet(id, slot);
  }

  /** Fact of output {@code slot}, null before shape inference. */
  public Fact fact(int slot) {
    return facts[slot];
  }

  void setOp(Op op) {
    this.op = op;
  }

  void setInput(int i, Outlet o) {
    inputs.set(i, o);
  }

  void setFact(int slot, Fact f) {
    facts[slot] = f;
  }

  Fact[] facts() {
    return facts;
  }

  @Override
  public String toString() {
    return "#" + id + " '" + name + "' " + op + " " + inputs + " -> " + Arrays.toString(facts);
  }
}
