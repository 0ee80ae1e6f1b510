package dev.sparkmerge.eval.task;

import java.io.Serializable;
import java.util.OptionalDouble;

/**
 * The scores of one model on one task: {@code loss} is the token-weighted mean negative
 * log-likelihood in nats (total nats over all scored tokens / number of scored tokens),
 * {@code perplexity} = exp(loss), and the fractions of the task's examples that were exact matches
 * (completion tasks) or answered right (multiple choice: accuracy, accuracy_norm). A metric the
 * task does not define is empty.
 */
public final class TaskScore implements Serializable {
  private static final long serialVersionUID = 1L;

  private final double loss;
  private final long tokens;
  private final long examples;
  // Nullable rather than OptionalDouble, which is not Serializable.
  private final Double exactMatch;
  private final Double accuracy;
  private final Double accuracyNorm;
  private final long truncated;

  /**
   * @param exactMatch null unless the task defines it; likewise accuracy and accuracyNorm
   * @param truncated examples whose context was cut on the left to fit the model
   */
  public TaskScore(double loss, long tokens, long examples, Double exactMatch, Double accuracy,
      Double accuracyNorm, long truncated) {
    if (tokens <= 0 || examples <= 0) {
      throw new IllegalArgumentException("a task score needs tokens and examples, got "
          + tokens + " tokens and " + examples + " examples");
    }
    this.loss = loss;
    this.tokens = tokens;
    this.examples = examples;
    this.exactMatch = exactMatch;
    this.accuracy = accuracy;
    this.accuracyNorm = accuracyNorm;
    this.truncated = truncated;
  }

  /** Mean negative log-likelihood per scored token, in nats. */
  public double loss() {
    return loss;
  }

  /** exp(loss). */
  public double perplexity() {
    return StrictMath.exp(loss);
  }

  /** Number of scored tokens. */
  public long tokens() {
    return tokens;
  }

  public long examples() {
    return examples;
  }

  /** Fraction of examples whose greedy decoding matched the completion (completion tasks). */
  public OptionalDouble exactMatch() {
    return optional(exactMatch);
  }

  /** Fraction of examples whose most likely choice was the answer (multiple choice). */
  public OptionalDouble accuracy() {
    return optional(accuracy);
  }

  /** As {@link #accuracy()}, likelihood divided by the choice's length in UTF-8 bytes. */
  public OptionalDouble accuracyNorm() {
    return optional(accuracyNorm);
  }

  /** Examples whose context was cut on the left to fit the model's context length. */
  public long truncated() {
    return truncated;
  }

  private static OptionalDouble optional(Double d) {
    return d == null ? OptionalDouble.empty() : OptionalDouble.of(d);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TaskScore)) {
      return false;
    }
    TaskScore s = (TaskScore) o;
    return Double.compare(loss, s.loss) == 0 && tokens == s.tokens && examples == s.examples
        && java.util.Objects.equals(exactMatch, s.exactMatch)
        && java.util.Objects.equals(accuracy, s.accuracy)
        && java.util.Objects.equals(accuracyNorm, s.accuracyNorm) && truncated == s.truncated;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(loss, tokens, examples, exactMatch, accuracy, accuracyNorm,
        truncated);
  }

  @Override
  public String toString() {
    return "loss " + loss + " over " + tokens + " tokens, " + examples + " examples"
        + (exactMatch == null ? "" : ", exact_match " + exactMatch)
        + (accuracy == null ? "" : ", accuracy " + accuracy)
        + (accuracyNorm == null ? "" : ", accuracy_norm " + accuracyNorm);
  }
}
