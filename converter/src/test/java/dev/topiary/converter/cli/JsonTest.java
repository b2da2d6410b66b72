package dev.topiary.converter.cli;

import static org.junit.Assert.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class JsonTest {
  @Test
  public void escapesStringsSoTheyParseBack() throws Exception {
    String nasty = "quote \" backslash \\ slash / newline \n tab \t cr \r nul \u0000 bell \u0007 del \u007f"
        + " e\u0301 \u4e2d \ud83d\ude00 lone \ud800 sep \u2028";
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(nasty, nasty);
    for (String json : new String[] {Json.compact(m), Json.pretty(m)}) {
      assertEquals(Map.of(nasty, nasty), JsonReader.parse(json));
      for (char c : json.toCharArray()) {
        assertEquals("pure printable ASCII plus newlines: " + (int) c, true, (c >= 0x20 && c < 0x7f) || c == '\n');
      }
    }
  }

  @Test
  public void writesNumbersExactlyAndNonFiniteAsStrings() throws Exception {
    List<Object> l = Arrays.asList(0.1f, 1e-5f, -0.0, 3, 123456789012345L, Double.NaN, Float.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, null, true, false);
    String json = Json.compact(l);
    assertEquals("[0.1,1.0E-5,-0.0,3,123456789012345,\"NaN\",\"Infinity\",\"-Infinity\",null,true,false]", json);
    JsonReader.parse(json);
  }

  @Test
  public void prettyKeepsScalarArraysAndSmallFlatObjectsInline() throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("shape", new int[] {1, 4});
    m.put("empty", List.of());
    m.put("nested", List.of(Map.of("a", 1)));
    m.put("none", Map.of());
    m.put("long", Map.of("text", "x".repeat(100)));
    assertEquals("{\n  \"shape\": [1, 4],\n  \"empty\": [],\n  \"nested\": [\n    {\"a\": 1}\n  ],\n"
        + "  \"none\": {},\n  \"long\": {\n    \"text\": \"" + "x".repeat(100) + "\"\n  }\n}", Json.pretty(m));
  }
}
