package dev.sparkmerge.lora;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link LoraDelta}'s row segment with a float scale: each vector of
 * columns keeps its running rank sum in a register through all r steps and is stored once,
 * instead of r passes over the row (the scalar loops' memory traffic). Same float operations in
 * the same order per element — {@code l₀·R₀}, then {@code + l_k·R_k}, then {@code (· + l·R)·s} —
 * so the same bits (LoraDeltaTest compares). Loaded only when {@code Simd.ENABLED}.
 */
final class SimdLora {
  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

  private SimdLora() {}

  /**
   * dst[o + j] = s · Σ_k left[lb + k] · right[k·cols + q0 + j] for j in [0, return value), a whole
   * number of vectors; rank ≥ 2. The caller does the rest.
   */
  static int segment(float[] left, int lb, int rank, float[] right, int cols, int q0, int len,
      float s, float[] dst, int o) {
    int lanes = FLOATS.length();
    int end = len - len % lanes;
    for (int j = 0; j < end; j += lanes) {
      FloatVector sum = FloatVector.fromArray(FLOATS, right, q0 + j).mul(left[lb]);
      for (int k = 1; k < rank - 1; k++) {
        sum = sum.add(FloatVector.fromArray(FLOATS, right, k * cols + q0 + j).mul(left[lb + k]));
      }
      FloatVector last = FloatVector.fromArray(FLOATS, right, (rank - 1) * cols + q0 + j)
          .mul(left[lb + rank - 1]);
      sum.add(last).mul(s).intoArray(dst, o + j);
    }
    return end;
  }
}
