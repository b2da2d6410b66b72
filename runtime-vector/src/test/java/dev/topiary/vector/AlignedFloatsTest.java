package dev.topiary.vector;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.internal.cpu.ArenaPlacement;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** Slices for packed weights: on cache lines where the placement is known, disjoint, zero-filled. */
public class AlignedFloatsTest {
  /** 1 MiB arrays and larger start 16 bytes past a line (G1 with compressed class pointers). */
  private static final ArenaPlacement G1 = ArenaPlacement.of(1 << 20, 16, 16, "test");

  @Test
  public void slicesStartCacheLinesAndDoNotOverlap() {
    List<AlignedFloats.Slice> slices = new ArrayList<>();
    int[] sizes = {1, 15, 16, 17, 100, 4096, 3, 70000, 0, 33};
    for (int n : sizes) {
      AlignedFloats.Slice s = AlignedFloats.allocate(n, G1);
      assertEquals(n + " floats at " + s.offset, 0, (16 + 4L * s.offset) % 64);
      assertTrue(s.offset + n <= s.array.length);
      assertTrue("a chunk is large enough to be placed", 4L * s.array.length >= (1 << 20));
      for (int i = s.offset; i < s.offset + n; i++) {
        if (s.array[i] != 0f) {
          fail("slice of " + n + " not zero at " + i);
        }
      }
      for (AlignedFloats.Slice t : slices) {
        if (t.array == s.array) {
          int tn = sizes[slices.indexOf(t)];
          assertTrue("overlap", s.offset >= t.offset + tn || t.offset >= s.offset + n);
        }
      }
      java.util.Arrays.fill(s.array, s.offset, s.offset + n, 1f);
      slices.add(s);
    }
    assertSame("small slices share a chunk", slices.get(0).array, slices.get(1).array);
  }

  @Test
  public void aLargeRequestGetsAnArrayOfItsOwn() {
    AlignedFloats.Slice small = AlignedFloats.allocate(10, G1);
    AlignedFloats.Slice large = AlignedFloats.allocate(3 << 20, G1);
    assertNotSame(small.array, large.array);
    assertEquals(0, (16 + 4L * large.offset) % 64);
    assertTrue(large.offset + (3 << 20) <= large.array.length);
  }

  @Test
  public void withoutAPlacementEachSliceIsAPlainArray() {
    AlignedFloats.Slice s = AlignedFloats.allocate(37, ArenaPlacement.UNKNOWN);
    assertEquals(0, s.offset);
    assertEquals(37, s.array.length);
  }

  @Test(expected = IllegalArgumentException.class)
  public void aNegativeSizeIsRefused() {
    AlignedFloats.allocate(-1, G1);
  }
}
