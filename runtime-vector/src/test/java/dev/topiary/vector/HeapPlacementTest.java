package dev.topiary.vector;

import static dev.topiary.vector.VectorTesting.random;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.topiary.DataType;
import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Shape;
import dev.topiary.Tensor;
import dev.topiary.internal.build.GraphBuilder;
import dev.topiary.internal.cpu.ArenaPlacement;
import dev.topiary.internal.cpu.VectorSupport;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.Random;
import org.junit.Test;

/**
 * {@link HeapPlacement}: what each combination of HotSpot flags gives; on this JVM, the array
 * header sizes it infers against {@code sun.misc.Unsafe.arrayBaseOffset} (the oracle, reached by
 * reflection in this test only); and a session whose arena is placed computing the bits of one
 * whose arena is not.
 */
public class HeapPlacementTest {
  @Test
  public void flagsGiveAPlacementOnlyForG1AndKnownHeaders() {
    ArenaPlacement p = HeapPlacement.fromFlags("true", "4194304", "true", "false");
    assertTrue(p.known());
    assertEquals(2 << 20, p.minBytes());
    assertEquals(16, p.firstElementOffset(4));
    assertEquals(16, p.firstElementOffset(8));
    assertEquals(12, p.lead(4));
    ArenaPlacement compact = HeapPlacement.fromFlags("true", "1048576", "true", "true");
    assertEquals(512 << 10, compact.minBytes());
    assertEquals(12, compact.firstElementOffset(1));
    assertEquals(12, compact.firstElementOffset(4));
    assertEquals(16, compact.firstElementOffset(8));
    // Java 21 has no UseCompactObjectHeaders flag
    assertEquals(16, HeapPlacement.fromFlags("true", "33554432", "true", null).firstElementOffset(4));
    String[][] unknown = {
      {"false", "0", "true", "false"}, // Parallel, Serial, ZGC, Shenandoah
      {null, null, "true", null},
      {"true", "4194304", "false", "false"}, // 20- or 24-byte headers: not guessed
      {"true", "524288", "true", "false"}, // not a G1 region size
      {"true", "3000000", "true", "false"},
      {"true", "lots", "true", "false"},
    };
    for (String[] f : unknown) {
      assertFalse(String.join(",", String.valueOf(f[0]), String.valueOf(f[1]), f[2], String.valueOf(f[3])),
          HeapPlacement.fromFlags(f[0], f[1], f[2], f[3]).known());
    }
  }

  private static long baseOffset(Class<?> arrayClass) throws Exception {
    Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
    Field f = unsafeClass.getDeclaredField("theUnsafe");
    f.setAccessible(true);
    Method m = unsafeClass.getMethod("arrayBaseOffset", Class.class);
    return ((Number) m.invoke(f.get(null), arrayClass)).longValue();
  }

  @Test
  public void theHeaderSizesMatchThisJvm() throws Exception {
    HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    ArenaPlacement p = HeapPlacement.probe();
    assertEquals(p.toString(), VectorSupport.arenaPlacement().toString());
    boolean g1 = "true".equals(bean.getVMOption("UseG1GC").getValue());
    assumeTrue("the JVM runs G1 (this one: " + p + ")", g1 && p.known());
    assertEquals(baseOffset(float[].class) % 64, p.firstElementOffset(4));
    assertEquals(baseOffset(int[].class) % 64, p.firstElementOffset(4));
    assertEquals(baseOffset(byte[].class) % 64, p.firstElementOffset(1));
    assertEquals(baseOffset(long[].class) % 64, p.firstElementOffset(8));
    long region = Long.parseLong(bean.getVMOption("G1HeapRegionSize").getValue());
    assertEquals(region / 2, p.minBytes());
  }

  /** {@code y = relu(conv1x1(x))} on {@code [1, 32, 32, 8]}: 32 KiB tensors, on the vector GEMM. */
  @Test
  public void aPlacedSessionComputesTheSameBitsAsAnUnplacedOne() throws Exception {
    Random r = new Random(11);
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 32, 32, 8));
    int w = g.constant("w", Shape.of(8, 1, 1, 8), random(r, 64));
    int b = g.constant("b", Shape.of(8), random(r, 8));
    int y = g.node("Conv2D", "conv", x, w, b).attr("padding", "VALID").attr("activation", "RELU").output("y");
    g.output(y);
    byte[] artifact = g.build();
    Tensor in = Tensor.ofFloats(Shape.of(1, 32, 32, 8), random(r, 32 * 32 * 8));
    ArenaPlacement placement = VectorSupport.arenaPlacement();
    try (Model m = VectorTesting.load(artifact, VectorTesting.Kernels.VECTOR);
        Session placed = m.newSession(SessionOptions.builder().threads(1).build());
        Session plain = m.newSession(SessionOptions.builder().threads(1).placeArena(false).build())) {
      assertEquals(m.arenaBytes(), plain.arenaBytes());
      if (placement.known()) {
        assertTrue(placed.arenaBytes() + " bytes", placed.arenaBytes() >= placement.minBytes());
      } else {
        assertEquals(m.arenaBytes(), placed.arenaBytes());
      }
      float[] want = plain.run(Collections.singletonMap("x", in)).get("y").toFloatArray();
      float[] got = placed.run(Collections.singletonMap("x", in)).get("y").toFloatArray();
      assertArrayEquals(want, got, 0f);
    }
  }
}
