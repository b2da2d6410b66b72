package dev.topiary.converter.report;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.topiary.Model;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;

public class HtmlReportTest {
  static ModelProfile profile(byte[] artifact, String path) throws Exception {
    try (Model m = Model.load(ByteBuffer.wrap(artifact))) {
      return Profiler.profile(path, false, true, artifact, artifact, m, 1, new Profiler.Options(1, 0, 2, 42),
          (what, done, total) -> {});
    }
  }

  @Test
  public void escapesModelStringsAndReferencesNothingOutside() throws Exception {
    ModelProfile p = profile(ProfileModels.linearChain(), "dir/<b>m</b>.topiary");
    String html = HtmlReport.render(List.of(p, p), LayerMatch.match(p.layers(), p.layers()));
    assertFalse(html, html.contains("<script"));
    assertFalse(html.contains("<b>m</b>"));
    assertEquals("one svg closing tag per svg", count(html, "<svg"), count(html, "</svg>"));
    assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;/svg&gt;"));
    assertFalse(html.contains("http://"));
    assertFalse(html.contains("https://"));
    assertFalse(html.contains(" src="));
    assertFalse(html.contains("@import"));
    assertFalse(html.contains("url("));
    assertTrue(html.startsWith("<!DOCTYPE html>"));
    assertTrue(html.contains("Before \u2192 after"));
  }

  @Test
  public void escapeCoversMarkupCharacters() {
    assertEquals("&lt;/svg&gt;&amp;&quot;&#39;", HtmlReport.esc("</svg>&\"'"));
    assertEquals("a\ufffdb", HtmlReport.esc("a\u0001b"));
  }

  private static int count(String s, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
