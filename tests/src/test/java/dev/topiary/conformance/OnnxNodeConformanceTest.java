package dev.topiary.conformance;

import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import dev.topiary.Model;
import dev.topiary.Session;
import dev.topiary.SessionOptions;
import dev.topiary.Tensor;
import dev.topiary.converter.ConversionException;
import dev.topiary.converter.ConversionResult;
import dev.topiary.converter.ConvertOptions;
import dev.topiary.converter.Converter;
import dev.topiary.converter.UnsupportedOpsException;
import dev.topiary.converter.ir.TensorValue;
import dev.topiary.converter.onnx.OnnxReader;
import dev.topiary.converter.onnx.proto.GraphProto;
import dev.topiary.converter.onnx.proto.ModelProto;
import dev.topiary.converter.onnx.proto.TensorProto;
import dev.topiary.converter.onnx.proto.TensorShapeProto;
import dev.topiary.converter.onnx.proto.TypeProto;
import dev.topiary.converter.onnx.proto.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;

/**
 * The ONNX backend node tests ({@code onnx/node/<test>/model.onnx} + {@code test_data_set_0}) of the
 * shared conformance data, each converted with {@link Converter}, loaded with
 * {@link Model#load(ByteBuffer)} and run on the inputs {@code input_N.pb} (fed to graph input N),
 * then compared with {@code output_N.pb} the way ONNX's backend runner compares: equal shapes and
 * types, floats within rtol 1e-3 / atol 1e-7, integers and booleans exactly.
 *
 * <p>Many node tests feed op parameters (Clip bounds, Slice starts/ends, BatchNormalization
 * statistics, ReduceMean axes) as graph inputs. Topiary needs them at conversion time, as exported
 * models hold them (initializers, Constant nodes). When the converter refuses a test for exactly
 * that reason, the test is converted again with every graph input but the first turned into an
 * initializer holding its test value, so the op's semantics are still checked on the same data.
 * Likewise the LayerNormalization tests also read the training outputs Mean and InvStdDev, which
 * Topiary does not produce; when the converter refuses extra outputs, only the first is kept and
 * compared. The summary says how many passes needed either adaptation.
 *
 * <p>Each test ends in one of three states:
 * <ul>
 *   <li><b>passed</b>;
 *   <li><b>unsupported</b> (skipped): conversion raised {@link UnsupportedOpsException}, the reader
 *       refused the IR/opset version or a data type, a graph input is not FLOAT32/INT32/INT64/BOOL
 *       or not a tensor at all (sequences, optionals), or the converter reported a feature as
 *       unsupported;
 *   <li><b>failed</b>: anything else. A failure listed in {@code onnx-known-failures.txt} with its
 *       reason is skipped with that reason; an unlisted one fails the build; a listed test that no
 *       longer fails also fails the build, asking for its removal, so the list stays honest.
 * </ul>
 * The class prints one line {@code onnx-node: N passed, M failed, K unsupported} at the end
 * (M counts listed and unlisted failures). Without the data (a fresh clone) every case is skipped.
 */
@RunWith(Parameterized.class)
public class OnnxNodeConformanceTest {
  private static final String KNOWN_FAILURES = "/conformance/onnx-known-failures.txt";
  private static final double RTOL = 1e-3;
  private static final double ATOL = 1e-7;
  /**
   * Tests that need a looser atol than ONNX's 1e-7, with the reason. Each is a float32 result whose
   * expected value was computed in float64 (NumPy) and rounded, near zero, where a correct float32
   * computation differs by a few ulps of the inputs' magnitude rather than of the result's.
   */
  private static final Map<String, Double> LOOSER_ATOL = new HashMap<>();

  private static final AtomicInteger PASSED = new AtomicInteger();
  private static final AtomicInteger FAILED = new AtomicInteger();
  private static final AtomicInteger UNSUPPORTED = new AtomicInteger();
  private static final Map<Adaptation, AtomicInteger> ADAPTED = new EnumMap<>(Adaptation.class);

