package dev.sparkmerge.plan;

import java.io.Serializable;

/** Planner settings from the command line. */
public final class PlanOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Default float32 working set per input: 16 MiB (4 Mi elements). */
  public static final long DEFAULT_CHUNK_BYTES = 16L << 20;

  private final long chunkBytes;
  private final long maxShardBytes;

  /**
   * @param chunkBytes float32 bytes decoded per input at once (bounds task memory)
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

  /** Elements per chunk (float32). */
  public int chunkElements() {
    return (int) Math.min(Integer.MAX_VALUE - 8, chunkBytes / 4);
  }

  public long maxShardBytes() {
    return maxShardBytes;
  }
}
