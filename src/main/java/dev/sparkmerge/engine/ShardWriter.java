package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.method.Chunk;
import dev.sparkmerge.method.Statistics;
import dev.sparkmerge.plan.InputRef;
import dev.sparkmerge.plan.ShardPlan;
import dev.sparkmerge.plan.TensorPlan;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.apache.hadoop.fs.Path;

/**
 * Writes one output shard (runs inside a Spark task, or directly in tests) — or the same shard of
 * several merges that read the same stored inputs (grid candidates, baked adapters), reading each
 * input chunk once for all of them. For each tensor in file order it takes the kernel's
 * whole-tensor statistics from the statistics stage or, for tensors left to the task, computes
 * them by streaming the inputs chunk by chunk (one read per pass), then streams the merge pass:
 * read every input's chunk, merge, encode, append. Memory is bounded by the chunk size times the
 * number of inputs, whatever the tensor size.
 */
final class ShardWriter {
  private static final int COPY_BUFFER_BYTES = 8 << 20;

  private final CheckpointFs fs;
  private final int blockElements;
  private final LongConsumer bytesWritten;
  /** Per output (in the order given to write): statistics the statistics stage already did. */
  private final List<Map<String, Statistics>> precomputed;
  private boolean collectStats;
  private List<List<TensorStats>> statsByOutput;
  /** Input chunks, reused by every tensor of the shard. */
  private final ChunkBuffers buffers = new ChunkBuffers();
  /** One merged chunk, reused likewise. */
  private float[] merged = new float[0];

  /**
   * @param precomputed per output, in the order {@link #write} receives them: final statistics of
   *     the tensors the statistics stage already did (by name); may be shorter (none)
   * @param bytesWritten told of output bytes as they are written (progress reporting)
   */
  ShardWriter(CheckpointFs fs, int blockElements, List<Map<String, Statistics>> precomputed,
      LongConsumer bytesWritten) {
    this.fs = fs;
    this.blockElements = blockElements;
    this.precomputed = precomputed;
    this.bytesWritten = bytesWritten;
  }

  /** Also compute {@link TensorStats} of every merged tensor (for grid reports). */
  ShardWriter collectingStats(boolean collect) {
    this.collectStats = collect;
    return this;
  }

  /** Writes the shard to {@code target} and returns its length and SHA-256. */
  ShardResult write(ShardPlan shard, Path target) {
    return write(List.of(shard), List.of(target)).get(0);
  }

  /**
   * Writes the same shard of several merges whose tensors read the same stored inputs (grid
   * candidates; baked adapters, whose LoRA updates differ): every input chunk is read once and
   * feeds every output.
   *
   * @throws IllegalArgumentException if the shards do not hold the same tensors, in the same
   *     order, from the same stored inputs
   */
  List<ShardResult> write(List<ShardPlan> shards, List<Path> targets) {
    requireSameInputs(shards);
    statsByOutput = new ArrayList<>();
    for (int k = 0; k < shards.size(); k++) {
      statsByOutput.add(new ArrayList<>());
    }
    List<SafetensorsWriter> outs = new ArrayList<>();
    try (InputFiles inputs = new InputFiles(fs)) {
      for (int k = 0; k < shards.size(); k++) {
        outs.add(SafetensorsWriter.create(fs, targets.get(k), shards.get(k).layout(), true));
      }
      int tensors = shards.get(0).tensors().size();
      for (int t = 0; t < tensors; t++) {
        List<TensorPlan> candidates = new ArrayList<>();
        for (ShardPlan s : shards) {
          candidates.add(s.tensors().get(t));
        }
        if (candidates.get(0).isRawCopy()) {
          copyRaw(candidates.get(0), inputs, outs);
        } else {
          merge(candidates, inputs, outs);
        }
      }
      List<ShardResult> results = new ArrayList<>();
      for (int k = 0; k < shards.size(); k++) {
        String sha = outs.get(k).commit();
        results.add(new ShardResult(shards.get(k).fileName(), shards.get(k).fileLength(), sha,
            false, statsByOutput.get(k)));
      }
      return results;
    } finally {
      for (SafetensorsWriter w : outs) {
        w.close();
      }
    }
  }

