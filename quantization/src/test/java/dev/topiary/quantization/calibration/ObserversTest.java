package dev.topiary.quantization.calibration;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.topiary.quantization.QuantParams;
import java.util.Random;
import org.junit.Test;

public class ObserversTest {
  @Test
  public void minMaxOverSeveralBatchesIgnoresNaN() {
    MinMaxObserver o = new MinMaxObserver();
    o.observe(new float[] {0.5f, -2f, Float.NaN});
    o.observe(new float[] {9f, 3f, 1f}, 1, 2);
    assertEquals(4, o.count());
    assertEquals(-2f, o.range()[0], 0);
    assertEquals(3f, o.range()[1], 0);
  }

  @Test
  public void emptyObserverRefusesToChoose() {
    try {
      new MinMaxObserver().range();
      fail();
    } catch (IllegalStateException e) {
      assertEquals("no values observed", e.getMessage());
    }
  }

  @Test
  public void percentileOfIntegersZeroTo9999() {
    // Values 0..9999 once each. By hand: the 99.9th percentile is the value with 99.9% of the
    // 10000 samples (9990) below it, i.e. 9990; the 0.1th is 10. One bin is 2*10000/4096 < 5 wide.
    float[] v = new float[10000];
    for (int i = 0; i < v.length; i++) {
      v[i] = i;
    }
    PercentileObserver o = new PercentileObserver(99.9);
    o.observe(v, 0, 5000);
    o.observe(v, 5000, 5000);
    float[] r = o.range();
    assertEquals(10f, r[0], 5);
    assertEquals(9990f, r[1], 5);
  }

  @Test
  public void percentileClipsARareOutlierButNotTheBulk() {
    // 99,999 values uniform in [-1, 1] and one at 1000: the 99.99th percentile (9.99 values from the
    // top) lies inside the bulk, close to 1 - 2*10/100000 = 0.9998.
    Random r = new Random(1);
    float[] v = new float[100000];
    for (int i = 0; i < v.length - 1; i++) {
      v[i] = r.nextFloat() * 2 - 1;
    }
    v[v.length - 1] = 1000;
    PercentileObserver o = new PercentileObserver();
    o.observe(v);
    float[] range = o.range();
    assertEquals(0.9998, range[1], 2 * 2000.0 / Histogram.BINS);
    assertEquals(-0.9998, range[0], 2 * 2000.0 / Histogram.BINS);
  }

  @Test
  public void percentile100IsMinMax() {
    PercentileObserver o = new PercentileObserver(100);
    o.observe(new float[] {-3f, 0f, 7.25f});
    assertEquals(-3f, o.range()[0], 0);
    assertEquals(7.25f, o.range()[1], 0);
  }

  @Test
  public void histogramMergesExactlyWhenItGrows() {
    Histogram h = new Histogram();
    h.add(new float[] {0f, 0f, 0.5f, -0.25f}, 0, 4);
    h.add(new float[] {100f, -100f}, 0, 2);
    long total = 0;
    for (int b = 0; b < Histogram.BINS; b++) {
      total += h.binCount(b);
    }
    assertEquals(6, total);
    assertEquals(6, h.count());
    assertTrue(h.radius() > 100);
    assertEquals(-100f, h.min(), 0);
    assertEquals(100f, h.max(), 0);
  }

  @Test
  public void mseMatchesABruteForceSearchOnRawData() {
    // A Gaussian bulk with a few far outliers: min-max would spend the 256 levels on the outliers.
    Random r = new Random(7);
    float[] v = new float[100000];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    v[0] = 40;
    v[1] = -35;
    v[2] = 30;
    MseObserver o = new MseObserver();
    o.observe(v);
    float[] chosen = o.range();
    // Oracle: quantize the raw values with each candidate range and measure the error directly.
    double bestErr = Double.POSITIVE_INFINITY;
    double bestF = 1;
    for (int k = 1; k <= 200; k++) {
      double f = k / 200.0;
      double e = rawError(v, -35 * f, 40 * f);
      if (e < bestErr) {
        bestErr = e;
        bestF = f;
      }
    }
    double chosenErr = rawError(v, chosen[0], chosen[1]);
    assertTrue("chosen " + chosen[0] + ".." + chosen[1] + " err " + chosenErr + " vs best " + bestErr,
        chosenErr <= bestErr * 1.05);
    assertEquals(bestF, chosen[1] / 40.0, 0.03);
  }

  @Test
  public void mseKeepsTheFullRangeOfAUniformDistribution() {
    // Uniform data has no tail worth clipping: the best range is (nearly) the whole range.
    float[] v = new float[4096];
    for (int i = 0; i < v.length; i++) {
      v[i] = -1 + 2f * i / (v.length - 1);
    }
    MseObserver o = new MseObserver();
    o.observe(v);
    assertEquals(1f, o.range()[1], 0.02);
    assertEquals(-1f, o.range()[0], 0.02);
  }

  @Test
  public void int8AsymmetricByHand() {
    // [-1, 3]: scale 4/255, zero point round(-128 + 1/(4/255)) = round(-64.25) = -64.
    QuantParams p = Ranges.int8Asymmetric(-1f, 3f);
    assertEquals(4f / 255, p.scale(0), 1e-9);
    assertEquals(-64, p.zeroPoint(0));
    // A range above zero is widened to include it: [0, 2.55] → scale 0.01, zero point -128.
    QuantParams q = Ranges.int8Asymmetric(1f, 2.55f);
    assertEquals(0.01f, q.scale(0), 1e-7);
    assertEquals(-128, q.zeroPoint(0));
    assertEquals(QuantParams.perTensor(1f, 0), Ranges.int8Asymmetric(0f, 0f));
  }

  @Test
  public void symmetricPerChannelByHand() {
    // Two channels of [2,3]: max |w| 1.27 and 0.5 → scales 0.01 and 0.5/127; an all-zero channel gets 1.
    QuantParams p = Ranges.int8SymmetricPerChannel(new float[] {1f, -1.27f, 0.3f, 0.5f, 0f, -0.1f}, 2, 0, 3);
    assertEquals(0.01f, p.scale(0), 1e-7);
    assertEquals(0.5f / 127, p.scale(1), 1e-9);
    assertEquals(0, p.zeroPoint(1));
    // Last axis ([3,2], channels along axis 1).
    QuantParams q = Ranges.int8SymmetricPerChannel(new float[] {1f, 0f, -2.54f, 0f, 0f, 0f}, 2, 1, 1);
    assertEquals(0.02f, q.scale(0), 1e-7);
    assertEquals(1f, q.scale(1), 0);
    assertEquals(1, q.axis());
  }

  private static double rawError(float[] v, double a, double b) {
    double step = (b - a) / 255;
    double zp = Math.round(-128 - a / step);
    double e = 0;
    for (float x : v) {
      double q = Math.max(-128, Math.min(127, Math.round(x / step) + zp));
      double d = x - (q - zp) * step;
      e += d * d;
    }
    return e;
  }
}
