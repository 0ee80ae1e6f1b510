package dev.sparkmerge.eval.model;

/**
 * A causal language model held in memory as float32 weights, ready to run forward passes. One
 * instance is shared by the threads of an executor; each sequence being scored or decoded has its
 * own {@link Sequence} (its key/value cache), so sequences may run concurrently.
 */
public interface CausalLm {
  /** The config's {@code model_type}: llama, mistral, qwen2 or gpt2. */
  String modelType();

  /** Size of the output distribution (rows of the LM head). */
  int vocabSize();

  /**
   * The longest sequence the model takes (max_position_embeddings, GPT-2's n_positions); longer
   * texts are scored in windows by the caller.
   */
  int contextLength();

  /** Bytes of float32 weights this model holds (for memory estimates and logs). */
  long weightBytes();

  /** A new, empty sequence with key/value cache room for {@code capacity} tokens. */
  Sequence start(int capacity);

  /** One sequence's state: the tokens appended so far and their cached keys and values. */
  interface Sequence {
    /** Number of tokens appended so far. */
    int length();

    /**
     * Appends {@code tokens[0..count)} at positions length() .. length()+count-1 and runs them
     * through the model in one batch. For each appended token i with i &gt;= logitsFrom, calls
     * {@code rows.row(i, logits)} in increasing i with the float32 logits (vocabSize values) that
     * predict the token after it. The logits array is reused between calls: copy what you keep.
     * Rows before logitsFrom are not computed (the LM head is skipped for them).
     *
     * @throws IllegalArgumentException if a token id is outside [0, vocabSize) or the sequence
     *     would exceed its capacity
     */
    void append(int[] tokens, int count, int logitsFrom, LogitRows rows);
  }

  /** Receives logits rows from {@link Sequence#append}. */
  @FunctionalInterface
  interface LogitRows {
    void row(int index, float[] logits);
  }
}
