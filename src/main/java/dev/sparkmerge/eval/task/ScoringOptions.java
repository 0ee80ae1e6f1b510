package dev.sparkmerge.eval.task;

import dev.sparkmerge.eval.EvalException;
import dev.sparkmerge.eval.model.CausalLm;
import java.io.Serializable;
import java.util.Objects;

/**
 * How examples are scored: the context length (0 = the model's own) and the stop string that ends
 * greedy decoding for exact match (default a newline).
 */
public final class ScoringOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The default stop string: a newline. */
  public static final String DEFAULT_STOP = "\n";

  private final int contextLength;
  private final String stopString;

  /**
   * @param contextLength tokens the model sees at once; 0 takes the model's contextLength()
   * @param stopString non-empty; decoding stops once the decoded text contains it
   */
  public ScoringOptions(int contextLength, String stopString) {
    if (contextLength < 0) {
      throw new EvalException("The context length must be 0 (the model's own) or positive, got "
          + contextLength + ".");
    }
    Objects.requireNonNull(stopString, "stopString");
    if (stopString.isEmpty()) {
      throw new EvalException("The stop string must not be empty (the default is a newline).");
    }
    this.contextLength = contextLength;
    this.stopString = stopString;
  }

  /** The model's context length and a newline as the stop string. */
  public static ScoringOptions defaults() {
    return new ScoringOptions(0, DEFAULT_STOP);
  }

  public ScoringOptions withContextLength(int tokens) {
    return new ScoringOptions(tokens, stopString);
  }

  public ScoringOptions withStopString(String stop) {
    return new ScoringOptions(contextLength, stop);
  }

  /** The override, or 0 for the model's own context length. */
  public int contextLength() {
    return contextLength;
  }

  public String stopString() {
    return stopString;
  }

  /**
   * The context length used for {@code lm}: the override if set, else the model's.
   *
   * @throws EvalException if the override is longer than the model takes, or the result is
   *     shorter than 2 tokens (one of context, one to score)
   */
  public int contextLength(CausalLm lm) {
    int model = lm.contextLength();
    if (contextLength > model) {
      throw new EvalException("The context length " + contextLength + " is longer than the "
          + model + " tokens the model takes; choose at most " + model + ".");
    }
    int length = contextLength > 0 ? contextLength : model;
    if (length < 2) {
      throw new EvalException("A context length of " + length + " leaves no token to score"
          + " after its context; it must be at least 2.");
    }
    return length;
  }

  @Override
  public String toString() {
    return "context " + (contextLength == 0 ? "model's" : contextLength) + ", stop "
        + stopString.replace("\n", "\\n");
  }
}
