package dev.topiary.converter.report;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

public class LayerMatchTest {
  private static Layer layer(int position, String name, String op, long bytes, Integer... producers) {
    return new Layer(position, position, name, op, "FLOAT32", new int[] {1}, bytes / 4, bytes, 0, 0, 1000, 1000,
        List.of(producers));
  }

  private static List<String> names(List<Layer> layers) {
    List<String> l = new ArrayList<>();
    for (Layer x : layers) {
      l.add(x.name());
    }
    return l;
  }

  @Test
  public void matchesByNameBaseNameAndFusion() {
    List<Layer> before = List.of(
        layer(0, "/c/Conv/conv_to_nhwc", "Transpose", 0),
        layer(1, "/c/Conv_1", "Conv2D", 400, 0),
        layer(2, "/c/Conv/conv_to_nchw", "Transpose", 0, 1),
        layer(3, "/bn/BatchNormalization_1", "BatchNorm", 64, 2),
        layer(4, "/act/Relu_1", "Relu", 0, 3),
        layer(5, "/flatten/Flatten_1", "Flatten", 0, 4),
        layer(6, "/fc/Gemm_1", "FullyConnected", 80, 5));
    List<Layer> after = List.of(
        layer(0, "x/quantize", "Quantize", 0),
        layer(1, "/c/Conv/conv_to_nhwc_1", "Reshape", 0, 0),
        layer(2, "/c/Conv_1", "Conv2D", 100, 1),
        layer(3, "/flatten/Flatten_1_1", "Reshape", 0, 2),
        layer(4, "/fc/Gemm_1", "FullyConnected", 20, 3));
    LayerMatch.Result r = LayerMatch.match(before, after);
    assertEquals(4, r.groups().size());
    LayerMatch.Group conv = r.groups().get(1);
    assertEquals("/c/Conv_1", conv.after().name());
    assertEquals(LayerMatch.How.NAME, conv.how());
    assertEquals(List.of("/c/Conv_1", "/c/Conv/conv_to_nchw", "/bn/BatchNormalization_1", "/act/Relu_1"), names(conv.before()));
    assertEquals(464, conv.beforeBytes());
    assertEquals(LayerMatch.How.BASE_NAME, r.groups().get(0).how());
    assertEquals(List.of("/c/Conv/conv_to_nhwc"), names(r.groups().get(0).before()));
    assertEquals(List.of("/flatten/Flatten_1"), names(r.groups().get(2).before()));
    assertEquals(List.of(), names(r.unmatchedBefore()));
    assertEquals(List.of("x/quantize"), names(r.unmatchedAfter()));
  }

  @Test
  public void layersWithoutMatchedProducerAreRemoved() {
    List<Layer> before = List.of(layer(0, "in/transpose", "Transpose", 0), layer(1, "relu", "Relu", 0, 0));
    List<Layer> after = List.of(layer(0, "other", "Relu", 0));
    LayerMatch.Result r = LayerMatch.match(before, after);
    assertEquals(0, r.groups().size());
    assertEquals(List.of("in/transpose", "relu"), names(r.unmatchedBefore()));
    assertEquals(List.of("other"), names(r.unmatchedAfter()));
  }

  @Test
  public void baseNameDropsOnlyTrailingUniquenessSuffixes() {
    assertEquals("/a/Add", LayerMatch.base("/a/Add_1_1"));
    assertEquals("/a_1/Conv", LayerMatch.base("/a_1/Conv_12"));
    assertEquals("conv", LayerMatch.base("conv"));
  }
}
