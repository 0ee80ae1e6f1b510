package dev.sparkmerge.method;

import static dev.sparkmerge.method.SimdShapes.INT_PAIRS;
import static dev.sparkmerge.method.SimdShapes.LANES;
import static dev.sparkmerge.method.SimdShapes.LONGS;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.XOR;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;

/**
 * The Vector API form of {@link CounterRng#keepMasks}: the same SplitMix64 hashes, several pairs of
 * elements per step. Loaded only when {@link Simd#ENABLED}.
 */
final class SimdRng {
  /** Pairs of elements (one hash each) per step. */
  private static final int PAIRS = LANES;
  /** lane·GOLDEN: the hash input of pair q is (q + 1)·GOLDEN + key, a step of GOLDEN per pair. */
  private static final LongVector LANE_GOLDEN =
      LongVector.zero(LONGS).addIndex(1).mul(CounterRng.GOLDEN);

  private SimdRng() {}

  /**
   * Writes {@code masks[offset + j]}, the mask of element start + j, for j in [0, return value), a
   * whole number of steps; start is even (the first of its pair). The caller does the rest.
   */
  static int keepMasks(long streamKey, long start, int n, long threshold, int[] masks,
      int offset) {
    int step = 2 * PAIRS;
    int end = n - n % step;
    for (int j = 0; j < end; j += step) {
      // Hash q = (start + j) / 2 + lane, as CounterRng.bits: mix(streamKey + (q + 1)·GOLDEN), with
      // SplitMix64's finalizer written out (a vector passed to a call the JIT does not inline is
      // allocated).
      LongVector r = LANE_GOLDEN.add((((start + j) >>> 1) + 1) * CounterRng.GOLDEN + streamKey);
      r = r.lanewise(XOR, r.lanewise(LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
      r = r.lanewise(XOR, r.lanewise(LSHR, 27)).mul(0x94D049BB133111EBL);
      r = r.lanewise(XOR, r.lanewise(LSHR, 31));
      // Element 2q keeps when its top 24 bits are below the threshold, 2q + 1 its middle 24 bits.
      LongVector even = r.lanewise(LSHR, 40).and(0xFFFFFFL).sub(threshold).lanewise(ASHR, 63);
      LongVector odd = r.lanewise(LSHR, 16).and(0xFFFFFFL).sub(threshold).lanewise(ASHR, 63);
      // A reinterpretation keeps memory order (little-endian): long lane p's low half becomes int
      // lane 2p (element 2q), its high half int lane 2p + 1 (element 2q + 1).
      ((IntVector) even.and(0xFFFFFFFFL).or(odd.lanewise(LSHL, 32))
          .reinterpretShape(INT_PAIRS, 0)).intoArray(masks, offset + j);
    }
    return end;
  }
}
