package dev.sparkmerge.method;

import static dev.sparkmerge.method.SimdShapes.DOUBLES;
import static dev.sparkmerge.method.SimdShapes.FLOATS;
import static dev.sparkmerge.method.SimdShapes.INTS;
import static dev.sparkmerge.method.SimdShapes.LANES;
import static dev.sparkmerge.method.SimdShapes.LANE_INDEX;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.D2F;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.F2D;
import static jdk.incubator.vector.VectorOperators.XOR;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;

/**
 * The Vector API form of {@link TaskVectorKernel}'s merge of one tile, for the cases that carry
 * task_arithmetic, ties, dare_* and magnitude pruning: every model trimmed by magnitude, by random
 * masks or not at all, sign election by sum or none. It performs the scalar loops' operations, in
 * the same order and precision, lane by lane — trim by int masks, rescale and weight in float32,
 * widen, vote and sum in double, round once — so the bits are the scalar path's (checked by
 * SimdEquivalenceTest). Also the vector forms of the trims and of the top-k passes' key loops.
 * Loaded only when {@link Simd#ENABLED}.
 *
 * <p>Everything a step needs is written out in one method: a vector passed to or returned from a
 * call the JIT does not inline, or stored in an object array, is allocated on the heap, which
 * costs more than the arithmetic. Each model's weighted delta goes through a small double array
 * between the vote and the agreement loop.
 */
final class SimdTaskVector {
  private SimdTaskVector() {}

  /** What one tile's merge needs, per model, in config order. */
  static final class Tile {
    /**
     * Per model and tile position: −1 where the element is kept, 0 where dropped (from
     * {@link #magnitudeMasks}, {@link CounterRng#keepMasks} or all −1). One form for every trim
     * keeps the merge loop free of per-method branches, whose profile would otherwise be shared
     * by every method a JVM runs.
     */
    final int[][] masks;
    /** PEFT's rescale: divide by {@link #factors} (the density); otherwise multiply by it. */
    final boolean[] divides;
    /** The density (1/density rescale), mergekit's L1 rescale factor, or 1. */
    final float[] factors;
    final float[] weights;

    Tile(int models) {
      masks = new int[models][];
      divides = new boolean[models];
      factors = new float[models];
      weights = new float[models];
    }
  }

  /**
   * Merges tile positions [0, return value) — a multiple of the lane count; the caller merges the
   * rest — of chunk positions {@code from …}: {@code out[from + j] = b + λ·sum/div} as in
   * TaskVectorKernel (elect: TIES's agreeing sum and weight; otherwise the plain sum and
   * {@code weightSum}).
   */
  static int merge(float[][] x, float[] b, int from, int n, Tile t, boolean elect,
      boolean normalize, double weightSum, double lambda, float[] out) {
    int models = x.length;
    int end = n - n % LANES;
    // Each model's weighted delta of the current step, for the second (agreement) loop.
    double[] weighted = new double[models * LANES];
    DoubleVector zero = DoubleVector.zero(DOUBLES);
    for (int j = 0; j < end; j += LANES) {
      FloatVector base = FloatVector.fromArray(FLOATS, b, from + j);
      DoubleVector sum = zero;
      for (int i = 0; i < models; i++) {
        // Trim, rescale and weight in float32, widen.
        FloatVector d = FloatVector.fromArray(FLOATS, x[i], from + j).sub(base);
        IntVector keep = IntVector.fromArray(INTS, t.masks[i], j);
        d = d.reinterpretAsInts().and(keep).reinterpretAsFloats();
        d = t.divides[i] ? d.div(t.factors[i]) : d.mul(t.factors[i]);
        DoubleVector v = (DoubleVector) d.mul(t.weights[i]).convertShape(F2D, DOUBLES, 0);
        if (elect) {
          v.intoArray(weighted, i * LANES);
        }
        // The scalar sums start from 0.0 (the vote) or from the first model (the plain sum); the
        // difference shows in the sign of zero sums.
        sum = i == 0 && !elect ? v : sum.add(v);
      }
      DoubleVector div;
      if (elect) {
        // sum is the vote. A model agrees when non-zero with the vote's sign (+ for a vote of 0).
        LongVector vote = sum.reinterpretAsLongs();
        DoubleVector mixed = zero;
        div = zero;
        for (int i = 0; i < models; i++) {
          LongVector v = DoubleVector.fromArray(DOUBLES, weighted, i * LANES).reinterpretAsLongs();
          LongVector sameSign = v.lanewise(XOR, vote).lanewise(ASHR, 63).not();
          LongVector nonZero = v.and(Long.MAX_VALUE).sub(1L).lanewise(ASHR, 63).not();
          LongVector agrees = sameSign.and(nonZero);
          mixed = mixed.add(v.and(agrees).reinterpretAsDoubles());
          div = div.add(agrees.and(Double.doubleToRawLongBits(t.weights[i])).reinterpretAsDoubles());
        }
        sum = mixed;
        div = div.blend(1.0, div.compare(EQ, 0.0));
      } else {
        div = DoubleVector.broadcast(DOUBLES, weightSum);
      }
      if (normalize) {
        sum = sum.div(div);
      }
      DoubleVector wide = (DoubleVector) base.convertShape(F2D, DOUBLES, 0);
      DoubleVector y = wide.add(sum.mul(lambda));
      ((FloatVector) y.convertShape(D2F, FLOATS, 0)).intoArray(out, from + j);
    }
    return end;
  }

