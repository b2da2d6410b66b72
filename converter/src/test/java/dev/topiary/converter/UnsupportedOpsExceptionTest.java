package dev.topiary.converter;

import static org.junit.Assert.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class UnsupportedOpsExceptionTest {
  @Test
  public void listsEveryNodeOfEveryType() {
    Map<String, List<String>> m = new LinkedHashMap<>();
    m.put("Loop", Arrays.asList("l1", "l2", "l3", "l4", "l5", "l6", "l7"));
    m.put("If", Arrays.asList("branch"));
    assertEquals(
        "2 unsupported op types: Loop ('l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7'); If ('branch')",
        new UnsupportedOpsException(m).getMessage());
  }
}
