package dev.topiary.vector;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Per-channel int32 sums of int8 NHWC pixels (the int8 GlobalAvgPool): a block of {@code L}
 * channels at a time, one byte vector per pixel widened to ints and added into one register, so a
 * block's sums are stored once. The channels past the last whole block are summed one by one.
 */
final class Int8ChannelSums {
  private static final VectorSpecies<Integer> I = Int8Requant.I;
  private static final VectorSpecies<Byte> B = Int8Requant.B;
  private static final int L = I.length();

  private Int8ChannelSums() {}

  static void run(byte[] in, int off, int pixels, int c, int[] sums) {
    int ch = 0;
    for (; ch + L <= c; ch += L) {
      IntVector acc = IntVector.zero(I);
      for (int p = 0, at = off + ch; p < pixels; p++, at += c) {
        acc = acc.add((IntVector) ByteVector.fromArray(B, in, at).convertShape(VectorOperators.B2I, I, 0));
      }
      acc.intoArray(sums, ch);
    }
    for (; ch < c; ch++) {
      int acc = 0;
      for (int p = 0, at = off + ch; p < pixels; p++, at += c) {
        acc += in[at];
      }
      sums[ch] = acc;
    }
  }
}
