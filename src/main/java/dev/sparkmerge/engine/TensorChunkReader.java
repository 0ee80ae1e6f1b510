package dev.sparkmerge.engine;

import dev.sparkmerge.method.Chunk;
import dev.sparkmerge.method.TensorKernel;
import dev.sparkmerge.plan.InputRef;
import dev.sparkmerge.plan.TensorPlan;
import java.util.List;

/**
 * Reads one planned tensor chunk by chunk into reusable float32 arrays (one per input), the form
 * kernels take. Chunk boundaries come from {@link #step}, so the statistics stage and the write
 * stage cut a tensor identically. The arrays come from the task's {@link ChunkBuffers} (slot 0 the
 * base, then one per model, then the same again for {@link #withUpdatesOf}), so a reader is valid
 * until the next reader of the task is made.
 */
final class TensorChunkReader {
  private final TensorPlan tensor;
  private final InputFiles inputs;
  private final float[] base;
  private final float[][] models;
  private final int step;
  private final ChunkBuffers buffers;
  /** Base (if any) then models, with their arrays: the inputs in one list for reading. */
  private final InputRef[] refs;
  private final float[][] arrays;
  /** Per input, the input whose stored values it shares (its own index if none earlier). */
  private final int[] storedSource;
  private float[] copyBase;
  private float[][] copyModels;

  TensorChunkReader(TensorPlan tensor, InputFiles inputs, int chunkElements,
      ChunkBuffers buffers) {
    this.tensor = tensor;
    this.inputs = inputs;
    this.buffers = buffers;
    inputs.forgetUpdates(); // the previous tensor's LoRA factors are not needed any more
    this.step = step(tensor, chunkElements);
    this.base = tensor.base() == null ? null : buffers.get(0, step);
    List<InputRef> m = tensor.models();
    this.models = new float[m.size()][];
    for (int i = 0; i < models.length; i++) {
      models[i] = buffers.get(1 + i, step);
    }
    int first = base == null ? 0 : 1;
    this.refs = new InputRef[first + models.length];
    this.arrays = new float[refs.length][];
    if (base != null) {
      refs[0] = tensor.base();
      arrays[0] = base;
    }
    for (int i = 0; i < models.length; i++) {
      refs[first + i] = m.get(i);
      arrays[first + i] = models[i];
    }
    this.storedSource = storedSources(refs);
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
    return chunks(tensor.numel(), step);
  }

  /** Number of chunks of {@code tensor} cut at {@link #step}{@code (tensor, chunkElements)}. */
  static long chunkCount(TensorPlan tensor, int chunkElements) {
    return chunks(tensor.numel(), step(tensor, chunkElements));
  }

  private static long chunks(long numel, long step) {
    return numel / step + (numel % step == 0 ? 0 : 1);
  }

  /** Reads chunk {@code i}; the returned chunk's arrays are reused by the next call. */
  Chunk read(long i) {
    return read(i, true);
  }

  /**
   * Reads chunk {@code i}, with the inputs' LoRA updates added or, for {@code withUpdates}
   * false, the stored values only (to be shared by outputs whose updates differ, see
   * {@link #withUpdatesOf}).
   */
  Chunk read(long i, boolean withUpdates) {
    long start = i * step;
    return readRange(start, (int) Math.min(step, tensor.numel() - start), withUpdates);
  }

  /**
   * Reads elements [start, start + n) (n at most {@link #step}; start a multiple of the kernel's
   * alignment), as {@link #read(long, boolean)} does.
   */
  Chunk readRange(long start, int n, boolean withUpdates) {
    // Stored values first, each distinct stored tensor read once (storedSource): BASE+ADAPTER
    // inputs all store the base, and N adapters would otherwise read it N + 1 times per chunk.
    for (int i = 0; i < refs.length; i++) {
      if (storedSource[i] == i) {
        inputs.readStored(refs[i], start, n, arrays[i]);
      } else {
        System.arraycopy(arrays[storedSource[i]], 0, arrays[i], 0, n);
      }
    }
    if (withUpdates) {
      for (int i = 0; i < refs.length; i++) {
        inputs.addUpdate(refs[i], start, n, arrays[i]);
      }
    }
    return new Chunk(start, n, base, models);
  }

  /** For each of refs, the first ref storing the same values (itself if none comes earlier). */
  private static int[] storedSources(InputRef[] refs) {
    int[] source = new int[refs.length];
    for (int i = 0; i < refs.length; i++) {
      source[i] = i;
      for (int j = 0; j < i; j++) {
        if (refs[j].sameStored(refs[i])) {
          source[i] = j;
          break;
        }
      }
    }
    return source;
  }

  /**
   * The chunk another output sees: the shared stored values of {@code stored} (read without
   * updates) plus that output's own LoRA updates, in this reader's second set of arrays.
   */
  Chunk withUpdatesOf(TensorPlan other, Chunk stored) {
    int copies = 1 + models.length;
    if (copyBase == null && base != null) {
      copyBase = buffers.get(copies, step);
    }
    if (copyModels == null) {
      copyModels = new float[models.length][];
      for (int i = 0; i < models.length; i++) {
        copyModels[i] = buffers.get(copies + 1 + i, step);
      }
    }
    int n = stored.length;
    if (base != null) {
      System.arraycopy(stored.base, 0, copyBase, 0, n);
      inputs.addUpdate(other.base(), stored.start, n, copyBase);
    }
    for (int m = 0; m < models.length; m++) {
      System.arraycopy(stored.models[m], 0, copyModels[m], 0, n);
      inputs.addUpdate(other.models().get(m), stored.start, n, copyModels[m]);
    }
    return new Chunk(stored.start, n, copyBase, copyModels);
  }
}
