package dev.sparkmerge.method;

/**
 * Runs a kernel over tensors held in memory, cutting them into chunks of a given size and going
 * through the same statistics protocol a distributed driver uses. For local merges of small tensors
 * and for tests; a chunk size is rounded up to the kernel's {@link TensorKernel#chunkAlignment()}.
 */
public final class InMemoryMerge {
  static final int CHUNKS_PER_PARTIAL = 64;

  private InMemoryMerge() {}

  /**
   * @param base the base tensor or null
   * @param models the non-base models' tensors, all of the base's length
   * @return the merged tensor, or null when the kernel writes no output
   */
  public static float[] run(TensorKernel kernel, float[] base, float[][] models, int chunkSize) {
    int numel = base != null ? base.length : models.length > 0 ? models[0].length : 0;
    int step = alignedChunkSize(kernel, chunkSize, numel);
    Statistics stats = statistics(kernel, base, models, numel, step);
    if (!kernel.writesOutput()) {
      return null;
    }
    float[] result = new float[numel];
    float[] out = new float[step];
    for (int start = 0; start < numel; start += step) {
      int n = Math.min(step, numel - start);
      kernel.merge(stats, slice(base, models, start, n), out);
      System.arraycopy(out, 0, result, start, n);
    }
    return result;
  }

  /**
   * Computes the final statistics. Like a Spark task, each partial accumulates a run of up to
   * {@link #CHUNKS_PER_PARTIAL} chunks; partials are then combined from the last one backwards, so
   * both accumulate-many and combine are exercised.
   */
  public static Statistics statistics(
      TensorKernel kernel, float[] base, float[][] models, int numel, int step) {
    Statistics stats = kernel.initialStatistics();
    while (stats != null && !stats.isComplete()) {
      Statistics total = null;
      int run = (int) Math.min(Integer.MAX_VALUE, (long) step * CHUNKS_PER_PARTIAL);
      for (int runStart = ((numel - 1) / run) * run; runStart >= 0; runStart -= run) {
        Statistics partial = stats.newPartial();
        int runEnd = (int) Math.min(numel, (long) runStart + run);
        for (int start = runStart; start < runEnd; start += step) {
          partial.accumulate(slice(base, models, start, Math.min(step, numel - start)));
        }
        if (total != null) {
          partial.combine(total);
        }
        total = partial;
      }
      if (total == null) {
        total = stats.newPartial();
      }
      stats = total.finishPass();
    }
    return stats;
  }

  private static int alignedChunkSize(TensorKernel kernel, int chunkSize, int numel) {
    long align = kernel.chunkAlignment();
    long step = Math.max(1, chunkSize);
    step = ((step + align - 1) / align) * align;
    return (int) Math.max(1, Math.min(step, Math.max(numel, 1)));
  }

  private static Chunk slice(float[] base, float[][] models, int start, int n) {
    float[] b = base == null ? null : copy(base, start, n);
    float[][] m = new float[models.length][];
    for (int i = 0; i < models.length; i++) {
      m[i] = copy(models[i], start, n);
    }
    return new Chunk(start, n, b, m);
  }

  private static float[] copy(float[] a, int start, int n) {
    float[] c = new float[n];
    System.arraycopy(a, start, c, 0, n);
    return c;
  }
}