  private static void requireSameInputs(List<ShardPlan> shards) {
    ShardPlan first = shards.get(0);
    for (ShardPlan s : shards) {
      if (s.tensors().size() != first.tensors().size()) {
        throw new IllegalArgumentException("shards " + s.fileName() + " differ in tensors");
      }
      for (int t = 0; t < s.tensors().size(); t++) {
        TensorPlan a = first.tensors().get(t);
        TensorPlan b = s.tensors().get(t);
        if (!a.name().equals(b.name()) || !sameStored(a, b) || a.isRawCopy() != b.isRawCopy()) {
          throw new IllegalArgumentException("tensor " + a.name() + " of " + s.fileName()
              + " reads different inputs in different outputs");
        }
      }
    }
  }

  /** Same stored inputs in the same roles; LoRA updates on top may differ (bake). */
  private static boolean sameStored(TensorPlan a, TensorPlan b) {
    if ((a.base() == null) != (b.base() == null)
        || (a.base() != null && !a.base().sameStored(b.base()))
        || a.models().size() != b.models().size()) {
      return false;
    }
    for (int i = 0; i < a.models().size(); i++) {
      if (!a.models().get(i).sameStored(b.models().get(i))) {
        return false;
      }
    }
    return true;
  }

  /** True when the output's inputs carry LoRA updates that must be added to the stored values. */
  static boolean hasUpdates(TensorPlan t) {
    if (t.base() != null && t.base().deltaKey() != null) {
      return true;
    }
    for (InputRef in : t.models()) {
      if (in.deltaKey() != null) {
        return true;
      }
    }
    return false;
  }

  /**
   * The chunk one output sees: the stored values read once, plus its own LoRA updates. A single
   * output reads with its updates directly.
   */
  private static Chunk chunkFor(TensorChunkReader reader, List<TensorPlan> candidates, int c,
      Chunk shared) {
    return readsShared(candidates, c) ? shared : reader.withUpdatesOf(candidates.get(c), shared);
  }

  /** Whether output c sees the shared chunk as it is (no LoRA updates of its own). */
  private static boolean readsShared(List<TensorPlan> candidates, int c) {
    return candidates.size() == 1 || !hasUpdates(candidates.get(c));
  }

