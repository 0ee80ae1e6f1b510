package dev.sparkmerge.engine;

import static dev.sparkmerge.method.SimdShapes.DOUBLES;
import static dev.sparkmerge.method.SimdShapes.FLOATS;
import static dev.sparkmerge.method.SimdShapes.INTS;
import static dev.sparkmerge.method.SimdShapes.LANES;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.F2D;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.NE;
import static jdk.incubator.vector.VectorOperators.XOR;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The Vector API form of {@link TensorStats}'s tile sums: the same quantities, each double sum
 * kept in one partial sum per lane (so the last bits of a report value can differ from the scalar
 * loop's; the merged tensors are not affected). Loaded only when {@code Simd.ENABLED}. One
 * method without vector-valued helpers: a vector crossing a call the JIT does not inline is
 * allocated.
 */
final class SimdTensorStats {
  private SimdTensorStats() {}

  /**
   * Tile positions [0, return value) — pairs of whole vectors — of chunk positions {@code from …}:
   * {@code sums[0]} += Σ d², {@code sums[1 + i]} += Σ d·xᵢ, {@code sums[1 + m + i]} += Σ xᵢ² (d the
   * merged delta, xᵢ input i's delta, in double); {@code counts[0]} += #(d ≠ 0),
   * {@code counts[1]} += #(inputs' deltas of both signs) — the last two only when
   * {@code inputs}. delta, wideBase and signs are scratch of n entries.
   *
   * <p>Every candidate of a grid pays for the dot products, so they take two accumulators per sum
   * (a single one makes each step wait for the previous addition) and the base widened once per
   * tile; the inputs' own statistics, which one candidate per chunk computes, have a loop of
   * their own.
   */
  static int addTile(float[][] x, float[] b, float[] out, int from, int n, boolean inputs,
      double[] sums, long[] counts, double[] delta, double[] wideBase, int[] signs) {
    int end = n - n % (2 * LANES);
    int m = x.length;
    FloatVector zero = FloatVector.zero(FLOATS);
    DoubleVector sq0 = DoubleVector.zero(DOUBLES);
    DoubleVector sq1 = sq0;
    long changed = 0;
    for (int j = 0; j < end; j += LANES) {
      FloatVector base = b == null ? zero : FloatVector.fromArray(FLOATS, b, from + j);
      DoubleVector wb = (DoubleVector) base.convertShape(F2D, DOUBLES, 0);
      wb.intoArray(wideBase, j);
      DoubleVector d = ((DoubleVector) FloatVector.fromArray(FLOATS, out, from + j)
          .convertShape(F2D, DOUBLES, 0)).sub(wb);
      d.intoArray(delta, j);
      // Even steps into sq0, odd ones into sq1.
      if ((j & LANES) == 0) {
        sq0 = sq0.add(d.mul(d));
      } else {
        sq1 = sq1.add(d.mul(d));
      }
      changed += d.compare(NE, 0.0).trueCount();
    }
    sums[0] += sq0.add(sq1).reduceLanes(ADD);
    counts[0] += changed;
    for (int i = 0; i < m; i++) {
      DoubleVector dot0 = DoubleVector.zero(DOUBLES);
      DoubleVector dot1 = dot0;
      for (int j = 0; j < end; j += 2 * LANES) {
        DoubleVector v0 = ((DoubleVector) FloatVector.fromArray(FLOATS, x[i], from + j)
            .convertShape(F2D, DOUBLES, 0)).sub(DoubleVector.fromArray(DOUBLES, wideBase, j));
        DoubleVector v1 = ((DoubleVector) FloatVector.fromArray(FLOATS, x[i], from + j + LANES)
            .convertShape(F2D, DOUBLES, 0))
            .sub(DoubleVector.fromArray(DOUBLES, wideBase, j + LANES));
        dot0 = dot0.add(DoubleVector.fromArray(DOUBLES, delta, j).mul(v0));
        dot1 = dot1.add(DoubleVector.fromArray(DOUBLES, delta, j + LANES).mul(v1));
      }
      sums[1 + i] += dot0.add(dot1).reduceLanes(ADD);
    }
    if (inputs) {
      addInputs(x, b, from, end, sums, counts, wideBase, signs);
    }
    return end;
  }

  /** The inputs' squared norms and sign conflicts over tile positions [0, end). */
  private static void addInputs(float[][] x, float[] b, int from, int end, double[] sums,
      long[] counts, double[] wideBase, int[] signs) {
    int m = x.length;
    FloatVector zero = FloatVector.zero(FLOATS);
    for (int j = 0; j < end; j += LANES) {
      IntVector.zero(INTS).intoArray(signs, j);
    }
    for (int i = 0; i < m; i++) {
      DoubleVector xsq = DoubleVector.zero(DOUBLES);
      for (int j = 0; j < end; j += LANES) {
        FloatVector base = b == null ? zero : FloatVector.fromArray(FLOATS, b, from + j);
        FloatVector xf = FloatVector.fromArray(FLOATS, x[i], from + j);
        DoubleVector v = ((DoubleVector) xf.convertShape(F2D, DOUBLES, 0))
            .sub(DoubleVector.fromArray(DOUBLES, wideBase, j));
        xsq = xsq.add(v.mul(v));
        // Sign flags from the float delta (same sign and zeros as the double one): 1 positive,
        // 2 negative, 0 for zero or NaN.
        IntVector bits = xf.sub(base).reinterpretAsInts();
        IntVector mag = bits.and(0x7FFFFFFF);
        IntVector nonZero = mag.neg().or(mag).lanewise(LSHR, 31);
        IntVector notNaN = IntVector.broadcast(INTS, 0x7F800000).sub(mag).lanewise(LSHR, 31)
            .lanewise(XOR, 1);
        IntVector flag = nonZero.and(notNaN).lanewise(LSHL, bits.lanewise(LSHR, 31));
        IntVector.fromArray(INTS, signs, j).or(flag).intoArray(signs, j);
      }
      sums[1 + m + i] += xsq.reduceLanes(ADD);
    }
    long conflicts = 0;
    for (int j = 0; j < end; j += LANES) {
      conflicts += IntVector.fromArray(INTS, signs, j).compare(EQ, 3).trueCount();
    }
    counts[1] += conflicts;
  }
}
