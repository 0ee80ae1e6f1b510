package dev.sparkmerge.method;

/** Sign election of the task-vector family (reference/mergekit.md §3.6 step 4). */
public enum Consensus {
  /** No election: every model's value is summed. */
  NONE,
  /** mergekit "sum": the sign of the sum of the weighted, trimmed deltas (0 counts as +). */
  SUM,
  /** "count" (PEFT's "frequency"): the sign of the number of positive minus negative entries. */
  COUNT
}
