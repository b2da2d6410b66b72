package dev.topiary.converter.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class JsonReaderTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void readsEveryKindOfValue() throws Exception {
    Map<?, ?> v = (Map<?, ?>) JsonReader.parse(" {\"a\": [1, -2.5e3, 0, 1E+2], \"b\": {\"c\": null, \"d\": true, \"e\": false},"
        + " \"s\": \"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}\n");
    assertEquals(List.of("a", "b", "s"), List.copyOf(v.keySet()));
    assertEquals(Arrays.asList(1.0, -2500.0, 0.0, 100.0), v.get("a"));
    Map<?, ?> b = (Map<?, ?>) v.get("b");
    assertEquals(List.of("c", "d", "e"), List.copyOf(b.keySet()));
    assertNull(b.get("c"));
    assertEquals(true, b.get("d"));
    assertEquals(false, b.get("e"));
    assertEquals("q\"\\/\b\f\n\r\t\u00e9\ud83d\ude00", v.get("s"));
    assertEquals("x", JsonReader.parse("\"x\""));
    assertNull(JsonReader.parse("null"));
    assertEquals(List.of(), JsonReader.parse("[ ]"));
  }

  @Test
  public void rejectsAnythingNotStrictJson() {
    String[][] cases = {
      {"", "line 1, column 1: unexpected end of input"},
      {"{\"a\": 1,}", "line 1, column 9: expected a string key"},
      {"[1, 2,]", "line 1, column 7: unexpected ']'"},
      {"{\"a\": 1 \"b\": 2}", "line 1, column 9: expected '}', got '\"'"},
      {"{\"a\": 1, \"a\": 2}", "line 1, column 10: duplicate key \"a\""},
      {"{a: 1}", "expected a string key"},
      {"// comment\n1", "line 1, column 1: unexpected '/'"},
      {"01", "line 1, column 2: unexpected '1' after the value"},
      {"1.", "digit expected after '.'"},
      {"-", "digit expected"},
      {".5", "unexpected '.'"},
      {"1e", "digit expected in the exponent"},
      {"1e999", "number out of range"},
      {"NaN", "unexpected 'N'"},
      {"tru", "unexpected 't'"},
      {"'a'", "unexpected '''"},
      {"\"a\nb\"", "control character U+000A in a string"},
      {"\"\\x\"", "bad escape '\\x'"},
      {"\"\\u12\"", "\\u needs four hex digits"},
      {"\"\\u١٢٣٤\"", "\\u needs four hex digits"},
      {"\"abc", "unterminated string"},
      {"[1] [2]", "unexpected '[' after the value"},
      {"{\n  \"a\": [1,\n  2,, 3]\n}", "line 3, column 5: unexpected ','"},
      {"[".repeat(65) + "]".repeat(65), "nested deeper than 64 levels"},
    };
    for (String[] c : cases) {
      try {
        JsonReader.parse(c[0]);
        fail("accepted " + c[0]);
      } catch (JsonReader.JsonException e) {
        assertEquals(c[0], true, e.getMessage().startsWith("invalid JSON at ") && e.getMessage().contains(c[1]));
      }
    }
  }

  @Test
  public void readsFilesAsStrictUtf8WithinALimit() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path ok = Files.write(dir.resolve("ok.json"), "{\"caf\u00e9\": 1}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(Map.of("caf\u00e9", 1.0), JsonReader.read(ok, 100));
    try {
      JsonReader.read(ok, 5);
      fail();
    } catch (JsonReader.JsonException e) {
      assertEquals(ok + ": 12 bytes is more than the 5 bytes expected", e.getMessage());
    }
    Path latin1 = Files.write(dir.resolve("latin1.json"), new byte[] {'"', (byte) 0xE9, '"'});
    try {
      JsonReader.read(latin1, 100);
      fail();
    } catch (JsonReader.JsonException e) {
      assertEquals(latin1 + ": not UTF-8 text", e.getMessage());
    }
    Path bad = Files.write(dir.resolve("bad.json"), "{\n}}".getBytes());
    try {
      JsonReader.read(bad, 100);
      fail();
    } catch (JsonReader.JsonException e) {
      assertEquals(bad + ": invalid JSON at line 2, column 2: unexpected '}' after the value", e.getMessage());
    }
  }
}
