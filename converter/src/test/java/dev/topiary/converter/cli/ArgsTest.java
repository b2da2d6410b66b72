package dev.topiary.converter.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.converter.cli.CommandSpec.Option;
import java.util.List;
import org.junit.Test;

public class ArgsTest {
  private static final CommandSpec SPEC =
      new CommandSpec("demo", "demo FILE [options]", "a demo", "Demonstrates parsing.", List.of("FILE"),
          List.of(Option.repeated("--in", "X", "inputs"), Option.value("--n", "N", "a number"), Option.flag("--json", "json")));

  @Test
  public void parsesValuesFlagsAndPositionals() throws Exception {
    Args a = Args.parse(SPEC, List.of("--in", "a", "f.bin", "--in=b=c", "--n=5", "--json"));
    assertEquals("f.bin", a.positional(0));
    assertEquals(List.of("a", "b=c"), a.values("--in"));
    assertEquals(5, a.intValue("--n", 1, 0, 10));
    assertTrue(a.has("--json"));
    assertFalse(a.help());
  }

  @Test
  public void shortNameIsAnAliasOfTheLongOption() throws Exception {
    CommandSpec spec = new CommandSpec("c", "c FILE", "c", "C.", List.of("FILE"),
        List.of(Option.value("--output", "OUT", "where").withShortName("-o")));
    assertEquals("x.bin", Args.parse(spec, List.of("f", "-o", "x.bin")).value("--output", null));
    assertEquals("y.bin", Args.parse(spec, List.of("-o=y.bin", "f")).value("--output", null));
    try {
      Args.parse(spec, List.of("f", "-o", "a", "--output", "b"));
      fail();
    } catch (UsageException e) {
      assertEquals("option --output given more than once", e.getMessage());
    }
    assertTrue(spec.help(), spec.help().contains("  -o, --output OUT  where\n"));
  }

  @Test
  public void doubleDashEndsOptions() throws Exception {
    Args a = Args.parse(SPEC, List.of("--", "--json"));
    assertEquals("--json", a.positional(0));
    assertFalse(a.has("--json"));
    assertEquals("-", Args.parse(SPEC, List.of("-")).positional(0));
  }

  @Test
  public void defaultsAndRanges() throws Exception {
    Args a = Args.parse(SPEC, List.of("f"));
    assertEquals(7, a.intValue("--n", 7, 0, 10));
    assertEquals("dflt", a.value("--n", "dflt"));
    assertEquals(List.of(), a.values("--in"));
    try {
      Args.parse(SPEC, List.of("f", "--n", "11")).intValue("--n", 1, 0, 10);
      fail();
    } catch (UsageException e) {
      assertEquals("option --n must be in 0..10, got 11", e.getMessage());
    }
  }

  @Test
  public void helpWinsOverOtherErrors() throws Exception {
    assertTrue(Args.parse(SPEC, List.of("--nope", "-h")).help());
    assertTrue("no FILE needed with --help", Args.parse(SPEC, List.of("--help")).help());
  }

  @Test
  public void helpTextListsEveryOption() {
    String h = SPEC.help();
    assertTrue(h, h.startsWith("Usage: topiary demo FILE [options]\n\nDemonstrates parsing.\n\nOptions:\n"));
    assertTrue(h, h.contains("  --in X       inputs\n"));
    assertTrue(h, h.contains("  --json       json\n"));
    assertTrue(h, h.contains("  -q, --quiet  no progress display"));
    assertTrue(h, h.contains("  -h, --help   show this help and exit\n"));
  }
}
