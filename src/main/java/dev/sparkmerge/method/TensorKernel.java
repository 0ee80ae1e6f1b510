package dev.sparkmerge.method;

import java.io.Serializable;

/**
 * A merge method bound to one tensor: its parameters are resolved and validated, so merging cannot
 * fail on configuration any more. Stateless across chunks: every call to {@link #merge} depends only
 * on the chunk and the final statistics, which is what makes output independent of chunking.
 */
public interface TensorKernel extends Serializable {

  /** The statistics to compute before merging, or null when the kernel merges in one pass. */
  Statistics initialStatistics();

  /**
   * Chunks given to this kernel (for statistics and merging) must start and end at multiples of
   * this many elements, except the last one. 1 for nearly all kernels; DELLA needs whole rows
   * because it ranks magnitudes within a row.
   */
  default long chunkAlignment() {
    return 1;
  }

  /**
   * Equal for kernels whose statistics passes compute the same result from the same chunks — grid
   * candidates that differ only in merge-time parameters such as weights — so one computation can
   * serve them all; null (the default) when the kernel makes no such promise.
   */
  default Object statisticsKey() {
    return null;
  }

  /** False when the tensor must not be written at all (mergekit drops it). */
  default boolean writesOutput() {
    return true;
  }

  /**
   * Merges one chunk into {@code out[0 .. chunk.length)}.
   *
   * @param stats the completed statistics ({@code null} if {@link #initialStatistics()} is null)
   */
  void merge(Statistics stats, Chunk chunk, float[] out);

  /**
   * As {@link #merge(Statistics, Chunk, float[])}, telling {@code observer} of merged ranges as
   * they are done; by default the whole chunk at the end (kernels that merge in cache-sized tiles
   * tell each tile).
   */
  default void merge(Statistics stats, Chunk chunk, float[] out, MergeObserver observer) {
    merge(stats, chunk, out);
    observer.merged(chunk, 0, chunk.length, out);
  }
}
