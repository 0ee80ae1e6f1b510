package dev.sparkmerge.plan;

import java.io.Serializable;

/** Planner settings from the command line. */
public final class PlanOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Default chunk: 16 MiB of float32 (4 Mi elements) per input. */
  public static final long DEFAULT_CHUNK_BYTES = 16L << 20;
  /**
   * Elements per input a task decodes, merges and encodes at once: chunks are processed in blocks
   * of at most this size so the decoded inputs stay in the CPU cache between the steps. Measured
   * on the 1.1B benchmark (linear): blocks of 4 Mi elements ran at 317 M model-elements/s, of
   * 64 Ki elements at 481.
   */
  public static final int BLOCK_ELEMENTS = 1 << 16;

  private final long chunkBytes;
  private final long maxShardBytes;

  /**
   * @param chunkBytes float32 bytes per input in a statistics work item; a task decodes at most
   *     this much (and at most {@link #BLOCK_ELEMENTS}) per input at once
   * @param maxShardBytes output shard size limit, or 0 for one shard per layer group
   */
  public PlanOptions(long chunkBytes, long maxShardBytes) {
    if (chunkBytes < 4) {
      throw new IllegalArgumentException("chunk size must be at least 4 bytes (one float)");
    }
    this.chunkBytes = chunkBytes;
    this.maxShardBytes = maxShardBytes;
  }

  public static PlanOptions defaults() {
    return new PlanOptions(DEFAULT_CHUNK_BYTES, 0);
  }

  public long chunkBytes() {
    return chunkBytes;
  }

  /** Elements per block: what a task decodes per input at once, at most one chunk. */
  public int blockElements() {
    return Math.min(chunkElements(), BLOCK_ELEMENTS);
  }

  /**
   * Elements per chunk (float32): the statistics stage's unit of work, and which tensors it takes
   * (those of more than one chunk).
   */
  public int chunkElements() {
    return (int) Math.min(Integer.MAX_VALUE - 8, chunkBytes / 4);
  }

  public long maxShardBytes() {
    return maxShardBytes;
  }
}
