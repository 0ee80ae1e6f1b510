package dev.sparkmerge.eval;

/**
 * A problem with what the user asked to evaluate (a task file, a model the evaluator cannot run,
 * a missing tokenizer): the message names the file, line, key or tensor and what to do. Shown to
 * the user without a stack trace.
 */
public class EvalException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EvalException(String message) {
    super(message);
  }

  public EvalException(String message, Throwable cause) {
    super(message, cause);
  }
}