  /**
   * {@code out[j] = (x − b)[from + j]} where {@code masks[j]} is −1, +0.0 where it is 0, for j in
   * [0, return value), a whole number of vectors; the caller does the rest.
   */
  static int maskedDeltas(float[] x, float[] b, int from, int n, int[] masks, float[] out) {
    int end = n - n % LANES;
    for (int j = 0; j < end; j += LANES) {
      FloatVector d = FloatVector.fromArray(FLOATS, x, from + j)
          .sub(FloatVector.fromArray(FLOATS, b, from + j));
      d.reinterpretAsInts().and(IntVector.fromArray(INTS, masks, j)).reinterpretAsFloats()
          .intoArray(out, j);
    }
    return end;
  }

  /**
   * Magnitude trim masks for tile positions [0, return value), a whole number of vectors, of chunk
   * positions {@code from …}: −1 where |x − b|'s key is above the threshold, or equal to it at a
   * position ≤ lastEqual; otherwise 0. The scalar trim's int masks, lane by lane.
   */
  static int magnitudeMasks(float[] x, float[] b, int from, int n, int threshold, int lastEqual,
      int[] masks) {
    int end = n - n % LANES;
    if (threshold < 0) { // a keep-all selection
      for (int j = 0; j < end; j += LANES) {
        IntVector.broadcast(INTS, -1).intoArray(masks, j);
      }
      return end;
    }
    if (lastEqual < 0 || lastEqual >= end - 1) {
      // Ties with the threshold all dropped or all kept in this tile (every tile but the one
      // holding the last kept tie): keep keys above a bound, one subtraction and shift per lane.
      // bound ≥ −1 and keys are in [0, 2^31), so the difference cannot overflow.
      int bound = lastEqual < 0 ? threshold : threshold - 1;
      for (int j = 0; j < end; j += LANES) {
        FloatVector d = FloatVector.fromArray(FLOATS, x, from + j)
            .sub(FloatVector.fromArray(FLOATS, b, from + j));
        IntVector key = d.reinterpretAsInts().and(0x7FFFFFFF);
        key.neg().add(bound).lanewise(ASHR, 31).intoArray(masks, j);
      }
      return end;
    }
    for (int j = 0; j < end; j += LANES) {
      FloatVector d = FloatVector.fromArray(FLOATS, x, from + j)
          .sub(FloatVector.fromArray(FLOATS, b, from + j));
      IntVector key = d.reinterpretAsInts().and(0x7FFFFFFF);
      IntVector above = key.neg().add(threshold).lanewise(ASHR, 31);
      IntVector equal = key.lanewise(XOR, threshold).sub(1).lanewise(ASHR, 31);
      IntVector early = LANE_INDEX.add(j).neg().add(lastEqual).lanewise(ASHR, 31).not();
      above.or(equal.and(early)).intoArray(masks, j);
    }
    return end;
  }

  /**
   * {@code keys[j] = |x − b|}'s magnitude key ({@link SortableKeys#magnitude}) for chunk positions
   * from … from + n − 1, in full vectors; returns how many were done (the caller does the rest).
   */
  static int magnitudeKeys(float[] x, float[] b, int from, int n, int[] keys) {
    int end = n - n % LANES;
    for (int j = 0; j < end; j += LANES) {
      FloatVector d = FloatVector.fromArray(FLOATS, x, from + j)
          .sub(FloatVector.fromArray(FLOATS, b, from + j));
      d.reinterpretAsInts().and(0x7FFFFFFF).intoArray(keys, j);
    }
    return end;
  }

  /**
   * The first position p in [from, n) with {@code (keys[p] & mask) == match}, or the end of the
   * last full vector before n with none (the caller scans what is left). Matches are rare (the
   * collecting pass of top-k), so whole vectors are skipped at once.
   */
  static int nextMatch(int[] keys, int from, int n, int mask, int match) {
    int j = from;
    for (; j + LANES <= n; j += LANES) {
      VectorMask<Integer> hit = IntVector.fromArray(INTS, keys, j).and(mask).compare(EQ, match);
      if (hit.anyTrue()) {
        return j + hit.firstTrue();
      }
    }
    return j;
  }
}
