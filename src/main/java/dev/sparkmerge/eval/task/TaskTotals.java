package dev.sparkmerge.eval.task;

import java.io.Serializable;

/**
 * Running totals of one model on one task (or a slice of it): nats and tokens scored, examples,
 * exact matches and right choices. Totals add up in any grouping and any order with identical
 * results, bit for bit: the nats are kept as an exact sum ({@link ExactSum}) rounded only by
 * {@link #natsTotal()} and {@link #score()}, and the rest are counts. So executors may total their
 * slices of examples and the driver may combine the slices as they arrive.
 *
 * <p>Mutable and not thread-safe: one instance per slice.
 */
public final class TaskTotals implements Serializable {
  private static final long serialVersionUID = 1L;

  private final boolean hasExactMatch;
  private final boolean hasChoices;
  private final ExactSum nats = new ExactSum();
  private long tokens;
  private long examples;
  private long exactMatches;
  private long choiceCorrect;
  private long choiceCorrectNorm;
  private long truncated;

  /** Empty totals for a task with the given metrics. */
  public TaskTotals(boolean hasExactMatch, boolean hasChoices) {
    this.hasExactMatch = hasExactMatch;
    this.hasChoices = hasChoices;
  }

  /** Empty totals with the metrics of {@code kind}. */
  public static TaskTotals of(Example.Kind kind) {
    return new TaskTotals(kind.hasExactMatch(), kind.hasChoices());
  }

  /** Empty totals with the metrics of {@code task}. */
  public static TaskTotals of(Task task) {
    return of(task.kind());
  }

  /** Counts one example: its scored tokens and their total negative log-likelihood. */
  TaskTotals addExample(double exampleNats, long exampleTokens) {
    nats.add(exampleNats);
    tokens += exampleTokens;
    examples++;
    return this;
  }

  TaskTotals addExactMatch(boolean match) {
    if (match) {
      exactMatches++;
    }
    return this;
  }

  TaskTotals addChoice(boolean correct, boolean correctNorm) {
    if (correct) {
      choiceCorrect++;
    }
    if (correctNorm) {
      choiceCorrectNorm++;
    }
    return this;
  }

  TaskTotals addTruncated() {
    truncated++;
    return this;
  }

  /**
   * Adds {@code other}'s totals to these and returns {@code this}.
   *
   * @throws IllegalArgumentException if the two define different metrics (different tasks)
   */
  public TaskTotals add(TaskTotals other) {
    if (other.hasExactMatch != hasExactMatch || other.hasChoices != hasChoices) {
      throw new IllegalArgumentException("cannot add totals of tasks with different metrics");
    }
    nats.addAll(other.nats);
    tokens += other.tokens;
    examples += other.examples;
    exactMatches += other.exactMatches;
    choiceCorrect += other.choiceCorrect;
    choiceCorrectNorm += other.choiceCorrectNorm;
    truncated += other.truncated;
    return this;
  }

  /** Total negative log-likelihood of the scored tokens, in nats (rounded once). */
  public double natsTotal() {
    return nats.value();
  }

  public long tokens() {
    return tokens;
  }

  public long examples() {
    return examples;
  }

  public long exactMatches() {
    return exactMatches;
  }

  public long choiceCorrect() {
    return choiceCorrect;
  }

  public long choiceCorrectNorm() {
    return choiceCorrectNorm;
  }

  /** Examples whose context was cut on the left to fit the model. */
  public long truncated() {
    return truncated;
  }

  public boolean hasExactMatch() {
    return hasExactMatch;
  }

  public boolean hasChoices() {
    return hasChoices;
  }

  /**
   * The task's scores from these totals.
   *
   * @throws IllegalStateException if no token was scored
   */
  public TaskScore score() {
    if (tokens == 0 || examples == 0) {
      throw new IllegalStateException("no tokens scored: nothing to average");
    }
    double n = examples;
    return new TaskScore(nats.value() / tokens, tokens, examples,
        hasExactMatch ? exactMatches / n : null,
        hasChoices ? choiceCorrect / n : null,
        hasChoices ? choiceCorrectNorm / n : null,
        truncated);
  }

  @Override
  public String toString() {
    return natsTotal() + " nats over " + tokens + " tokens, " + examples + " examples";
  }
}
