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
   * Tile positions [0, return value) — whole vectors — of chunk positions {@code from …}:
   * {@code sums[0]} += Σ d², {@code sums[1 + i]} += Σ d·xᵢ, {@code sums[1 + m + i]} += Σ xᵢ² (d the
   * merged delta, xᵢ input i's delta, in double); {@code counts[0]} += #(d ≠ 0),
   * {@code counts[1]} += #(inputs' deltas of both signs) — the last two only when
   * {@code inputs}. delta and signs are scratch of n entries.
   *
   * <p>The inputs' own statistics (one grid candidate per chunk computes them) have loops of
   * their own: a branch on {@code inputs} inside the dot-product loop, taken for one call in six,
   * made every call twice as slow (2.2 against 0.95 ns per element, measured alone).
   */
  static int addTile(float[][] x, float[] b, float[] out, int from, int n, boolean inputs,
      double[] sums, long[] counts, double[] delta, int[] signs) {
    int end = n - n % LANES;
    int m = x.length;
    FloatVector zero = FloatVector.zero(FLOATS);
    DoubleVector sq = DoubleVector.zero(DOUBLES);
    long changed = 0;
    for (int j = 0; j < end; j += LANES) {
      FloatVector base = b == null ? zero : FloatVector.fromArray(FLOATS, b, from + j);
      DoubleVector d = ((DoubleVector) FloatVector.fromArray(FLOATS, out, from + j)
          .convertShape(F2D, DOUBLES, 0)).sub((DoubleVector) base.convertShape(F2D, DOUBLES, 0));
      d.intoArray(delta, j);
      sq = sq.add(d.mul(d));
      changed += d.compare(NE, 0.0).trueCount();
    }
    sums[0] += sq.reduceLanes(ADD);
    counts[0] += changed;
    for (int i = 0; i < m; i++) {
      DoubleVector dot = DoubleVector.zero(DOUBLES);
      for (int j = 0; j < end; j += LANES) {
        FloatVector base = b == null ? zero : FloatVector.fromArray(FLOATS, b, from + j);
        DoubleVector v = ((DoubleVector) FloatVector.fromArray(FLOATS, x[i], from + j)
            .convertShape(F2D, DOUBLES, 0)).sub((DoubleVector) base.convertShape(F2D, DOUBLES, 0));
        dot = dot.add(DoubleVector.fromArray(DOUBLES, delta, j).mul(v));
      }
      sums[1 + i] += dot.reduceLanes(ADD);
    }
    if (inputs) {
      addInputs(x, b, from, end, sums, counts, signs);
    }
    return end;
  }

  /** The inputs' squared norms and sign conflicts over tile positions [0, end). */
  private static void addInputs(float[][] x, float[] b, int from, int end, double[] sums,
      long[] counts, int[] signs) {
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
            .sub((DoubleVector) base.convertShape(F2D, DOUBLES, 0));
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
