package dev.sparkmerge.method;

import static dev.sparkmerge.method.SimdShapes.FLOATS;
import static dev.sparkmerge.method.SimdShapes.INTS;
import static dev.sparkmerge.method.SimdShapes.LANES;
import static dev.sparkmerge.method.SimdShapes.LONGS;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2L;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.MIN;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;

/**
 * The Vector API form of {@link ExactSum#addAbsSplit} for one tile, still exact. Where the tile's
 * non-zero magnitudes span at most {@link #MAX_SPREAD} binary exponents (the usual case: a tile
 * of task-vector deltas spans a few), every |value| is an integer significand shifted left by its
 * exponent's distance from the smallest, which fits a long with room for a tile's sum; the sums
 * go into the lanes of ExactSum as three 24-bit pieces. Same integers, same lanes as the scalar
 * scatter, so the same bits at the end. Loaded only when {@link Simd#ENABLED}.
 */
final class SimdExactSum {
  /** Elements per tile: ≤ 2^11 terms below 2^51 each keep a tile's sum below 2^62. */
  static final int TILE = 2048;
  /** Largest exponent distance within a tile: a term is a 24-bit significand shifted by ≤ 27. */
  private static final int MAX_SPREAD = 27;

  private SimdExactSum() {}

  /**
   * Adds |all[j]| to allLanes and, where kept[j] is not +0.0, to keptLanes, for j in
   * [from, from + n), n ≤ TILE — or returns false without adding anything when the tile does not
   * suit (a length that is not a whole number of vectors, an infinity or NaN, exponents too far
   * apart), for the scalar scatter to do.
   */
  static boolean addAbsSplit(float[] all, float[] kept, int from, int n, long[] allLanes,
      long[] keptLanes) {
    if (n % LANES != 0 || n > TILE) {
      return false;
    }
    // The smallest effective exponent max(e, 1) of a non-zero magnitude, and the largest exponent.
    IntVector low = IntVector.broadcast(INTS, 255);
    IntVector high = IntVector.zero(INTS);
    for (int j = 0; j < n; j += LANES) {
      IntVector bits = FloatVector.fromArray(FLOATS, all, from + j).reinterpretAsInts()
          .and(0x7FFFFFFF);
      IntVector e = bits.lanewise(LSHR, 23);
      // Zero magnitudes take 255 so they never lower the minimum.
      IntVector zero = bits.neg().or(bits).lanewise(ASHR, 31).not(); // −1 where bits == 0
      low = low.min(e.max(1).or(zero.and(255)));
      high = high.max(e);
    }
    int lo = low.reduceLanes(MIN);
    int hi = Math.max(1, high.reduceLanes(MAX));
    if (lo == 255) {
      return hi < 255; // all zero: nothing to add (an all-NaN tile is left to the scalar code)
    }
    if (hi == 255 || hi - lo > MAX_SPREAD || lo + 48 > 254) {
      return false;
    }
    LongVector sumAll = LongVector.zero(LONGS);
    LongVector sumKept = LongVector.zero(LONGS);
    for (int j = 0; j < n; j += LANES) {
      IntVector bits = FloatVector.fromArray(FLOATS, all, from + j).reinterpretAsInts()
          .and(0x7FFFFFFF);
      IntVector e = bits.lanewise(LSHR, 23);
      IntVector hidden = e.neg().or(e).lanewise(LSHR, 31).lanewise(LSHL, 23); // 2^23 if e ≠ 0
      IntVector significand = bits.and(0x7FFFFF).or(hidden);
      IntVector shift = e.max(1).sub(lo).max(0); // zeros may sit below lo; their significand is 0
      IntVector k = FloatVector.fromArray(FLOATS, kept, from + j).reinterpretAsInts();
      IntVector keptFlag = k.neg().or(k).lanewise(LSHR, 31); // 1 unless +0.0
      // One widening per step: significand (24 bits), shift (5 bits) and flag packed in an int.
      IntVector packed = significand.or(shift.lanewise(LSHL, 24)).or(keptFlag.lanewise(LSHL, 29));
      LongVector wide = (LongVector) packed.convertShape(I2L, LONGS, 0);
      LongVector term = wide.and(0xFFFFFFL).lanewise(LSHL, wide.lanewise(LSHR, 24).and(31L));
      LongVector keep = wide.lanewise(LSHR, 29).and(1L).neg();
      sumAll = sumAll.add(term);
      sumKept = sumKept.add(term.and(keep));
    }
    addPieces(sumAll.reduceLanes(ADD), lo, allLanes);
    addPieces(sumKept.reduceLanes(ADD), lo, keptLanes);
    return true;
  }

  /** Adds s units of lane lo as 24-bit pieces into lanes lo, lo + 24 and lo + 48. */
  private static void addPieces(long s, int lo, long[] lanes) {
    lanes[lo] += s & 0xFFFFFF;
    lanes[lo + 24] += (s >>> 24) & 0xFFFFFF;
    lanes[lo + 48] += s >>> 48;
  }
}
