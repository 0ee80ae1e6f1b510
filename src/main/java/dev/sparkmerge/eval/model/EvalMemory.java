package dev.sparkmerge.eval.model;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What an evaluation task needs in memory, from config.json alone: the executor's copy of the
 * model's float32 weights (shared by its tasks) and, per running task, one sequence's buffers at
 * the full context — the key/value cache, one block of activations ({@link DecoderSequence}'s
 * buffers) and the LM head's output rows. For {@code sparkmerge plan}.
 */
public final class EvalMemory {
  private EvalMemory() {}

  /** Float32 bytes of the weights a model with this config holds. */
  public static long weightBytes(ObjectNode config, String source) {
    return 4 * WeightLoader.floats(LmConfig.parse(config, source));
  }

  /** Bytes one scoring task holds for a sequence of up to {@code context} tokens (0: model's). */
  public static long sequenceBytes(ObjectNode config, String source, int context) {
    LmConfig c = LmConfig.parse(config, source);
    long capacity = context > 0 ? Math.min(context, c.contextLength) : c.contextLength;
    long kvDim = (long) c.kvHeads * c.headDim;
    long kv = 2L * c.layers * capacity * kvDim;
    long block = Math.min(capacity, DecoderSequence.MAX_BLOCK_ROWS)
        * (2L * c.hidden + 2L * c.attentionDim() + 2 * kvDim + 2L * c.intermediate);
    long head = Math.min(4L << 20, 64L * c.vocab) + c.vocab;
    long scores = (long) Attention.TILE * capacity;
    return 4 * (kv + block + head + scores);
  }
}
