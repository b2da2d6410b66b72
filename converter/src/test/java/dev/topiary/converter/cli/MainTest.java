package dev.topiary.converter.cli;

import static dev.topiary.converter.cli.CliTestSupport.run;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.topiary.converter.cli.CliTestSupport.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Conventions shared by every subcommand: help, version, usage errors, bad files. */
public class MainTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void topLevelHelpListsEveryCommand() {
    for (String[] args : new String[][] {{"--help"}, {"-h"}, {"help"}}) {
      Result r = run(args).assertOk();
      assertTrue(r.out(), r.out().startsWith("Usage: topiary COMMAND"));
      for (String c : new String[] {"convert", "run", "inspect", "bench", "profile", "demo"}) {
        assertTrue(r.out(), r.out().contains("\n  " + c + " "));
      }
      assertEquals("", r.err());
    }
  }

  @Test
  public void everyCommandHasHelp() {
    for (String c : new String[] {"convert", "run", "inspect", "bench", "profile", "demo"}) {
      for (String[] args : new String[][] {{c, "--help"}, {c, "-h"}, {"help", c}, {c, "model.topiary", "--bogus", "--help"}}) {
        Result r = run(args).assertOk();
        assertTrue(r.out(), r.out().startsWith("Usage: topiary " + c + " "));
        assertTrue(r.out(), r.out().contains("Options:\n"));
        assertTrue(r.out(), r.out().contains("-h, --help"));
        assertTrue(r.out(), r.out().contains("Exit status: 0 success, 1 failure"));
        assertEquals("", r.err());
      }
    }
    assertTrue(run("run", "--help").out().contains("--input [NAME=]FILE.npy"));
    assertTrue(run("bench", "--help").out().contains("--iterations N"));
    assertTrue(run("inspect", "--help").out().contains("--json"));
    assertTrue(run("convert", "--help").out().contains("-o, --output OUT.topiary"));
    for (String c : new String[] {"run", "inspect", "bench", "convert"}) {
      String h = run(c, "--help").out();
      assertTrue(h, h.contains("--input-shape NAME=D0,D1,...") && h.contains("--labels FILE") && h.contains("--no-optimize"));
    }
  }

  @Test
  public void versionNamesToolAndFormat() {
    Result r = run("--version").assertOk();
    assertTrue(r.out(), r.out().matches("topiary \\S+ \\(artifact format 1\\.0 to 1\\.3, Java .*\\)\\n"));
    assertTrue("filtered version resource: " + r.out(), !r.out().contains("${") && !r.out().contains("unknown"));
  }

  @Test
  public void usageErrorsExitTwoWithOneLine() throws Exception {
    Path model = CliTestSupport.reluChain(tmp.getRoot().toPath());
    String m = model.toString();
    run().assertError(2, "no command given; commands: convert, run, eval, inspect, bench, profile, demo");
    run("rnu").assertError(2, "unknown command 'rnu' (did you mean 'run'?)");
    run("frobnicate").assertError(2, "unknown command 'frobnicate'; commands: convert, run, eval, inspect, bench, profile, demo");
    run("covnert").assertError(2, "unknown command 'covnert' (did you mean 'convert'?)");
    run("--frob").assertError(2, "unknown option '--frob'");
    run("help", "nope").assertError(2, "unknown command 'nope'");
    run("inspect").assertError(2, "missing MODEL argument (see 'topiary inspect --help')");
    run("inspect", m, "extra").assertError(2, "unexpected argument 'extra'");
    run("inspect", m, "--bogus").assertError(2, "unknown option '--bogus' for 'inspect'");
    run("inspect", m, "--json=yes").assertError(2, "option --json takes no value");
    run("bench", m, "--threads").assertError(2, "option --threads needs a value N");
    run("bench", m, "--threads", "--json").assertError(2, "option --threads needs a value N");
    run("bench", m, "--threads", "two").assertError(2, "option --threads: 'two' is not a whole number");
    run("bench", m, "--threads", "0").assertError(2, "option --threads must be in 1..256, got 0");
    run("bench", m, "--iterations=0").assertError(2, "option --iterations must be in 1..10000000, got 0");
    run("bench", m, "--warmup", "-1").assertError(2, "option --warmup must be in 0..1000000, got -1");
    run("bench", m, "--warmup", "99999999999999999999").assertError(2, "is not a whole number");
    run("run", m, "--threads", "1", "--threads", "2", "--input", "x.npy").assertError(2, "option --threads given more than once");
    run("run", m, "--output-dir").assertError(2, "option --output-dir needs a value DIR");
  }

  @Test
  public void badModelFilesExitOneNamingTheProblem() throws Exception {
    Path dir = tmp.getRoot().toPath();
    byte[] good = Files.readAllBytes(CliTestSupport.reluChain(dir));
    Path garbage = Files.write(dir.resolve("garbage.topiary"), "this is not a model, just some text long enough to pass the size check".getBytes());
    Path truncated = Files.write(dir.resolve("truncated.topiary"), java.util.Arrays.copyOf(good, good.length / 2));
    byte[] flipped = good.clone();
    flipped[flipped.length - 50] ^= 1;
    Path corrupted = Files.write(dir.resolve("corrupted.topiary"), flipped);
    Path empty = Files.write(dir.resolve("empty.topiary"), new byte[0]);
    for (String[] cmd : new String[][] {{"inspect"}, {"bench", "--iterations", "1"}, {"run", "--input", "x.npy"}}) {
      run(with(cmd, garbage)).assertError(1, garbage + ": not a Topiary artifact: bad magic at byte 0");
      run(with(cmd, truncated)).assertError(1, truncated + ": ").assertError(1, "truncated");
      run(with(cmd, corrupted)).assertError(1, "SHA-256 digest mismatch");
      run(with(cmd, empty)).assertError(1, "shorter than the minimum");
      run(with(cmd, dir.resolve("missing.topiary"))).assertError(1, "no such model file: " + dir.resolve("missing.topiary"));
      run(with(cmd, dir)).assertError(1, dir + " is a directory, not a model file");
    }
  }

  @Test
  public void oneLineMessagesFoldLineBreaks() {
    assertEquals("a b c", Main.oneLine("a\nb\r\n  c\n"));
  }

  private static String[] with(String[] cmd, Path model) {
    String[] a = new String[cmd.length + 1];
    a[0] = cmd[0];
    a[1] = model.toString();
    System.arraycopy(cmd, 1, a, 2, cmd.length - 1);
    return a;
  }
}
