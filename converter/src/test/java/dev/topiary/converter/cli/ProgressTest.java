package dev.topiary.converter.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.Test;

public class ProgressTest {
  @Test
  public void tickerShowsElapsedTimeOnATerminalOnlyAndErasesIt() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    Command.Console terminal = new Command.Console(System.out, e, true);
    try (Progress.Ticker t = Progress.ticking(terminal, "converting m.onnx")) {
      Thread.sleep(1500);
    }
    String s = err.toString(StandardCharsets.UTF_8);
    assertTrue(s, s.contains("\rtopiary: converting m.onnx... 1."));
    assertTrue(s, s.endsWith("\r"));

    ByteArrayOutputStream quiet = new ByteArrayOutputStream();
    Command.Console pipe = new Command.Console(System.out, new PrintStream(quiet, true, StandardCharsets.UTF_8), false);
    try (Progress.Ticker t = Progress.ticking(pipe, "converting m.onnx")) {
      Thread.sleep(1300);
    }
    Progress p = new Progress(pipe, "profile", 10);
    p.update("run", 5);
    p.clear();
    assertEquals("", quiet.toString(StandardCharsets.UTF_8));
  }

  /** {@code --quiet} (or {@code -q}), accepted by every command, turns a terminal's progress off. */
  @Test
  public void quietSilencesProgressOnATerminal() throws Exception {
    String model = java.nio.file.Paths.get("..", "tools", "fixtures", "fashion-mnist", "cnn.onnx").toString();
    // the default warm-up lasts at least 2 s: progress is due after 1 s
    String[] bench = {"bench", model, "--threads", "1", "--iterations", "10"};
    for (String quiet : new String[] {null, "--quiet", "-q"}) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Command.Console terminal = new Command.Console(new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8), true);
      String[] args = quiet == null ? bench : java.util.stream.Stream.concat(java.util.Arrays.stream(bench),
          java.util.stream.Stream.of(quiet)).toArray(String[]::new);
      assertEquals(err.toString(StandardCharsets.UTF_8), 0, Main.run(args, terminal));
      String e = err.toString(StandardCharsets.UTF_8);
      assertEquals(quiet + ": " + e, quiet == null, e.contains("\rtopiary: "));
    }
  }
}
