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
import java.util.Map;
import java.util.function.LongConsumer;
import org.apache.hadoop.fs.Path;

/**
 * Writes one output shard (runs inside a Spark task, or directly in tests): for each tensor in file
 * order, takes the kernel's whole-tensor statistics from the statistics stage or, for tensors it
 * left to the task, computes them by streaming the inputs chunk by chunk (one read per pass), then
 * streams the merge pass: read every input's chunk, merge, encode, append. Memory is bounded by the chunk size times the number of inputs, whatever the tensor size.
 */
final class ShardWriter {
  private static final int COPY_BUFFER_BYTES = 8 << 20;

  private final CheckpointFs fs;
  private final int chunkElements;
  private final LongConsumer bytesWritten;
  private final Map<String, Statistics> precomputed;

  /**
   * @param precomputed final statistics of tensors the statistics stage already did (by name)
   * @param bytesWritten told of output bytes as they are written (progress reporting)
   */
  ShardWriter(CheckpointFs fs, int chunkElements, Map<String, Statistics> precomputed,
      LongConsumer bytesWritten) {
    this.fs = fs;
    this.chunkElements = chunkElements;
    this.precomputed = precomputed;
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
    TensorChunkReader reader = new TensorChunkReader(t, inputs, chunkElements);
    Statistics stats = precomputed.get(t.name());
    if (stats == null) {
      stats = kernel.initialStatistics();
      while (stats != null && !stats.isComplete()) {
        Statistics partial = stats.newPartial();
        for (long i = 0; i < reader.chunkCount(); i++) {
          partial.accumulate(reader.read(i));
        }
        stats = partial.finishPass();
      }
    }
    float[] merged = new float[reader.step()];
    for (long i = 0; i < reader.chunkCount(); i++) {
      Chunk chunk = reader.read(i);
      kernel.merge(stats, chunk, merged);
      out.writeFloats(merged, 0, chunk.length);
      bytesWritten.accept((long) chunk.length * t.outDtype().byteSize());
    }
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
}