  static {
    for (Adaptation a : Adaptation.values()) {
      ADAPTED.put(a, new AtomicInteger());
    }
  }
  private static final Optional<Path> NODE_DIR = ConformanceData.root().map(p -> p.resolve("onnx").resolve("node"))
      .filter(Files::isDirectory);
  private static final KnownFailures KNOWN = KnownFailures.load(KNOWN_FAILURES);

  @Parameterized.Parameters(name = "{0}")
  public static Collection<Object[]> cases() throws IOException {
    List<Object[]> out = new ArrayList<>();
    if (!NODE_DIR.isPresent()) {
      out.add(new Object[] {"(no conformance data)"});
      return out;
    }
    try (Stream<Path> s = Files.list(NODE_DIR.get())) {
      s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).map(p -> p.getFileName().toString()).sorted()
          .forEach(n -> out.add(new Object[] {n}));
    }
    return out;
  }

  private final String name;

  public OnnxNodeConformanceTest(String name) {
    this.name = name;
  }

  @Test
  public void conforms() {
    assumeTrue(ConformanceData.missingMessage("ONNX node tests (onnx/node)"), NODE_DIR.isPresent());
    Outcome o = evaluate(NODE_DIR.get().resolve(name));
    String known = KNOWN.reason(name);
    switch (o.kind) {
      case PASSED:
        PASSED.incrementAndGet();
        for (Adaptation a : o.adapted) {
          ADAPTED.get(a).incrementAndGet();
        }
        if (known != null) {
          stale(name + " passes now: remove " + name + " from the known-failures list (" + KNOWN.source() + ")");
        }
        return;
      case UNSUPPORTED:
        UNSUPPORTED.incrementAndGet();
        if (known != null) {
          stale(name + " is unsupported now (" + o.message + "), not failing: remove " + name
              + " from the known-failures list (" + KNOWN.source() + ")");
        }
        assumeTrue("unsupported: " + o.message, false);
        return;
      default:
        FAILED.incrementAndGet();
        assumeTrue("known failure (" + known + "): " + o.message, known == null);
        AssertionError e = new AssertionError(name + " failed (not in " + KNOWN.source() + "): " + o.message);
        if (o.cause != null) {
          e.initCause(o.cause);
        }
        throw e;
    }
  }

  @AfterClass
  public static void summary() {
    int total = PASSED.get() + FAILED.get() + UNSUPPORTED.get();
    if (total > 0) {
      System.out.println("onnx-node: " + PASSED + " passed, " + FAILED + " failed, " + UNSUPPORTED + " unsupported");
      System.out.println("  (passed after adaptation: " + ADAPTED.get(Adaptation.FROZEN_PARAMETERS)
          + " with op parameters frozen as initializers, " + ADAPTED.get(Adaptation.FIRST_OUTPUT_ONLY)
          + " comparing only the first output)");
    }
    if (NODE_DIR.isPresent()) {
      Set<String> unknown = new TreeSet<>(KNOWN.all().keySet());
      unknown.removeIf(n -> Files.isDirectory(NODE_DIR.get().resolve(n)));
      if (!unknown.isEmpty()) {
        fail(KNOWN.source() + " names tests that do not exist: " + unknown);
      }
    }
  }

  private static void stale(String message) {
    System.out.println("STALE KNOWN FAILURE: " + message);
    fail(message);
  }

  enum Kind { PASSED, UNSUPPORTED, FAILED }

  /** How a test was adapted to what Topiary supports before it passed (see the class javadoc). */
  enum Adaptation {
    /** Graph inputs after the first became initializers holding their test values. */
    FROZEN_PARAMETERS,
    /** Only the first graph output was kept (LayerNormalization's Mean and InvStdDev dropped). */
    FIRST_OUTPUT_ONLY
  }

  /** How one test ended, with the reason when it did not pass. */
  static final class Outcome {
    final Kind kind;
    final String message;
    final Throwable cause;
    final Set<Adaptation> adapted;

    private Outcome(Kind kind, String message, Throwable cause, Set<Adaptation> adapted) {
      this.kind = kind;
      this.message = message;
      this.cause = cause;
      this.adapted = adapted;
    }

    static Outcome passed(Set<Adaptation> adapted) {
      return new Outcome(Kind.PASSED, "", null, adapted);
    }

    static Outcome unsupported(String why) {
      return new Outcome(Kind.UNSUPPORTED, why, null, Set.of());
    }

    static Outcome failed(String why, Throwable cause) {
      return new Outcome(Kind.FAILED, why, cause, Set.of());
    }
  }

  /** Converts, runs and compares one node test. */
  private Outcome evaluate(Path dir) {
    ModelProto mp;
    try {
      mp = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("model.onnx")));
    } catch (IOException e) {
      return Outcome.failed("cannot read model.onnx: " + e, e);
    }
    Set<String> initializers = new HashSet<>();
    for (TensorProto t : mp.getGraph().getInitializerList()) {
      initializers.add(t.getName());
    }
    Path data = dir.resolve("test_data_set_0");
    ConvertOptions.Builder options = ConvertOptions.builder().checkGraph(true);
    Map<String, TensorProto> inputs = new LinkedHashMap<>();
    int k = 0;
    for (ValueInfoProto vi : mp.getGraph().getInputList()) {
      if (initializers.contains(vi.getName())) {
        continue;
      }
      Path pb = data.resolve("input_" + k++ + ".pb");
      if (!vi.getType().hasTensorType()) {
        return Outcome.unsupported("graph input '" + vi.getName() + "' is not a tensor (sequence or optional)");
      }
      try {
        TensorProto t = OnnxTensors.parse(pb);
        if (OnnxTensors.inputType(t.getDataType()) == null) {
          return Outcome.unsupported("input '" + vi.getName() + "' is " + OnnxReader.typeName(t.getDataType()));
        }
        inputs.put(vi.getName(), t);
        fixSymbolicShape(options, vi, t);
      } catch (IOException e) {
        return Outcome.failed("cannot read " + pb.getFileName() + ": " + e, e);
      }
    }
    for (ValueInfoProto vi : mp.getGraph().getOutputList()) {
      if (!vi.getType().hasTensorType()) {
        return Outcome.unsupported("graph output '" + vi.getName() + "' is not a tensor (sequence or optional)");
      }
    }

    ModelProto model = mp;
    Map<String, TensorProto> fed = inputs;
    Set<Adaptation> adapted = EnumSet.noneOf(Adaptation.class);
    ConversionResult r;
    try {
      while (true) {
        try {
          r = adapted.isEmpty() ? Converter.convert(dir.resolve("model.onnx"), options.build())
              : Converter.convert(model.toByteArray(), options.build());
          break;
        } catch (UnsupportedOpsException e) {
          throw e;
        } catch (ConversionException e) {
          String m = String.valueOf(e.getMessage());
          if (m.contains("is computed at run time") && m.contains("conversion time") && fed.size() > 1
              && adapted.add(Adaptation.FROZEN_PARAMETERS)) {
            String first = fed.keySet().iterator().next();
            model = freezeAllBut(model, first, inputs);
            fed = Map.of(first, inputs.get(first));
          } else if (m.contains("outputs are not supported") && model.getGraph().getOutputCount() > 1
              && adapted.add(Adaptation.FIRST_OUTPUT_ONLY)) {
            model = model.toBuilder().setGraph(model.getGraph().toBuilder().clearOutput()
                .addOutput(model.getGraph().getOutput(0))).build();
          } else {
            throw e;
          }
        }
      }
    } catch (UnsupportedOpsException e) {
      return Outcome.unsupported(e.getMessage());
    } catch (ConversionException | IOException e) {
      return saysUnsupported(e.getMessage()) ? Outcome.unsupported(e.getMessage())
          : Outcome.failed("conversion failed: " + e, e);
    } catch (RuntimeException | AssertionError e) {
      return Outcome.failed("conversion crashed: " + e, e);
    }

    Map<String, Tensor> outputs;
    try (Model m = Model.load(ByteBuffer.wrap(r.artifact()));
        Session s = m.newSession(SessionOptions.builder().threads(1).build())) {
      Map<String, Tensor> feed = new LinkedHashMap<>();
      for (Map.Entry<String, TensorProto> e : fed.entrySet()) {
        feed.put(e.getKey(), OnnxTensors.toTensor(e.getValue(), "input '" + e.getKey() + "'"));
      }
      outputs = s.run(feed);
    } catch (IOException | RuntimeException | AssertionError e) {
      return Outcome.failed("runtime: " + e, e);
    }

    double atol = LOOSER_ATOL.getOrDefault(name, ATOL);
    k = 0;
    for (ValueInfoProto vi : model.getGraph().getOutputList()) {
      Path pb = data.resolve("output_" + k++ + ".pb");
      try {
        TensorValue expected = OnnxReader.tensor(OnnxTensors.parse(pb), pb.getFileName().toString(), null);
        Tensor actual = outputs.get(vi.getName());
        if (actual == null) {
          return Outcome.failed("no output '" + vi.getName() + "' (got " + outputs.keySet() + ")", null);
        }
        OnnxTensors.assertMatches("output '" + vi.getName() + "'", expected, actual, RTOL, atol);
      } catch (IOException | RuntimeException e) {
        return Outcome.failed("cannot read " + pb.getFileName() + ": " + e, e);
      } catch (AssertionError e) {
        return Outcome.failed(e.getMessage(), null);
      }
    }
    return Outcome.passed(adapted);
  }

  /**
   * The model with every graph input except {@code keep} turned into an initializer holding its test
   * value. Node tests feed op parameters as graph inputs; exported models hold them as constants,
   * which is what Topiary supports, so this checks the op's semantics with the same values.
   */
  private static ModelProto freezeAllBut(ModelProto mp, String keep, Map<String, TensorProto> values) {
    GraphProto.Builder g = mp.getGraph().toBuilder();
    List<ValueInfoProto> declared = new ArrayList<>(g.getInputList());
    g.clearInput();
    for (ValueInfoProto vi : declared) {
      TensorProto v = values.get(vi.getName());
      if (vi.getName().equals(keep) || v == null) {
        g.addInput(vi);
      } else {
        g.addInitializer(v.toBuilder().setName(vi.getName()));
      }
    }
    return mp.toBuilder().setGraph(g).build();
  }

  /** Sets the converter's input shape from the data when the model leaves some dimension symbolic. */
  private static void fixSymbolicShape(ConvertOptions.Builder options, ValueInfoProto vi, TensorProto data) {
    TypeProto.Tensor tt = vi.getType().getTensorType();
    boolean symbolic = !tt.hasShape();
    for (TensorShapeProto.Dimension d : tt.getShape().getDimList()) {
      symbolic |= !d.hasDimValue();
    }
    int[] dims = new int[data.getDimsCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = (int) data.getDims(i);
      symbolic &= dims[i] > 0;
    }
    if (symbolic) {
      options.inputShape(vi.getName(), dims);
    }
  }

  /**
   * Whether a conversion error reports a missing feature rather than a bug: "unsupported", "not
   * supported", and the converter's phrasings of a limit: "supported" with "only" ("Erf is
   * supported only as part of the GELU pattern", "only 1-D and 2-D pooling is supported") and
   * "the runtime computes this op in FLOAT32 only" (integer arithmetic).
   */
  private static boolean saysUnsupported(String message) {
    String m = message == null ? "" : message.toLowerCase(Locale.ROOT);
    return m.contains("unsupported") || m.contains("not supported")
        || (m.contains("supported") && m.contains("only")) || m.contains("in float32 only");
  }
}
