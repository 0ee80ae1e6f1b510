package dev.sparkmerge.engine;

import dev.sparkmerge.method.Chunk;
import dev.sparkmerge.method.TensorKernel;
import dev.sparkmerge.plan.InputRef;
import dev.sparkmerge.plan.TensorPlan;
import java.util.List;

/**
 * Reads one planned tensor chunk by chunk into reusable float32 arrays (one per input), the form
 * kernels take. Chunk boundaries come from {@link #step}, so the statistics stage and the write
 * stage cut a tensor identically.
 */
final class TensorChunkReader {
  private final TensorPlan tensor;
  private final InputFiles inputs;
  private final float[] base;
  private final float[][] models;
  private final int step;

  TensorChunkReader(TensorPlan tensor, InputFiles inputs, int chunkElements) {
    this.tensor = tensor;
    this.inputs = inputs;
    this.step = step(tensor, chunkElements);
    this.base = tensor.base() == null ? null : new float[step];
    List<InputRef> m = tensor.models();
    this.models = new float[m.size()][step];
  }

  /** The chunk length: the configured size rounded down to the kernel's alignment (≥ one unit). */
  static int step(TensorPlan tensor, int chunkElements) {
    TensorKernel kernel = tensor.kernel();
    long a = kernel == null ? 1 : Math.max(1, kernel.chunkAlignment());
    long step = Math.max(a, (chunkElements / a) * a);
    return (int) Math.max(1, Math.min(step, Math.max(tensor.numel(), 1)));
  }

  int step() {
    return step;
  }

  /** Number of chunks of the tensor. */
  long chunkCount() {
    long n = tensor.numel();
    return n / step + (n % step == 0 ? 0 : 1);
  }

  /** Reads chunk {@code i}; the returned chunk's arrays are reused by the next call. */
  Chunk read(long i) {
    long start = i * step;
    int n = (int) Math.min(step, tensor.numel() - start);
    if (base != null) {
      inputs.readFloats(tensor.base(), start, n, base);
    }
    for (int m = 0; m < models.length; m++) {
      inputs.readFloats(tensor.models().get(m), start, n, models[m]);
    }
    return new Chunk(start, n, base, models);
  }
}
