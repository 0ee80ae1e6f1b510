package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.method.Chunk;
import dev.sparkmerge.method.Statistics;
import dev.sparkmerge.method.TensorKernel;
import dev.sparkmerge.plan.InputRef;
import dev.sparkmerge.plan.ShardPlan;
import dev.sparkmerge.plan.TensorPlan;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.LongConsumer;
import org.apache.hadoop.fs.Path;

/**
 * Writes one output shard (runs inside a Spark task, or directly in tests): for each tensor in file
 * order, computes the kernel's whole-tensor statistics by streaming the inputs chunk by chunk (one
 * read per statistics pass), then streams the merge pass: read every input's chunk, merge, encode,
 * append. Memory is bounded by the chunk size times the number of inputs, whatever the tensor size.
 */
final class ShardWriter {
  private static final int COPY_BUFFER_BYTES = 8 << 20;

  private final CheckpointFs fs;
  private final int chunkElements;
  private final LongConsumer bytesWritten;

  /** @param bytesWritten told of output bytes as they are written (progress reporting) */
  ShardWriter(CheckpointFs fs, int chunkElements, LongConsumer bytesWritten) {
    this.fs = fs;
    this.chunkElements = chunkElements;
    this.bytesWritten = bytesWritten;
  }

  /** Writes the shard to {@code target} and returns its length and SHA-256. */
  ShardResult write(ShardPlan shard, Path target) {
    try (InputFiles inputs = new InputFiles(fs);
        SafetensorsWriter out = SafetensorsWriter.create(fs, target, shard.layout(), true)) {
      for (TensorPlan t : shard.tensors()) {
        if (t.isRawCopy()) {
          copyRaw(t, inputs, out);
        } else {
          merge(t, inputs, out);
        }
      }
      String sha = out.commit();
      return new ShardResult(shard.fileName(), shard.fileLength(), sha, false);
    }
  }

  private void merge(TensorPlan t, InputFiles inputs, SafetensorsWriter out) {
    TensorKernel kernel = t.kernel();
    long numel = t.numel();
    int step = alignedStep(kernel.chunkAlignment(), numel);
    Buffers buf = new Buffers(t, step);
    Statistics stats = kernel.initialStatistics();
    while (stats != null && !stats.isComplete()) {
      Statistics partial = stats.newPartial();
      for (long start = 0; start < numel; start += step) {
        partial.accumulate(buf.read(inputs, start, (int) Math.min(step, numel - start)));
      }
      stats = partial.finishPass();
    }
    float[] merged = new float[step];
    for (long start = 0; start < numel; start += step) {
      int n = (int) Math.min(step, numel - start);
      kernel.merge(stats, buf.read(inputs, start, n), merged);
      out.writeFloats(merged, 0, n);
      bytesWritten.accept((long) n * t.outDtype().byteSize());
    }
  }

  /** The chunk length: the configured size rounded down to the kernel's alignment (at least one). */
  private int alignedStep(long alignment, long numel) {
    long a = Math.max(1, alignment);
    long step = Math.max(a, (chunkElements / a) * a);
    return (int) Math.max(1, Math.min(step, Math.max(numel, 1)));
  }

  private void copyRaw(TensorPlan t, InputFiles inputs, SafetensorsWriter out) {
    InputRef from = t.base();
    long length = from.stored().byteLength();
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(COPY_BUFFER_BYTES, Math.max(1, length)));
    for (long done = 0; done < length; ) {
      int n = (int) Math.min(buf.capacity(), length - done);
      buf.clear().limit(n);
      inputs.readBytes(from, done, buf);
      buf.flip();
      out.writeBytes(buf);
      bytesWritten.accept(n);
      done += n;
    }
  }

  /** Reusable per-tensor input arrays: one per input, each one chunk long. */
  private static final class Buffers {
    private final TensorPlan tensor;
    private final float[] base;
    private final float[][] models;

    Buffers(TensorPlan tensor, int step) {
      this.tensor = tensor;
      this.base = tensor.base() == null ? null : new float[step];
      List<InputRef> m = tensor.models();
      this.models = new float[m.size()][step];
    }

    Chunk read(InputFiles inputs, long start, int n) {
      if (base != null) {
        inputs.readFloats(tensor.base(), start, n, base);
      }
      for (int i = 0; i < models.length; i++) {
        inputs.readFloats(tensor.models().get(i), start, n, models[i]);
      }
      return new Chunk(start, n, base, models);
    }
  }
}
