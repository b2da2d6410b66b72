package dev.topiary.converter.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The tool's version, from a resource the build fills in (see {@code src/main/resources-filtered}). */
final class Version {
  private Version() {}

  /** E.g. {@code 0.1.0-SNAPSHOT}; {@code "unknown"} when the resource is missing. */
  static String get() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
