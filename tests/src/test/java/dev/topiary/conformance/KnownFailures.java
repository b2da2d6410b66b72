package dev.topiary.conformance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A checked-in list of conformance tests known to fail, one {@code test_name<TAB>reason} per line;
 * blank lines and lines starting with {@code #} are ignored.
 */
final class KnownFailures {
  private final String source;
  private final Map<String, String> reasons;

  private KnownFailures(String source, Map<String, String> reasons) {
    this.source = source;
    this.reasons = Collections.unmodifiableMap(reasons);
  }

  /** Loads the list from the test classpath resource {@code resource} (e.g. {@code /conformance/x.txt}). */
  static KnownFailures load(String resource) {
    Map<String, String> m = new LinkedHashMap<>();
    String source = "tests/src/test/resources" + resource;
    try (InputStream in = KnownFailures.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(source + " is missing from the test classpath");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      int lineNo = 0;
      for (String line; (line = r.readLine()) != null; ) {
        lineNo++;
        if (line.trim().isEmpty() || line.startsWith("#")) {
          continue;
        }
        int tab = line.indexOf('\t');
        if (tab <= 0 || line.substring(tab + 1).trim().isEmpty()) {
          throw new IllegalStateException(source + ":" + lineNo + ": expected 'test_name<TAB>reason', got '" + line
              + "'");
        }
        String name = line.substring(0, tab).trim();
        if (m.put(name, line.substring(tab + 1).trim()) != null) {
          throw new IllegalStateException(source + ":" + lineNo + ": " + name + " is listed twice");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new KnownFailures(source, m);
  }

  /** Where the list lives in the repository, for messages. */
  String source() {
    return source;
  }

  /** The reason {@code test} is expected to fail, or null when it is not listed. */
  String reason(String test) {
    return reasons.get(test);
  }

  /** Every listed test with its reason, in file order. */
  Map<String, String> all() {
    return reasons;
  }
}
