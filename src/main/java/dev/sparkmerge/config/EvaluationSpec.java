package dev.sparkmerge.config;

import java.io.Serializable;
import java.util.List;

/**
 * The config's {@code evaluate:} block: which task files score the merged model (and, with
 * {@code include_inputs}, its base and input models), how many examples of each, and the user's
 * own evaluation command. Not part of the merge's config hash: adding or changing evaluation never
 * makes a finished merge run again.
 */
public final class EvaluationSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Default {@code timeout} of the user's command: two hours. */
  public static final long DEFAULT_TIMEOUT_SECONDS = 2 * 3600;

  private final List<String> tasks;
  private final int maxExamples;
  private final boolean includeInputs;
  private final List<String> command;
  private final long timeoutSeconds;
  private final int context;
  private final String stop;

  EvaluationSpec(List<String> tasks, int maxExamples, boolean includeInputs, List<String> command,
      long timeoutSeconds, int context, String stop) {
    this.tasks = List.copyOf(tasks);
    this.maxExamples = maxExamples;
    this.includeInputs = includeInputs;
    this.command = command == null ? null : List.copyOf(command);
    this.timeoutSeconds = timeoutSeconds;
    this.context = context;
    this.stop = stop;
  }

  /** Task files or folders of them, as written (relative to the working directory). */
  public List<String> tasks() {
    return tasks;
  }

  /** The first N examples of each task; 0 for all. */
  public int maxExamples() {
    return maxExamples;
  }

  /** Also score the base model and every input model, once per job. */
  public boolean includeInputs() {
    return includeInputs;
  }

  /** The user's evaluation command with {@code {model}} placeholders, or null. */
  public List<String> command() {
    return command;
  }

  /** How long the command may run per model. */
  public long timeoutSeconds() {
    return timeoutSeconds;
  }

  /** Longest sequence the built-in evaluator feeds the model; 0 for the model's own. */
  public int context() {
    return context;
  }

  /** Every setting as text: equal for blocks that ask for the same evaluation. */
  public String canonical() {
    return "tasks=" + tasks + " max_examples=" + maxExamples + " include_inputs="
        + includeInputs + " command=" + command + " timeout=" + timeoutSeconds + " context="
        + context + " stop=" + stop.replace("\n", "\\n");
  }

  /** The string that ends greedy decoding for exact match. */
  public String stop() {
    return stop;
  }
}
