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

/**
 * The Vector API form of {@link TaskVectorKernel}'s merge of one tile, for the cases that carry
 * task_arithmetic, ties, dare_* and magnitude pruning: every model trimmed by magnitude, by random
 * masks or not at all, sign election by sum or none. It performs the scalar loops' operations, in
 * the same order and precision, lane by lane — trim by int masks, rescale and weight in float32,
 * widen, vote and sum in double, round once — so the bits are the scalar path's (checked by
 * SimdEquivalenceTest). Loaded only when {@link Simd#ENABLED}.
 *
 * <p>Vectors are never stored in arrays (that would allocate them): each model's weighted trimmed
 * delta is computed twice per step, once for the vote and once for the agreeing sum, which costs
 * less than the allocation.
 */
final class SimdTaskVector {
  private SimdTaskVector() {}

  /** What one tile's merge needs, per model, in config order. */
  static final class Tile {
    /** Models trimmed by {@link #masks} (random drops); otherwise by {@link #thresholds}. */
    boolean masked;
    /** Magnitude key threshold: keys above it are kept (−1 keeps everything). */
    final int[] thresholds;
    /** Keys equal to the threshold are kept at tile positions ≤ this. */
    final int[] lastEqual;
    /** Per tile position: −1 where the element is kept, 0 where dropped. */
    final int[][] masks;
    /** PEFT's rescale: divide by {@link #factors} (the density); otherwise multiply by it. */
    final boolean[] divides;
    /** The density (1/density rescale), mergekit's L1 rescale factor, or 1. */
    final float[] factors;
    final float[] weights;

    Tile(int models) {
      thresholds = new int[models];
      lastEqual = new int[models];
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
    DoubleVector zero = DoubleVector.zero(DOUBLES);
    for (int j = 0; j < end; j += LANES) {
      FloatVector base = FloatVector.fromArray(FLOATS, b, from + j);
      // The scalar sums start from 0.0 (the vote) or from the first model (the plain sum); the
      // difference shows in the sign of zero sums.
      DoubleVector sum = weighted(x[0], base, from, j, t, 0);
      if (elect) {
        sum = zero.add(sum);
      }
      for (int i = 1; i < models; i++) {
        sum = sum.add(weighted(x[i], base, from, j, t, i));
      }
      DoubleVector div;
      if (elect) {
        // sum is the vote. A model agrees when non-zero with the vote's sign (+ for a vote of 0).
        LongVector vote = sum.reinterpretAsLongs();
        DoubleVector mixed = zero;
        div = zero;
        for (int i = 0; i < models; i++) {
          LongVector v = weighted(x[i], base, from, j, t, i).reinterpretAsLongs();
          LongVector sameSign = v.lanewise(XOR, vote)
              .lanewise(ASHR, 63).not();
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

  /** Model i's trimmed, rescaled and weighted delta at tile positions j …, widened to double. */
  private static DoubleVector weighted(float[] x, FloatVector base, int from, int j, Tile t, int i) {
    FloatVector d = FloatVector.fromArray(FLOATS, x, from + j).sub(base);
    IntVector bits = d.reinterpretAsInts();
    IntVector keep;
    if (t.masked) {
      keep = IntVector.fromArray(INTS, t.masks[i], j);
    } else {
      // Int masks as in the scalar loop: above the threshold, or equal to it early enough.
      int threshold = t.thresholds[i];
      IntVector key = bits.and(0x7FFFFFFF);
      IntVector above = key.neg().add(threshold).lanewise(ASHR, 31);
      IntVector equal = key.lanewise(XOR, threshold).sub(1)
          .lanewise(ASHR, 31);
      IntVector early = LANE_INDEX.add(j).neg().add(t.lastEqual[i]).lanewise(ASHR, 31).not();
      keep = above.or(equal.and(early));
    }
    d = bits.and(keep).reinterpretAsFloats();
    d = t.divides[i] ? d.div(t.factors[i]) : d.mul(t.factors[i]);
    d = d.mul(t.weights[i]);
    return (DoubleVector) d.convertShape(F2D, DOUBLES, 0);
  }
}
