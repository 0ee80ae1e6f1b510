package dev.sparkmerge.config;

import java.io.Serializable;

/**
 * The config's {@code select:} block: the metric that ranks grid candidates and names the winner,
 * and whether lower or higher is better. The metric is {@code mean_loss}, {@code <task>.<metric>}
 * (loss, perplexity, exact_match, accuracy, accuracy_norm) or {@code command.<key>}; whether the
 * task exists is checked when the task files are read, before anything is merged.
 */
public final class SelectionSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String metric;
  private final boolean maximize;

  public SelectionSpec(String metric, boolean maximize) {
    this.metric = metric;
    this.maximize = maximize;
  }

  public String metric() {
    return metric;
  }

  /** True for {@code goal: maximize}. */
  public boolean maximize() {
    return maximize;
  }

  /** "minimize" or "maximize", as written in configs and best.json. */
  public String goal() {
    return maximize ? "maximize" : "minimize";
  }
}
