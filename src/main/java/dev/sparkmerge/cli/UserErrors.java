package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.config.ConfigException;
import dev.sparkmerge.eval.EvalException;
import dev.sparkmerge.method.MergeException;
import dev.sparkmerge.plan.PlanException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises errors caused by input (config, files, parameters) — directly, as a cause, or inside
 * a Spark task failure, where only the remote exception's text survives — and returns the message
 * to show instead of a stack trace.
 */
final class UserErrors {
  private static final Pattern REMOTE = Pattern.compile(
      "dev\\.sparkmerge\\.[a-z.]+\\.(?:CheckpointException|SafetensorsException|MergeException"
          + "|PlanException|EvalException): ([^\\n]*)");

  private UserErrors() {}

  /** The user-facing message, or null when the error is a bug. */
  static String message(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof CheckpointException || t instanceof UserInputException
          || t instanceof ConfigException || t instanceof PlanException
          || t instanceof MergeException || t instanceof EvalException) {
        return t.getMessage();
      }
      if (t.getMessage() != null) {
        Matcher m = REMOTE.matcher(t.getMessage());
        if (m.find()) {
          return m.group(1);
        }
      }
    }
    return null;
  }
}