  /**
   * Statistics passes (each chunk read once for all outputs still needing a pass; outputs whose
   * kernels have equal statistics keys share one computation), then the merge pass.
   */
  private void merge(List<TensorPlan> candidates, InputFiles inputs,
      List<SafetensorsWriter> outs) {
    TensorPlan widest = candidates.get(0);
    for (TensorPlan t : candidates) {
      if (t.kernel().chunkAlignment() > widest.kernel().chunkAlignment()) {
        widest = t;
      }
    }
    TensorChunkReader reader = new TensorChunkReader(widest, inputs, blockElements, buffers);
    int k = candidates.size();
    int[] source = statisticsSources(candidates);
    Statistics[] stats = new Statistics[k];
    for (int c = 0; c < k; c++) {
      Statistics pre = c < precomputed.size()
          ? precomputed.get(c).get(candidates.get(c).name()) : null;
      if (pre != null) {
        source[c] = c; // done already: neither computed here nor taken from another output
      }
      stats[c] = pre != null ? pre
          : source[c] == c ? candidates.get(c).kernel().initialStatistics() : null;
    }
    while (anyIncomplete(stats)) {
      Statistics[] partial = new Statistics[k];
      for (int c = 0; c < k; c++) {
        partial[c] = stats[c] == null || stats[c].isComplete() ? null : stats[c].newPartial();
      }
      for (long i = 0; i < reader.chunkCount(); i++) {
        Chunk shared = reader.read(i, k == 1);
        for (int c = 0; c < k; c++) {
          if (partial[c] != null) {
            partial[c].accumulate(chunkFor(reader, candidates, c, shared));
          }
        }
      }
      for (int c = 0; c < k; c++) {
        if (partial[c] != null) {
          stats[c] = partial[c].finishPass();
        }
      }
    }
    for (int c = 0; c < k; c++) {
      stats[c] = stats[source[c]];
    }
    TensorStats[] tensorStats = new TensorStats[k];
    for (int c = 0; c < k && collectStats; c++) {
      tensorStats[c] = new TensorStats(candidates.get(c).name(), candidates.get(c).models().size());
      statsByOutput.get(c).add(tensorStats[c]);
    }
    if (merged.length < reader.step()) {
      merged = new float[reader.step()];
    }
    int firstOnShared = 0;
    while (firstOnShared < k && !readsShared(candidates, firstOnShared)) {
      firstOnShared++;
    }
    for (long i = 0; i < reader.chunkCount(); i++) {
      Chunk shared = reader.read(i, k == 1);
      for (int c = 0; c < k; c++) {
        TensorPlan t = candidates.get(c);
        Chunk chunk = chunkFor(reader, candidates, c, shared);
        if (collectStats) {
          // Each merged tile goes into the table while it is in cache. The inputs' own
          // statistics once per distinct chunk: candidates reading the shared chunk take them
          // from the first of them.
          TensorStats table = tensorStats[c];
          boolean ownInputs = !readsShared(candidates, c) || c == firstOnShared;
          t.kernel().merge(stats[c], chunk, merged,
              (ch, from, n, out) -> table.add(ch, out, from, n, ownInputs));
        } else {
          t.kernel().merge(stats[c], chunk, merged);
        }
        outs.get(c).writeFloats(merged, 0, chunk.length);
        bytesWritten.accept((long) chunk.length * t.outDtype().byteSize());
      }
    }
    for (int c = 0; c < k && collectStats; c++) {
      if (c != firstOnShared && readsShared(candidates, c)) {
        tensorStats[c].copyInputStatistics(tensorStats[firstOnShared]);
      }
    }
  }

  /**
   * For each output, the output whose statistics it can use: the first one with an equal
   * {@code statisticsKey} that sees the same chunks (no LoRA updates of its own), else itself.
   */
  private static int[] statisticsSources(List<TensorPlan> candidates) {
    int k = candidates.size();
    int[] source = new int[k];
    Object[] keys = new Object[k];
    for (int c = 0; c < k; c++) {
      source[c] = c;
      keys[c] = shareableStatisticsKey(candidates.get(c), k);
      for (int d = 0; d < c && keys[c] != null; d++) {
        if (source[d] == d && keys[c].equals(keys[d])) {
          source[c] = d;
          break;
        }
      }
    }
    return source;
  }

  /**
   * The key under which the tensor's statistics may be shared among {@code outputs} outputs
   * reading the same inputs: the kernel's statistics key, or null when it has none or the output
   * sees its own chunks (LoRA updates of its own).
   */
  static Object shareableStatisticsKey(TensorPlan t, int outputs) {
    return outputs > 1 && hasUpdates(t) ? null : t.kernel().statisticsKey();
  }

  private static boolean anyIncomplete(Statistics[] stats) {
    for (Statistics s : stats) {
      if (s != null && !s.isComplete()) {
        return true;
      }
    }
    return false;
  }

  private void copyRaw(TensorPlan t, InputFiles inputs, List<SafetensorsWriter> outs) {
    InputRef from = t.base();
    long length = from.stored().byteLength();
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(COPY_BUFFER_BYTES, Math.max(1, length)));
    for (long done = 0; done < length; ) {
      int n = (int) Math.min(buf.capacity(), length - done);
      buf.clear().limit(n);
      inputs.readBytes(from, done, buf);
      buf.flip();
      for (SafetensorsWriter out : outs) {
        out.writeBytes(buf.duplicate());
        bytesWritten.accept(n);
      }
      done += n;
    }
  }
}
