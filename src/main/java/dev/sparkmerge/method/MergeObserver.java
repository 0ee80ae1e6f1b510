package dev.sparkmerge.method;

/**
 * Told each merged range of a chunk right after it is merged, while the range's inputs and output
 * are still in cache — for per-tensor statistics that read both (a grid's statistics table)
 * without a second trip through memory.
 */
@FunctionalInterface
public interface MergeObserver {
  /** {@code out[from .. from + n)} has been merged from the chunk's positions there. */
  void merged(Chunk chunk, int from, int n, float[] out);
}
