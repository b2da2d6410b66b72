package dev.topiary.converter.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.topiary.DataType;
import dev.topiary.Shape;
import dev.topiary.converter.OnnxBuilder;
import dev.topiary.internal.build.GraphBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs {@link Main} in-process and builds the small models the CLI tests use. */
final class CliTestSupport {
  private CliTestSupport() {}

  /** Exit code and everything printed. */
  record Result(int exit, String out, String err) {
    /** Asserts a failure with exit code {@code code} and exactly one line on stderr containing {@code part}. */
    Result assertError(int code, String part) {
      assertEquals("exit code; stderr: " + err, code, exit);
      assertOneLineError(err, part);
      return this;
    }

    Result assertOk() {
      assertEquals("exit code; stderr: " + err, 0, exit);
      return this;
    }
  }

  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = Main.run(args, o, e);
    }
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static void assertOneLineError(String err, String part) {
    assertTrue("stderr should start with 'topiary: ': " + err, err.startsWith("topiary: "));
    assertTrue("stderr should end with one newline: " + err, err.endsWith("\n"));
    assertEquals("stderr should be one line: " + err, 1, err.split("\n", -1).length - 1);
    assertFalse("no stack trace: " + err, err.contains("\tat ") || err.contains("Exception:"));
    assertTrue("stderr '" + err.strip() + "' should contain '" + part + "'", err.contains(part));
  }

  static final List<String> LABELS = List.of("cat", "dog", "bird", "fish");

  /** x [1,4] → Relu r1 → h → Relu r2 → scores [1,4], with four labels, normalization and properties. */
  static Path reluChain(Path dir) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4));
    int h = g.node("Relu", "r1", x).output("h");
    int y = g.node("Relu", "r2", h).output("scores");
    g.output(y);
    g.name("tiny-relu").description("two Relu nodes").labels(LABELS)
        .normalization(new float[] {0.5f}, new float[] {0.25f})
        .property("author", "topiary tests")
        .property("license", "Apache-2.0");
    return write(dir.resolve("relu.topiary"), g);
  }

  /** Two inputs a [2,3] and b [3], each through its own Relu to outputs named with unsafe characters. */
  static Path twoInputs(Path dir) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int a = g.input("a", DataType.FLOAT32, Shape.of(2, 3));
    int b = g.input("b", DataType.FLOAT32, Shape.of(3));
    g.output(g.node("Relu", "ra", a).output("out/a:0"));
    g.output(g.node("Relu", "rb", b).output("../b"));
    return write(dir.resolve("two.topiary"), g);
  }

  /**
   * A model with an op no runtime knows: readable, not plannable. Its node has a float constant, an
   * omitted optional input and a per-axis quantized int8 constant.
   */
  static Path unknownOp(Path dir) throws Exception {
    GraphBuilder g = new GraphBuilder();
    int x = g.input("x", DataType.FLOAT32, Shape.of(1, 4));
    int w = g.constant("w", Shape.of(4, 4), new float[16]);
    int q = g.constantRaw("q", DataType.INT8, Shape.of(2, 2), java.nio.ByteBuffer.wrap(new byte[] {1, -2, 3, -4}));
    g.quantization(q, new float[] {0.5f, 0.25f}, new long[] {0, 0}, 0);
    int y = g.node("NoSuchOp", "mystery", x, w, -1, q).attr("alpha", 0.5f).attrInts("pads", 1, 2).attr("mode", "fast")
        .output("y", DataType.FLOAT32, Shape.of(1, 4));
    g.output(y);
    return write(dir.resolve("unknown.topiary"), g);
  }

  /**
   * An ONNX model x [N,4] → Add(x, b) → Identity → Relu → y [N,4] with b = [1, -1, 2, -2]; the
   * symbolic batch becomes 1 unless an input shape is given.
   */
  static byte[] onnxAddRelu() {
    return new OnnxBuilder(13).input("x", -1, 4).init("b", new int[] {4}, 1, -1, 2, -2)
        .node("Add", OnnxBuilder.in("x", "b"), "s").name("add").add()
        .node("Identity", OnnxBuilder.in("s"), "t").name("same").add()
        .node("Relu", OnnxBuilder.in("t"), "y").name("relu").add()
        .output("y").bytes();
  }

  /** Two unsupported op types over three nodes: FancyOp 'fancy_a' and 'fancy_b', custom.domain:Magic 'magic'. */
  static byte[] onnxUnsupported() {
    return new OnnxBuilder(13).input("x", 1, 4)
        .node("FancyOp", OnnxBuilder.in("x"), "a").name("fancy_a").add()
        .node("Magic", OnnxBuilder.in("a"), "b").name("magic").domain("custom.domain").add()
        .node("FancyOp", OnnxBuilder.in("b"), "c").name("fancy_b").add()
        .node("Relu", OnnxBuilder.in("c"), "y").add()
        .output("y").bytes();
  }

  static Path write(Path file, byte[] bytes) throws Exception {
    Files.write(file, bytes);
    return file;
  }

  static Path write(Path file, GraphBuilder g) throws Exception {
    Files.write(file, g.build());
    return file;
  }
}
