package dev.topiary.internal.ops;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import org.junit.Test;

public class PaddingTest {
  /** One spatial dimension: returns {begin, end, out}. */
  private static int[] one(String mode, int[] pads, int in, int k, int s, int d, boolean ceil) {
    return Padding.resolve(mode, pads, new int[] {in}, new int[] {k}, new int[] {s}, new int[] {d}, ceil);
  }

  private static String error(String mode, int[] pads, int in, int k, int s, int d) {
    try {
      one(mode, pads, in, k, s, d, false);
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    fail("expected an error");
    return null;
  }

  @Test
  public void explicitAndValid() {
    assertArrayEquals(new int[] {1, 1, 3}, one("EXPLICIT", new int[] {1, 1}, 5, 3, 2, 1, false));
    assertArrayEquals(new int[] {0, 2, 3}, one("EXPLICIT", new int[] {0, 2}, 5, 3, 2, 1, false));
    assertArrayEquals(new int[] {0, 0, 3}, one("EXPLICIT", null, 7, 3, 2, 1, false));
    assertArrayEquals(new int[] {0, 0, 3}, one("VALID", null, 7, 3, 2, 1, false));
    assertArrayEquals(new int[] {0, 0, 2}, one("VALID", new int[] {0, 0}, 7, 3, 2, 2, false)); // window 5
    assertArrayEquals(new int[] {0, 0, 1}, one("VALID", null, 3, 3, 1, 1, false));
    // Conv2D doc formula: floor((H + pt + pb − dh·(KH−1) − 1)/sh) + 1.
    assertArrayEquals(new int[] {2, 1, 5}, one("EXPLICIT", new int[] {2, 1}, 10, 3, 2, 2, false)); // (13 − 5)/2 + 1
  }

  @Test
  public void ceilMode() {
    // 6 wide, k 3, s 2: floor gives 2 windows, ceil 3 (the last one covers 4..6, half outside).
    assertArrayEquals(new int[] {0, 0, 2}, one("VALID", null, 6, 3, 2, 1, false));
    assertArrayEquals(new int[] {0, 0, 3}, one("VALID", null, 6, 3, 2, 1, true));
    // PyTorch: MaxPool2d(2, 2, ceil_mode=True) on 5 → 3.
    assertArrayEquals(new int[] {0, 0, 3}, one("EXPLICIT", null, 5, 2, 2, 1, true));
    // in 5, k 2, s 2, pads 1/1: ceil would give 4, but window 3 starts at padded 6 = in + pb:
    // entirely in the end padding, dropped (ONNX / PyTorch rule).
    assertArrayEquals(new int[] {1, 1, 3}, one("EXPLICIT", new int[] {1, 1}, 5, 2, 2, 1, true));
    assertArrayEquals(new int[] {1, 1, 3}, one("EXPLICIT", new int[] {1, 1}, 5, 2, 2, 1, false));
    // in 6, k 3, s 2, pads 1/1: ceil 4, last window starts at 5 (inside): kept.
    assertArrayEquals(new int[] {1, 1, 4}, one("EXPLICIT", new int[] {1, 1}, 6, 3, 2, 1, true));
    assertArrayEquals(new int[] {1, 1, 3}, one("EXPLICIT", new int[] {1, 1}, 6, 3, 2, 1, false));
    // Exact fit: ceil changes nothing.
    assertArrayEquals(new int[] {0, 0, 3}, one("VALID", null, 7, 3, 2, 1, true));
  }

  @Test
  public void same() {
    // out = ceil(in/s); total = max((out−1)s + window − in, 0); odd element at the end (UPPER) or start (LOWER).
    assertArrayEquals(new int[] {1, 1, 4}, one("SAME_UPPER", null, 7, 3, 2, 1, false));
    assertArrayEquals(new int[] {0, 1, 3}, one("SAME_UPPER", null, 6, 3, 2, 1, false));
    assertArrayEquals(new int[] {1, 0, 3}, one("SAME_LOWER", null, 6, 3, 2, 1, false));
    assertArrayEquals(new int[] {0, 0, 3}, one("SAME_UPPER", null, 5, 1, 2, 1, false));
    assertArrayEquals(new int[] {2, 2, 10}, one("SAME_LOWER", null, 10, 3, 1, 2, false));
    assertArrayEquals(new int[] {1, 2, 5}, one("SAME_UPPER", null, 5, 4, 1, 1, false));
    assertArrayEquals(new int[] {2, 1, 5}, one("SAME_LOWER", null, 5, 4, 1, 1, false));
    // ceil_mode does not apply to SAME.
    assertArrayEquals(new int[] {0, 1, 3}, one("SAME_UPPER", null, 6, 3, 2, 1, true));
    // A window larger than the input is fine: SAME pads as much as needed.
    assertArrayEquals(new int[] {2, 2, 1}, one("SAME_UPPER", null, 1, 5, 1, 1, false));
  }

  @Test
  public void twoDimensions() {
    int[] r = Padding.resolve("EXPLICIT", new int[] {1, 0, 2, 0}, new int[] {8, 9}, new int[] {3, 2},
        new int[] {1, 3}, new int[] {1, 1}, false);
    assertArrayEquals(new int[] {1, 0, 2, 0, 9, 3}, r);
    r = Padding.resolve("SAME_UPPER", null, new int[] {224, 224}, new int[] {3, 3}, new int[] {2, 2},
        new int[] {1, 1}, false);
    assertArrayEquals(new int[] {0, 0, 1, 1, 112, 112}, r);
  }

  @Test
  public void errors() {
    assertEquals("window 5 (kernel 5, dilation 1) is larger than the padded input 4 along spatial dimension 0",
        error("EXPLICIT", new int[] {1, 1}, 2, 5, 1, 1));
    assertEquals("window 7 (kernel 4, dilation 2) is larger than the padded input 6 along spatial dimension 0",
        error("VALID", null, 6, 4, 1, 2));
    assertEquals("unknown padding 'SAME' (expected EXPLICIT, VALID, SAME_UPPER or SAME_LOWER)",
        error("SAME", null, 6, 3, 1, 1));
    assertEquals("pads [1, 0] are only allowed with padding EXPLICIT, got SAME_UPPER",
        error("SAME_UPPER", new int[] {1, 0}, 6, 3, 1, 1));
    assertEquals("pads must be >= 0, got [-1, 0]", error("EXPLICIT", new int[] {-1, 0}, 6, 3, 1, 1));
    assertEquals("pads need 2 values, got [1]", error("EXPLICIT", new int[] {1}, 6, 3, 1, 1));
    assertEquals("kernel, strides and dilations must be >= 1, got kernel [3], strides [0], dilations [1]",
        error("EXPLICIT", null, 6, 3, 0, 1));
  }
}
