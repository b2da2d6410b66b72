package dev.topiary.converter.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import dev.topiary.converter.report.ProfileModels;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Renders {@code topiary profile --html} in headless Chromium and checks the screenshot is a
 * picture, not a blank page. Skipped, with the reason on stderr, where no {@code chromium} is on
 * the PATH ({@code .ci/run} installs Debian's).
 */
public class ProfileHtmlScreenshotTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** Seconds Chromium may take before it is killed and the test fails. */
  private static final int TIMEOUT_SECONDS = 60;

  static Path chromium() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : new String[] {"chromium", "chromium-browser"}) {
        Path p = Path.of(dir.isEmpty() ? "." : dir, name);
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  @Test
  public void reportRendersToANonBlankScreenshot() throws Exception {
    Path chromium = chromium();
    if (chromium == null) {
      System.err.println("ProfileHtmlScreenshotTest: skipped, no chromium on the PATH (apt-get install chromium; .ci/run does)");
    }
    assumeTrue("no chromium on the PATH (apt-get install chromium; .ci/run does)", chromium != null);

    Path dir = tmp.getRoot().toPath();
    Path model = CliTestSupport.write(dir.resolve("chain.topiary"), ProfileModels.linearChain());
    Path html = dir.resolve("report.html");
    run("profile", model.toString(), model.toString(), "--warmup", "1", "--iterations", "3", "--threads", "1",
        "--html", html.toString(), "--quiet");
    Path png = dir.resolve("shot.png");
    List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--hide-scrollbars", "--user-data-dir=" + dir.resolve("profile"), "--screenshot=" + png,
        "--window-size=1280,1600", html.toUri().toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
    boolean done = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!done) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    assertTrue("chromium did not finish in " + TIMEOUT_SECONDS + " s", done);
    assertTrue("no screenshot; chromium said: " + Files.readString(dir.resolve("chromium.log")), Files.isRegularFile(png));

    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image);
    assertEquals(1280, image.getWidth());
    Set<Integer> colours = new HashSet<>();
    long nonWhite = 0;
    for (int y = 0; y < image.getHeight(); y += 2) {
      for (int x = 0; x < image.getWidth(); x += 2) {
        int rgb = image.getRGB(x, y) & 0xFFFFFF;
        colours.add(rgb);
        int r = rgb >> 16;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        nonWhite += r < 235 || g < 235 || b < 235 ? 1 : 0;
      }
    }
    long samples = (long) ((image.getWidth() + 1) / 2) * ((image.getHeight() + 1) / 2);
    assertTrue("only " + colours.size() + " distinct colours", colours.size() > 100);
    assertTrue("non-white share " + nonWhite + "/" + samples, nonWhite > samples / 20);
  }

  private static void run(String... args) {
    CliTestSupport.run(args).assertOk();
  }
}
