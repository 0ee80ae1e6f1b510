package dev.sparkmerge.plan;

import dev.sparkmerge.method.TensorKernel;

/**
 * Peak memory of one write task, from the plan: float32 block buffers for every input and the
 * output, one read buffer, the encode and copy buffers, and the statistics' selections. It depends
 * on the block size (at most the chunk size) and the number of inputs, never on tensor or model
 * size.
 */
public final class MemoryEstimate {
  /**
   * SafetensorsWriter's encode buffer, ShardWriter's raw-copy buffer and the two (off-heap)
   * buffers of a direct-I/O output file.
   */
  private static final long FIXED_BUFFERS = (1L << 20) + (8L << 20) + (2L << 18);
  /**
   * What an exact top-k selector holds per model at most: 16 MiB in its collecting pass (2 MiB in
   * the histogram passes).
   */
  private static final long SELECTION_PER_MODEL = 16L << 20;

  private MemoryEstimate() {}

  /** Bytes one task needs at most for the given tensor, decoding blocks of the given size. */
  public static long forTensor(TensorPlan t, int blockElements) {
    long step = Math.min(blockElements, Math.max(1, t.numel()));
    TensorKernel k = t.kernel();
    if (k != null) {
      long a = Math.max(1, k.chunkAlignment());
      step = Math.min(Math.max(1, t.numel()), Math.max(a, (blockElements / a) * a));
    }
    int inputs = t.models().size() + (t.base() == null ? 0 : 1);
    long buffers = (inputs + 1L) * step * 4 + step * 8;
    long stats = k != null && k.initialStatistics() != null ? inputs * SELECTION_PER_MODEL : 0;
    return buffers + stats + FIXED_BUFFERS;
  }

  /** The largest per-task need over the plan. */
  public static long perTask(MergePlan plan) {
    long max = 0;
    for (TensorPlan t : plan.tensors()) {
      max = Math.max(max, forTensor(t, plan.options().blockElements()));
    }
    return max;
  }
}
