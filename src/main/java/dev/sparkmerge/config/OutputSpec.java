package dev.sparkmerge.config;

import java.io.Serializable;

/**
 * What a merge writes: a full model (the default) or, for merges of LoRA adapters of one base,
 * one PEFT adapter — {@code cat} (exact; rank = sum of ranks), {@code svd} (truncated to
 * {@code rank} by the exact low-rank route or a randomised SVD, per {@code solver}) or one of
 * PEFT's dense family ({@code ties_svd},
 * {@code dare_ties_svd}, {@code dare_linear_svd}, {@code magnitude_prune_svd}: the merge method on
 * each module's dense updates, then a randomised SVD to {@code rank}).
 */
public final class OutputSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final OutputSpec MODEL = new OutputSpec(false, null, 0, null, 0, 0, 0);

  private final boolean adapter;
  private final String combination;
  private final int rank;
  private final String solver;
  private final int oversampling;
  private final int powerIterations;
  private final double clamp;

  OutputSpec(boolean adapter, String combination, int rank, String solver, int oversampling,
      int powerIterations, double clamp) {
    this.adapter = adapter;
    this.combination = combination;
    this.rank = rank;
    this.solver = solver;
    this.oversampling = oversampling;
    this.powerIterations = powerIterations;
    this.clamp = clamp;
  }

  public boolean isAdapter() {
    return adapter;
  }

  /** The combination name of adapter output ({@code cat}, {@code svd}, ...), else null. */
  public String combination() {
    return combination;
  }

  /** True for PEFT's dense family (merged on dense ΔW, then a randomised SVD). */
  public boolean isDense() {
    return adapter && AdapterCombinations.isDense(combination);
  }

  /**
   * Target rank for {@code svd} and the dense family (0: the sum of the input ranks, i.e. exact
   * for {@code svd}; the dense family always has one).
   */
  public int rank() {
    return rank;
  }

  /**
   * How {@code svd} reduces the sum: {@code auto} (default), {@code exact} or
   * {@code randomized}; {@code randomized} for the dense family, null for {@code cat}.
   */
  public String solver() {
    return solver;
  }

  /** The randomised SVD (dense family, {@code svd}): extra sketch columns p (default 10). */
  public int oversampling() {
    return oversampling;
  }

  /** The randomised SVD (dense family, {@code svd}): power iterations q (default 2). */
  public int powerIterations() {
    return powerIterations;
  }

  /** PEFT's svd_clamp quantile for {@code svd} and the dense family; 0 for none. */
  public double clamp() {
    return clamp;
  }

  String canonical() {
    if (!adapter) {
      return "model";
    }
    // Every setting that changes the written factors; cat has none beyond the rank.
    return "adapter/" + combination + "/" + rank
        + ("svd".equals(combination) ? "/" + solver : "")
        + (isDense() || "svd".equals(combination) ? "/p" + oversampling + "/q" + powerIterations
        : "")
        + (clamp != 0 ? "/clamp" + clamp : "");
  }
}
