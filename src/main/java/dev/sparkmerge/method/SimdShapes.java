package dev.sparkmerge.method;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes the Vector API kernels use (here and in the engine's SimdTensorStats): the
 * widest double vector the CPU prefers, long vectors of the same width, and float and int vectors
 * with the same number of lanes (half as wide), so a float lane widens to a double lane one to one.
 * Static finals, so the JIT treats them as constants. Load only when {@link Simd#ENABLED}.
 */
public final class SimdShapes {
  public static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
  public static final VectorSpecies<Long> LONGS = DOUBLES.withLanes(long.class);
  public static final VectorSpecies<Float> FLOATS =
      FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(DOUBLES.vectorBitSize() / 2));
  public static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
  /**
   * Ints as wide as {@link #LONGS} (two per long lane), for reinterpreting a long vector. Pass it
   * explicitly: {@code reinterpretAsInts()} leaves the result's species to a runtime lookup, and in
   * the DARE kernel the JIT then compiled the reinterpretation and the store as the Vector API's
   * Java fallback (DARE-TIES 800 ms instead of 547).
   */
  static final VectorSpecies<Integer> INT_PAIRS = LONGS.withLanes(int.class);
  /** Lanes per step: the same for all four shapes. */
  public static final int LANES = DOUBLES.length();
  /** 0, 1, …, LANES − 1: lane offsets for position-dependent masks. */
  static final IntVector LANE_INDEX = IntVector.zero(INTS).addIndex(1);

  private SimdShapes() {}

  /**
   * Eight double lanes (512-bit vectors, e.g. AVX-512), the only shape measured. With 256-bit
   * vectors (AVX2) some 64-bit lane operations these loops use — arithmetic right shift, multiply
   * (the random masks) — are not single instructions, and the JIT may fall back to far slower Java
   * code; the scalar loops run there instead.
   */
  static boolean wideEnough() {
    return LANES >= 8;
  }

  static String describe() {
    return LANES + " lanes (" + DOUBLES.vectorBitSize() + "-bit double vectors)";
  }
}
