package dev.sparkmerge.lora;

import java.util.Locale;

/**
 * How {@code svd} reduces Σ w_i·s_i·B_i·A_i to the output rank. The exact route (QR of the
 * stacked factors, SVD of the core, {@link LowRank}) costs O((out + in)·R² + R³) in R = Σ r_i, so
 * it grows with the cube of the number of adapters; the randomised route forms the module's sum
 * densely from the factors (linear in R, vector code) and runs {@link RandomizedSvd} on it, whose
 * cost does not depend on R. {@code auto} takes whichever costs less for each module.
 */
public enum SvdSolver {
  EXACT,
  RANDOMIZED,
  AUTO;

  /*
   * The costs below are in units of one flop of the randomised route's products (EJML's dense
   * multiply), weighted as measured by SvdSolverBench on out × in = 256 × 2048, 2048 × 2048 and
   * 2048 × 5632 with 8 to 100 rank-16 adapters: a flop of the exact route's QR and SVD costs
   * about 1.75 of them, a multiply-add of the dense sum (float vectors) about 0.25.
   */
  private static final double EXACT_FLOP = 1.75;
  private static final double DENSE_SUM_MULTIPLY_ADD = 0.25;
  /**
   * Near the crossover both routes take about as long, so auto keeps the exact result until the
   * randomised route is estimated to at least halve the time.
   */
  private static final double REQUIRED_SPEEDUP = 2;

  /** The config spelling: {@code exact}, {@code randomized} or {@code auto}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The solver named in a config, or null. */
  public static SvdSolver ofConfigName(String name) {
    for (SvdSolver s : values()) {
      if (s.configName().equals(name)) {
        return s;
      }
    }
    return null;
  }

  /** True when this module is reduced by the randomised route. */
  boolean randomizes(long out, long in, long stackedRank, int rank, int oversampling,
      int powerIterations) {
    if (this != AUTO) {
      return this == RANDOMIZED;
    }
    if (stackedRank <= rank || out * in > Integer.MAX_VALUE - 8) {
      return false; // the exact route keeps everything, or the sum would not fit one array
    }
    return REQUIRED_SPEEDUP * randomizedCost(out, in, stackedRank, rank, oversampling,
        powerIterations) < exactCost(out, in, stackedRank);
  }

  /** Householder QR of both stacks (2·m·R² each) and the core's SVD (~20·R³ with U and V). */
  static double exactCost(long out, long in, long stacked) {
    double r = stacked;
    double core = Math.min(r, Math.min(out, in));
    return EXACT_FLOP * (2 * r * r * (out + in) + 20 * core * core * core);
  }

  /** The dense sum (R multiply-adds per element) and 2q + 2 products with l = k + p columns. */
  static double randomizedCost(long out, long in, long stacked, int rank, int oversampling,
      int powerIterations) {
    double l = Math.min(rank + oversampling, Math.min(out, in));
    double dense = (double) out * in;
    return DENSE_SUM_MULTIPLY_ADD * dense * stacked + (2.0 * powerIterations + 2) * 2 * dense * l
        + (2.0 * powerIterations + 1) * 2 * (out + in) * l * l;
  }
}
