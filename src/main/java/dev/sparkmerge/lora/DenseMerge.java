package dev.sparkmerge.lora;

import dev.sparkmerge.method.Chunk;
import dev.sparkmerge.method.Statistics;
import dev.sparkmerge.method.TensorKernel;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Runs a bound kernel over the dense updates of one module and returns the merged ΔW (out × in,
 * float32). Only the result is held densely: each adapter's ΔW_i is produced chunk by chunk from
 * its factors ({@link LoraDelta}, float32 as in a model merge) whenever a statistics pass or the
 * merge needs it, so memory is out·in floats plus one chunk per adapter and thread, whatever the
 * number of adapters. Recomputing ΔW_i per pass (two or three passes for TIES' exact top-k) costs
 * r multiply-adds per element, cheaper than holding N dense matrices.
 *
 * <p>Chunks run in parallel on the common pool. The result does not depend on it: statistics
 * partials combine exactly (the {@link Statistics} contract) and each output element is computed
 * once, by the kernel, from its own position.
 */
final class DenseMerge {
  /** Elements per chunk: N adapters' chunks of 256 KiB each stay small next to the result. */
  private static final int CHUNK = 1 << 16;

  private DenseMerge() {}

  static float[] run(TensorKernel kernel, List<LoraDelta> deltas) {
    long total = deltas.get(0).numel();
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(total + " elements do not fit one array");
    }
    int numel = (int) total;
    long align = Math.max(1, kernel.chunkAlignment());
    int step = (int) Math.min(numel, ((CHUNK + align - 1) / align) * align);
    int chunks = (numel + step - 1) / step;
    Statistics stats = statistics(kernel, deltas, numel, step, chunks);
    float[] merged = new float[numel];
    IntStream.range(0, chunks).parallel().forEach(c -> {
      int start = c * step;
      int n = Math.min(step, numel - start);
      float[] out = new float[n];
      kernel.merge(stats, chunk(deltas, start, n), out);
      System.arraycopy(out, 0, merged, start, n);
    });
    return merged;
  }

  /** The statistics protocol: per pass, one partial per group of chunks, combined exactly. */
  private static Statistics statistics(TensorKernel kernel, List<LoraDelta> deltas, int numel,
      int step, int chunks) {
    Statistics stats = kernel.initialStatistics();
    // Few groups: a TIES partial holds a 64 Ki-bucket histogram per adapter.
    int groups = Math.max(1, Math.min(chunks, ForkJoinPool.getCommonPoolParallelism()));
    while (stats != null && !stats.isComplete()) {
      Statistics current = stats;
      Statistics[] partials = new Statistics[groups];
      IntStream.range(0, groups).parallel().forEach(g -> {
        Statistics p = current.newPartial();
        for (int c = g; c < chunks; c += groups) {
          int start = c * step;
          p.accumulate(chunk(deltas, start, Math.min(step, numel - start)));
        }
        partials[g] = p;
      });
      for (int g = 1; g < groups; g++) {
        partials[0].combine(partials[g]);
      }
      stats = partials[0].finishPass();
    }
    return stats;
  }

  /** Elements [start, start + n) of every ΔW_i, against a zero base. */
  private static Chunk chunk(List<LoraDelta> deltas, int start, int n) {
    float[][] models = new float[deltas.size()][];
    for (int i = 0; i < models.length; i++) {
      models[i] = new float[n];
      deltas.get(i).fill(start, n, models[i]);
    }
    return new Chunk(start, n, new float[n], models);
  }
}
