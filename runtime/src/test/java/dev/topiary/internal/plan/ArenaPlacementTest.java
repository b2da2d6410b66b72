package dev.topiary.internal.plan;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Shape;
import dev.topiary.internal.ModelAccess;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.cpu.ArenaPlacement;
import dev.topiary.internal.cpu.Parallel;
import dev.topiary.internal.ops.Frame;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.Test;

/**
 * {@link ArenaPlacement} and {@link Plan#newArena}: the lead that puts element {@code lead} on a
 * 64-byte line for each header size, arenas grown to a placement's minimum only within the cap,
 * tensors shifted by the lead, and a placed arena computing the bits of an unplaced one.
 */
public class ArenaPlacementTest {
  @Test
  public void leadPutsTheNextElementOnALine() {
    ArenaPlacement p = ArenaPlacement.of(1 << 20, 16, 16, "test");
    assertTrue(p.known());
    assertEquals(12, p.lead(4)); // 16 + 12·4 = 64
    assertEquals(48, p.lead(1));
    assertEquals(6, p.lead(8));
    ArenaPlacement compact = ArenaPlacement.of(1 << 20, 12, 16, "test");
    assertEquals(13, compact.lead(4)); // 12 + 13·4 = 64
    assertEquals(52, compact.lead(1));
    assertEquals(6, compact.lead(8));
    assertEquals(0, ArenaPlacement.of(0, 0, 0, "aligned").lead(4));
    for (int bytes : new int[] {1, 4, 8}) {
      for (int off = 0; off < 64; off += 8) {
        int lead = ArenaPlacement.of(0, off, off, "t").lead(bytes);
        assertEquals("offset " + off + ", " + bytes + "-byte elements", 0, (off + lead * bytes) % 64);
        assertTrue(lead * bytes < 64);
      }
    }
    assertFalse(ArenaPlacement.UNKNOWN.known());
    assertEquals(0, ArenaPlacement.UNKNOWN.lead(4));
    assertEquals(-1, ArenaPlacement.UNKNOWN.firstElementOffset(4));
  }

  @Test
  public void placementsOutsideALineOrOffElementsAreRejected() {
    int[][] bad = {{-4, 16}, {64, 16}, {18, 16}, {16, 12}, {16, 64}};
    for (int[] b : bad) {
      try {
        ArenaPlacement.of(0, b[0], b[1], "bad");
        fail("accepted offsets " + b[0] + ", " + b[1]);
      } catch (IllegalArgumentException e) {
        assertTrue(e.getMessage(), e.getMessage().contains("offsets " + b[0] + " and " + b[1]));
      }
    }
    try {
      ArenaPlacement.of(-1, 16, 16, "bad");
      fail();
    } catch (IllegalArgumentException e) {
      assertTrue(e.getMessage().contains("minBytes -1"));
    }
  }

  /** {@code y = relu(relu(x) · 2)} on {@code [1, h, w, 4]}: two intermediate tensors of {@code 16·h·w} bytes. */
  private static Model model(int h, int w) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, h, w, 4));
    int a = g.node("Relu", "relu_a", x).output("a");
    int two = g.constant("two", Shape.of(1), new float[] {2f});
    int b = g.node("Mul", "mul_b", a, two).output("b");
    g.output(g.node("Relu", "relu_y", b).output("y"));
    return ModelAccess.get().load(ByteBuffer.wrap(g.build()), new Planner.Options());
  }

  private static float[] run(Plan p, Plan.Arena arena, float[] input) {
    int x = p.inputId(0);
    int y = p.outputId(0);
    System.arraycopy(input, 0, (float[]) arena.arrays[x], arena.offsets[x], input.length);
    Frame f = new Frame(arena.arrays, arena.offsets, Parallel.sequential(), new float[][] {new float[p.scratchFloats()]});
    for (Plan.Step s : p.steps()) {
      s.kernel.run(f);
    }
    float[] out = new float[input.length];
    System.arraycopy((float[]) arena.arrays[y], arena.offsets[y], out, 0, out.length);
    return out;
  }

  @Test
  public void aPlacedArenaIsGrownShiftedAndComputesTheSameBits() throws Exception {
    Plan p = ModelAccess.get().plan(model(32, 32)); // 16 KiB tensors
    int planned = p.arenaElements[Storage.F32.ordinal()];
    assertTrue("arena " + planned * 4 + " bytes is worth placing", planned * 4L >= Plan.PLACE_FROM_BYTES);
    ArenaPlacement placement = ArenaPlacement.of(1 << 20, 16, 16, "test");
    Plan.Arena placed = p.newArena(placement);
    Plan.Arena plain = p.newArena(ArenaPlacement.UNKNOWN);
    int[] planOffsets = p.frameOffsets();
    assertArrayEquals(planOffsets, plain.offsets);
    assertEquals(p.arenaBytes(), plain.allocatedBytes);
    float[] arena = null;
    for (int id = 0; id < p.tensorCount(); id++) {
      if (p.constant[id]) {
        assertEquals(planOffsets[id], placed.offsets[id]);
        assertSame(plain.arrays[id], placed.arrays[id]);
        continue;
      }
      assertEquals(p.tensorName(id), planOffsets[id] + 12, placed.offsets[id]);
      // on a line once the array's first element is 16 bytes past one
      assertEquals(0, (16 + 4 * placed.offsets[id]) % 64);
      arena = (float[]) placed.arrays[id];
    }
    assertEquals((1 << 20) / 4, arena.length);
    assertEquals(1 << 20, placed.allocatedBytes);
    Random r = new Random(3);
    float[] x = new float[32 * 32 * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat() * 2 - 1;
    }
    float[] want = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      want[i] = Math.max(0f, Math.max(0f, x[i]) * 2f);
    }
    assertArrayEquals(want, run(p, plain, x), 0f);
    assertArrayEquals(want, run(p, placed, x), 0f);
  }

  @Test
  public void placementGrowsAnArenaByAtMostTheCap() throws Exception {
    Plan p = ModelAccess.get().plan(model(32, 32));
    int planned = p.arenaElements[Storage.F32.ordinal()];
    // reaching the minimum would add more than the cap: the arena stays as planned, unshifted
    long tooFar = planned * 4L + Plan.MAX_PAD_BYTES + 64;
    Plan.Arena a = p.newArena(ArenaPlacement.of(tooFar, 16, 16, "far"));
    assertArrayEquals(p.frameOffsets(), a.offsets);
    assertEquals(p.arenaBytes(), a.allocatedBytes);
    // an arena already past the minimum is only shifted: lead elements more
    Plan.Arena b = p.newArena(ArenaPlacement.of(1024, 16, 16, "small"));
    assertEquals(p.arenaBytes() + 12 * 4, b.allocatedBytes);
  }

  @Test
  public void smallArenasAreLeftAlone() throws Exception {
    Plan p = ModelAccess.get().plan(model(4, 4)); // 256-byte tensors
    Plan.Arena a = p.newArena(ArenaPlacement.of(1 << 20, 16, 16, "test"));
    assertArrayEquals(p.frameOffsets(), a.offsets);
    assertEquals(p.arenaBytes(), a.allocatedBytes);
  }
}
