package dev.sparkmerge.config;

import java.io.Serializable;

/**
 * What a merge writes: a full model (the default) or, for merges of LoRA adapters of one base,
 * one PEFT adapter — {@code cat} (exact; rank = sum of ranks) or {@code svd} (the exact low-rank
 * route, truncated to {@code rank}).
 */
public final class OutputSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final OutputSpec MODEL = new OutputSpec(false, null, 0);

  private final boolean adapter;
  private final String combination;
  private final int rank;

  OutputSpec(boolean adapter, String combination, int rank) {
    this.adapter = adapter;
    this.combination = combination;
    this.rank = rank;
  }

  public boolean isAdapter() {
    return adapter;
  }

  /** {@code cat} or {@code svd} for adapter output, else null. */
  public String combination() {
    return combination;
  }

  /** Target rank for {@code svd} (0: the sum of the input ranks, i.e. exact). */
  public int rank() {
    return rank;
  }

  String canonical() {
    return adapter ? "adapter/" + combination + "/" + rank : "model";
  }
}
