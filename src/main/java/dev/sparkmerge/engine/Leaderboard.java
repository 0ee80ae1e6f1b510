package dev.sparkmerge.engine;

import java.util.List;
import java.util.Map;

/**
 * The evaluated models of a job, candidates (or the merged model) and inputs, with their metrics,
 * rank under {@code select:} and the winner. What {@code run} prints and writes to best.json.
 */
public final class Leaderboard {
  /** One evaluated model. Rank 0: not ranked (an input, a failure, or no {@code select:}). */
  public record Entry(String name, String role, Map<String, Double> metrics, int rank,
      String error) {}

  private final List<Entry> entries;
  private final String metric;
  private final String goal;
  private final Entry winner;
  private final Boolean beatsEveryInput;

  Leaderboard(List<Entry> entries, String metric, String goal, Entry winner,
      Boolean beatsEveryInput) {
    this.entries = List.copyOf(entries);
    this.metric = metric;
    this.goal = goal;
    this.winner = winner;
    this.beatsEveryInput = beatsEveryInput;
  }

  /** Candidates in rank order (then config order), then inputs in config order. */
  public List<Entry> entries() {
    return entries;
  }

  /** The selected metric, or null without {@code select:}. */
  public String metric() {
    return metric;
  }

  /** "minimize" or "maximize", or null without {@code select:}. */
  public String goal() {
    return goal;
  }

  /** The best candidate, or null (no {@code select:}, or every candidate failed). */
  public Entry winner() {
    return winner;
  }

  /**
   * Whether the winner is strictly better than every input on the metric; null when inputs were
   * not scored or have no value for it.
   */
  public Boolean beatsEveryInput() {
    return beatsEveryInput;
  }
}
