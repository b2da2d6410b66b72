package dev.topiary.vector;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import dev.topiary.internal.cpu.Conv2DShape;
import dev.topiary.internal.cpu.Gemm;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import org.junit.Test;

/**
 * The strip classes specialised per shape ({@link DepthwiseStrips}): that the kernels of strip
 * shapes get one, that kernels of one shape share it, and that the set is bounded. Their sums are
 * checked bit for bit against the naive loop in {@link VectorDepthwiseTest}, which runs every
 * strip shape both with a strip class and without one.
 */
public class DepthwiseStripsTest {
  private static final FloatVectorKernels.Epilog RELU6 = new FloatVectorKernels.Epilog(Gemm.Act.CLAMP, 0f, 6f);

  @Test
  public void smallImagesRunSpecialisedCodeLargerOnesTheGenericClass() {
    assertTrue(kernel(7, 7, 32, 1).strips().specialised());
    assertTrue(kernel(14, 14, 64, 2).strips().specialised());
    assertTrue(kernel(14, 14, 16, 1).strips().specialised());
    // 14×14×96 = 18816 floats: more than SPECIALISED_MAX_FLOATS.
    assertFalse(kernel(14, 14, 96, 1).strips().specialised());
    assertFalse(kernel(7, 7, 960, 1).strips().specialised());
    // 23 output columns: pixel groups, no strips; fewer channels than a vector: none either.
    assertNull(kernel(23, 23, 32, 1).strips());
    assertNull(kernel(7, 7, 8, 1).strips());
    // A set with no room: the generic class; no set: no strips.
    Conv2DShape g = new Conv2DShape(7, 7, 32, 3, 3, 1, 1, 1, 1, 1, 1, 7, 7);
    assertFalse(new VectorDepthwise(g, new float[32 * 9], null, RELU6, DepthwiseStrips.newClasses(0)).strips()
        .specialised());
    assertNull(new VectorDepthwise(g, new float[32 * 9], null, RELU6, null).strips());
  }

  @Test
  public void oneClassPerShapeAndNoMoreThanTheBound() {
    ShapeClasses classes = DepthwiseStrips.newClasses(2);
    int flags = DepthwiseStrips.FUSED | DepthwiseStrips.BIAS | DepthwiseStrips.LO | DepthwiseStrips.HI;
    MethodHandle a = classes.constructor(32, 32, 32, 7, 7, 1, flags);
    assertNotNull(a);
    assertSame(a, classes.constructor(32, 32, 32, 7, 7, 1, flags));
    MethodHandle b = classes.constructor(32, 32, 32, 7, 7, 1, DepthwiseStrips.FUSED | DepthwiseStrips.LO);
    assertNotNull(b);
    assertNotSame(a, b);
    assertEquals(2, classes.size());
    // Full: a new shape gets nothing, a known one still gets its class, and the generic class is
    // there outside the bound.
    assertNull(classes.constructor(64, 64, 64, 14, 7, 2, flags));
    assertSame(a, classes.constructor(32, 32, 32, 7, 7, 1, flags));
    MethodHandle generic = classes.generic();
    assertNotNull(generic);
    assertSame(generic, classes.generic());
    assertEquals(2, classes.size());
  }

  @Test
  public void kernelsOfOneShapeShareTheClassButNotTheirWeights() {
    ShapeClasses classes = DepthwiseStrips.newClasses(4);
    Conv2DShape g = new Conv2DShape(7, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1, 7, 7);
    float[] in = new float[7 * 7 * 16];
    Arrays.fill(in, 1f);
    float[] ones = new float[16 * 9];
    Arrays.fill(ones, 1f);
    float[] halves = new float[16 * 9];
    Arrays.fill(halves, 0.5f);
    VectorDepthwise first = new VectorDepthwise(g, ones, null, RELU6, classes);
    VectorDepthwise second = new VectorDepthwise(g, halves, null, RELU6, classes);
    assertEquals(1, classes.size());
    float[] out1 = new float[in.length];
    float[] out2 = new float[in.length];
    first.compute(in, 0, out1, 0, 0, 0, 7);
    second.compute(in, 0, out2, 0, 0, 0, 7);
    // The centre pixel sums nine taps: 9 clamped to 6, and 4.5.
    int centre = (3 * 7 + 3) * 16;
    assertEquals(6f, out1[centre], 0f);
    assertEquals(4.5f, out2[centre], 0f);
    // A corner pixel sums four.
    assertEquals(4f, out1[0], 0f);
    assertEquals(2f, out2[0], 0f);
  }

  private static VectorDepthwise kernel(int h, int w, int c, int stride) {
    int oh = (h - 1) / stride + 1;
    int ow = (w - 1) / stride + 1;
    Conv2DShape g = new Conv2DShape(h, w, c, 3, 3, stride, stride, 1, 1, 1, 1, oh, ow);
    return new VectorDepthwise(g, new float[c * 9], new float[c], RELU6);
  }
}
