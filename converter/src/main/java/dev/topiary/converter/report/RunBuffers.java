package dev.topiary.converter.report;

import dev.topiary.TensorInfo;
import dev.topiary.quantization.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Caller-owned buffers for timing runs ({@code Session.run(Map, Map)}, which allocates nothing),
 * shared by {@code topiary bench} and {@code topiary profile} so both time the same inputs for
 * the same seed.
 */
public final class RunBuffers {
  private RunBuffers() {}

  /** A zeroed little-endian buffer holding one tensor of {@code info}. */
  public static ByteBuffer buffer(TensorInfo info) {
    return ByteBuffer.allocate(info.shape().elementCount() * info.dataType().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** One zeroed buffer per tensor, by name, in order. */
  public static Map<String, ByteBuffer> buffers(List<TensorInfo> infos) {
    Map<String, ByteBuffer> m = new LinkedHashMap<>();
    for (TensorInfo info : infos) {
      m.put(info.name(), buffer(info));
    }
    return m;
  }

  /**
   * Random inputs drawn from {@code r} in order: floats uniform in [-1, 1), INT32/INT64/BOOL 0 or 1
   * (valid as indices and flags), INT8/UINT8 uniform over their range.
   */
  public static Map<String, ByteBuffer> random(List<TensorInfo> infos, Random r) {
    Map<String, ByteBuffer> m = new LinkedHashMap<>();
    for (TensorInfo info : infos) {
      ByteBuffer b = buffer(info);
      int n = info.shape().elementCount();
      for (int i = 0; i < n; i++) {
        switch (info.dataType()) {
          case FLOAT32 -> b.putFloat(4 * i, r.nextFloat() * 2 - 1);
          case FLOAT16 -> b.putShort(2 * i, Float16.fromFloat(r.nextFloat() * 2 - 1));
          case INT32 -> b.putInt(4 * i, r.nextInt(2));
          case INT64 -> b.putLong(8 * i, r.nextInt(2));
          case BOOL -> b.put(i, (byte) r.nextInt(2));
          case INT8, UINT8 -> b.put(i, (byte) r.nextInt(256));
        }
      }
      m.put(info.name(), b);
    }
    return m;
  }
}
