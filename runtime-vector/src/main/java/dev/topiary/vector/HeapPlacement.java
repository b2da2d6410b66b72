package dev.topiary.vector;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import dev.topiary.internal.cpu.ArenaPlacement;
import java.lang.management.ManagementFactory;

/**
 * Finds where this JVM puts large arrays ({@link ArenaPlacement}) from HotSpot's flags, read
 * through the platform's {@link HotSpotDiagnosticMXBean}.
 *
 * <p>Known only with G1 (HotSpot's default collector): it allocates an object larger than half a
 * heap region at the start of a region (a humongous object, never moved to a region's middle),
 * and regions are 1–32 MiB, so such an array's first element is the array header's size past a
 * 64-byte boundary. The header is 16 bytes with compressed class pointers (the default) and 12
 * for 1- to 4-byte elements with compact object headers (16 for 8-byte ones); other layouts, and
 * other collectors (Parallel, Serial, ZGC, Shenandoah), give {@link ArenaPlacement#UNKNOWN}, as
 * does a runtime image without the {@code jdk.management} module.
 */
final class HeapPlacement {
  private HeapPlacement() {}

  /** The placement for this JVM's flags. Starting the management API takes about 16 ms, once. */
  static ArenaPlacement probe() {
    HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    if (bean == null) {
      return ArenaPlacement.UNKNOWN;
    }
    return fromFlags(flag(bean, "UseG1GC"), flag(bean, "G1HeapRegionSize"), flag(bean, "UseCompressedClassPointers"),
        flag(bean, "UseCompactObjectHeaders"));
  }

  /**
   * The placement for these flag values ({@code null} for a flag the JVM does not have).
   *
   * @param g1 {@code UseG1GC}
   * @param regionBytes {@code G1HeapRegionSize}
   * @param compressedClassPointers {@code UseCompressedClassPointers}
   * @param compactHeaders {@code UseCompactObjectHeaders} (Java 24+)
   */
  static ArenaPlacement fromFlags(String g1, String regionBytes, String compressedClassPointers, String compactHeaders) {
    if (!"true".equals(g1) || regionBytes == null) {
      return ArenaPlacement.UNKNOWN;
    }
    long region;
    try {
      region = Long.parseLong(regionBytes);
    } catch (NumberFormatException e) {
      return ArenaPlacement.UNKNOWN;
    }
    if (region < (1 << 20) || Long.bitCount(region) != 1) {
      return ArenaPlacement.UNKNOWN;
    }
    int offset4;
    int offset8;
    if ("true".equals(compactHeaders)) {
      offset4 = 12;
      offset8 = 16;
    } else if ("true".equals(compressedClassPointers)) {
      offset4 = 16;
      offset8 = 16;
    } else {
      // 20 and 24 on Java 22+, 24 before: not worth guessing for a non-default layout
      return ArenaPlacement.UNKNOWN;
    }
    // Humongous: larger than half a region; an array's header comes on top of its elements.
    return ArenaPlacement.of(region / 2, offset4, offset8,
        "G1 humongous arrays (" + (region >> 20) + " MiB regions), elements " + offset4 + " bytes past a line");
  }

  private static String flag(HotSpotDiagnosticMXBean bean, String name) {
    try {
      VMOption o = bean.getVMOption(name);
      return o == null ? null : o.getValue();
    } catch (IllegalArgumentException e) {
      return null; // not a flag of this JVM
    }
  }
}
