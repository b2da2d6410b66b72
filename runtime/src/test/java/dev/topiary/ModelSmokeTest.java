package dev.topiary;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import dev.topiary.internal.build.GraphBuilder;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.Map;
import org.junit.Test;

public class ModelSmokeTest {
  @Test
  public void reluChainRoundTrips() throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(2, 3));
    int a = g.node("Relu", "r1", x).output("a");
    int b = g.node("Relu", "r2", a).output("b");
    g.output(b);
    Model m = Model.load(ByteBuffer.wrap(g.build()));
    assertEquals("[x [2,3] FLOAT32]", m.inputs().toString());
    assertEquals("[b [2,3] FLOAT32]", m.outputs().toString());
    try (Session s = m.newSession()) {
      Map<String, Tensor> out =
          s.run(Collections.singletonMap("x", Tensor.ofFloats(Shape.of(2, 3), -1, 2, -3, 4, 0, -0.5f)));
      assertArrayEquals(new float[] {0, 2, 0, 4, 0, 0}, out.get("b").toFloatArray(), 0f);
    }
  }
}
