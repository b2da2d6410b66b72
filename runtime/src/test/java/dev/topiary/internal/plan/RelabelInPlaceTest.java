package dev.topiary.internal.plan;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.build.GraphBuilder;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

/**
 * {@link Planner.Options#relabelInPlace}: an op that only relabels the shape shares its input's
 * memory, the input lives as long as its aliases, and nothing else is placed over either; checked
 * against values computed here and against the plan that copies.
 */
public class RelabelInPlaceTest {
  /**
   * {@code a = relu(x)}, {@code b = reshape(a)} (a graph output), {@code c = relu(b)},
   * {@code d = flatten(reshape(c))}, {@code y = a + reshape(d) + reshape(k)} with a constant
   * {@code k}, so {@code a} is read after its alias {@code b} and {@code c}, {@code d} must not be
   * placed over it; {@code z = reshape(x)}, a graph output on a graph input.
   */
  private static byte[] graph(float[] k) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4, 6));
    int a = g.node("Relu", "relu_a", x).output("a");
    int b = g.node("Reshape", "reshape_b", a).attrInts("shape", 1, 24).output("b");
    int minus = g.constant("minus", Shape.of(1), new float[] {-1f});
    int c = g.node("Relu", "relu_c", g.node("Mul", "neg", b, minus).output("nb")).output("c");
    int c2 = g.node("Reshape", "reshape_c", c).attrInts("shape", 2, 12).output("c2");
    int d = g.node("Flatten", "flatten_d", c2).attr("axis", 0).output("d");
    int d2 = g.node("Reshape", "reshape_d", d).attrInts("shape", 1, 4, 6).output("d2");
    int kc = g.constant("k", Shape.of(24), k);
    int k2 = g.node("Reshape", "reshape_k", kc).attrInts("shape", 1, 4, 6).output("k2");
    int s = g.node("Add", "add_1", a, d2).output("s");
    g.output(g.node("Add", "add_2", s, k2).output("y"));
    g.output(b);
    g.output(g.node("Reshape", "reshape_z", x).attrInts("shape", 24).output("z"));
    return g.build();
  }

  private static Model load(byte[] artifact, boolean inPlace) throws Exception {
    Planner.Options o = new Planner.Options();
    o.relabelInPlace = inPlace;
    return ModelAccess.get().load(ByteBuffer.wrap(artifact), o);
  }

  private static int id(Plan p, String name) {
    for (int t = 0; t < p.tensorCount(); t++) {
      if (p.tensorName(t).equals(name)) {
        return t;
      }
    }
    throw new AssertionError("no tensor " + name);
  }

  @Test
  public void aliasesShareMemoryAndComputeWhatCopiesDo() throws Exception {
    Random r = new Random(5);
    float[] k = new float[24];
    float[] xv = new float[24];
    for (int i = 0; i < 24; i++) {
      k[i] = r.nextFloat() - 0.5f;
      xv[i] = r.nextFloat() * 2 - 1;
    }
    // y = relu(x) + relu(-relu(x)) + k = relu(x) + k; b = relu(x); z = x.
    float[] wantY = new float[24];
    float[] wantB = new float[24];
    for (int i = 0; i < 24; i++) {
      float a = Math.max(xv[i], 0f);
      wantB[i] = a;
      wantY[i] = a + Math.max(-a, 0f) + k[i];
    }
    byte[] artifact = graph(k);
    Map<String, Tensor> in = new HashMap<>();
    in.put("x", Tensor.ofFloats(Shape.of(1, 4, 6), xv));
    long[] arena = new long[2];
    for (int mode = 0; mode < 2; mode++) {
      boolean inPlace = mode == 0;
      try (Model m = load(artifact, inPlace);
          Session s = m.newSession(SessionOptions.builder().threads(1).build())) {
        Plan p = ModelAccess.get().plan(m);
        arena[mode] = p.arenaBytes();
        assertEquals(inPlace, p.offsets[id(p, "b")] == p.offsets[id(p, "a")]);
        if (inPlace) {
          // a chain of relabels shares its root's memory
          assertEquals(p.offsets[id(p, "c")], p.offsets[id(p, "c2")]);
          assertEquals(p.offsets[id(p, "c")], p.offsets[id(p, "d")]);
          assertEquals(p.offsets[id(p, "c")], p.offsets[id(p, "d2")]);
        }
        assertEquals(inPlace, p.offsets[id(p, "z")] == p.offsets[id(p, "x")]);
        // c is written while a is alive (a is read by add_1): never on a's memory.
        assertNotEquals(p.offsets[id(p, "a")], p.offsets[id(p, "c")]);
        // A constant's reshape copies into the arena either way.
        assertTrue(p.storage[id(p, "k2")] != null && !p.isConstant(id(p, "k2")));
        for (int run = 0; run < 2; run++) {
          Map<String, Tensor> out = s.run(in);
          assertArrayEquals("y, in place " + inPlace, wantY, out.get("y").toFloatArray(), 0f);
          assertArrayEquals("b, in place " + inPlace, wantB, out.get("b").toFloatArray(), 0f);
          assertArrayEquals("z, in place " + inPlace, xv, out.get("z").toFloatArray(), 0f);
          assertEquals(Shape.of(1, 24), out.get("b").shape());
          assertEquals(Shape.of(24), out.get("z").shape());
        }
      }
    }
    assertTrue("arena in place " + arena[0] + " vs copies " + arena[1], arena[0] < arena[1]);
  }
}
