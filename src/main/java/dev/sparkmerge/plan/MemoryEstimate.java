package dev.sparkmerge.plan;

import dev.sparkmerge.method.TensorKernel;

/**
 * Peak memory of one write task, from the plan: float32 chunk buffers for every input and the
 * output, one read buffer, the encode and copy buffers, and the statistics' histograms. It depends
 * on the chunk size and the number of inputs, never on tensor or model size.
 */
public final class MemoryEstimate {
  /** SafetensorsWriter's encode buffer plus ShardWriter's raw-copy buffer. */
  private static final long FIXED_BUFFERS = (1L << 20) + (8L << 20);
  /** What an exact top-k selector holds per model during its histogram passes (2 MiB). */
  private static final long HISTOGRAMS_PER_MODEL = 2L << 20;

  private MemoryEstimate() {}

  /** Bytes one task needs at most for the given tensor. */
  public static long forTensor(TensorPlan t, int chunkElements) {
    long step = Math.min(chunkElements, Math.max(1, t.numel()));
    TensorKernel k = t.kernel();
    if (k != null) {
      long a = Math.max(1, k.chunkAlignment());
      step = Math.min(Math.max(1, t.numel()), Math.max(a, (chunkElements / a) * a));
    }
    int inputs = t.models().size() + (t.base() == null ? 0 : 1);
    long buffers = (inputs + 1L) * step * 4 + step * 8;
    long stats = k != null && k.initialStatistics() != null ? inputs * HISTOGRAMS_PER_MODEL : 0;
    return buffers + stats + FIXED_BUFFERS;
  }

  /** The largest per-task need over the plan. */
  public static long perTask(MergePlan plan) {
    long max = 0;
    for (TensorPlan t : plan.tensors()) {
      max = Math.max(max, forTensor(t, plan.options().chunkElements()));
    }
    return max;
  }
}
