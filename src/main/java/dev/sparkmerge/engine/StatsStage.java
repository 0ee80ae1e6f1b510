package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.method.Chunk;
import dev.sparkmerge.method.Statistics;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.TensorPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * The statistics stage (DESIGN.md step 3): whole-tensor statistics (top-k thresholds, norms, ...)
 * of large tensors, computed across executors, for one merge or for several that read the same
 * inputs (grid candidates, whose identical needs — same statistics key — are computed once).
 * Work items are (tensor, chunk) pairs; each partition folds its chunks into one partial per
 * tensor, compacts it, partials reduce by tensor, and
 * {@code finishPass} runs on the executors, so only the small per-pass results reach the driver.
 * Passes repeat until every tensor's statistics are complete; the result is broadcast to the write
 * stage. Tensors of one chunk or less keep their statistics inside the write task, which reads
 * them anyway. Because partials combine exactly, the result does not depend on how chunks were
 * grouped into partitions.
 */
final class StatsStage {
  private StatsStage() {}

  /** One chunk of one tensor, the unit of work: read once, it feeds every statistics listed. */
  private static final class Item implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    /** The statistics this chunk feeds (see {@link #stateId}), all over the same chunk values. */
    final List<String> states;
    /** Where the tensor is planned (the first output needing it). */
    final int plan;
    final int shard;
    final int tensor;
    final long chunk;

    Item(List<String> states, int plan, int shard, int tensor, long chunk) {
      this.states = states;
      this.plan = plan;
      this.shard = shard;
      this.tensor = tensor;
      this.chunk = chunk;
    }

    TensorPlan tensorOf(List<MergePlan> plans) {
      return plans.get(plan).shards().get(shard).tensors().get(tensor);
    }
  }

  /**
   * Which statistics a tensor of output {@code k} needs: outputs whose kernels have equal
   * statistics keys and read the same chunks (no LoRA updates) share one; others get their own.
   */
  private static String stateId(TensorPlan t, int k, int outputs) {
    Object key = ShardWriter.shareableStatisticsKey(t, outputs);
    return t.name() + "\u0000" + (key == null ? "output " + k : key);
  }

  /**
   * Final statistics of the tensors of the given shards that need them, by tensor name, for each
   * output (grid candidates and baked adapters read the same inputs; outputs needing identical
   * statistics share one computation).
   */
  static List<Map<String, Statistics>> compute(JavaSparkContext jsc,
      Broadcast<List<MergePlan>> plansB, Broadcast<SerializableConfiguration> confB,
      List<Integer> shards) {
    List<MergePlan> plans = plansB.value();
    int chunkElements = plans.get(0).options().chunkElements();
    int blockElements = plans.get(0).options().blockElements();
    Map<String, Statistics> states = new HashMap<>();
    List<Map<String, String>> idsByOutput = new ArrayList<>();
    // Statistics over the same chunk values (no per-output LoRA updates) share one read per
    // chunk: one group per tensor (and chunk alignment), holding every distinct need — e.g. one
    // per density of a grid.
    Map<String, List<String>> sharedByTensor = new java.util.LinkedHashMap<>();
    Map<String, int[]> firstPlanned = new HashMap<>();
    List<Item> items = new ArrayList<>();
    for (int k = 0; k < plans.size(); k++) {
      Map<String, String> ids = new HashMap<>();
      idsByOutput.add(ids);
      for (int s : shards) {
        List<TensorPlan> tensors = plans.get(k).shards().get(s).tensors();
        for (int t = 0; t < tensors.size(); t++) {
          TensorPlan tp = tensors.get(t);
          Statistics initial = tp.kernel() == null ? null : tp.kernel().initialStatistics();
          long chunks = TensorChunkReader.chunkCount(tp, chunkElements);
          if (initial == null || initial.isComplete() || chunks <= 1) {
            continue;
          }
          String id = stateId(tp, k, plans.size());
          ids.put(tp.name(), id);
          if (states.putIfAbsent(id, initial) != null) {
            continue;
          }
          if (plans.size() > 1 && ShardWriter.hasUpdates(tp)) {
            for (long c = 0; c < chunks; c++) {
              items.add(new Item(List.of(id), k, s, t, c));
            }
          } else {
            // Chunks are cut by the kernel's alignment, so only equal alignments share them.
            String group = tp.name() + "@" + tp.kernel().chunkAlignment();
            sharedByTensor.computeIfAbsent(group, n -> new ArrayList<>()).add(id);
            firstPlanned.putIfAbsent(group, new int[] {k, s, t});
          }
        }
      }
    }
    sharedByTensor.forEach((group, ids) -> {
      int[] at = firstPlanned.get(group);
      TensorPlan first = plans.get(at[0]).shards().get(at[1]).tensors().get(at[2]);
      long chunks = TensorChunkReader.chunkCount(first, chunkElements);
      for (long c = 0; c < chunks; c++) {
        items.add(new Item(ids, at[0], at[1], at[2], c));
      }
    });
    List<Map<String, Statistics>> byOutput = new ArrayList<>();
    if (items.isEmpty()) {
      for (int k = 0; k < plans.size(); k++) {
        byOutput.add(Map.of());
      }
      return byOutput;
    }
    Map<String, Statistics> done = new HashMap<>();
    int partitions = Math.max(1, Math.min(items.size(), jsc.defaultParallelism() * 4));
    for (int pass = 1; !states.isEmpty(); pass++) {
      Broadcast<Map<String, Statistics>> statesB = jsc.broadcast(new HashMap<>(states));
      List<Item> pending = new ArrayList<>();
      for (Item i : items) {
        for (String id : i.states) {
          if (states.containsKey(id)) {
            pending.add(i);
            break;
          }
        }
      }
      jsc.setJobDescription("sparkmerge: statistics pass " + pass + " over " + states.size()
          + " tensor(s)");
      Map<String, Statistics> next = jsc.parallelize(pending, Math.min(partitions,
              pending.size()))
          .mapPartitionsToPair(it -> partials(it, plansB.value(), statesB.value(),
              confB.value().value(), chunkElements, blockElements))
          .reduceByKey((a, b) -> {
            a.combine(b);
            return a;
          })
          .mapValues(Statistics::finishPass)
          .collectAsMap();
      statesB.destroy();
      states.clear();
      for (Map.Entry<String, Statistics> e : next.entrySet()) {
        (e.getValue().isComplete() ? done : states).put(e.getKey(), e.getValue());
      }
    }
    for (Map<String, String> ids : idsByOutput) {
      Map<String, Statistics> stats = new HashMap<>();
      ids.forEach((name, id) -> stats.put(name, done.get(id)));
      byOutput.add(stats);
    }
    return byOutput;
  }

  /** Folds one partition's chunks into one partial per statistics. */
  private static Iterator<Tuple2<String, Statistics>> partials(Iterator<Item> items,
      List<MergePlan> plans, Map<String, Statistics> states,
      org.apache.hadoop.conf.Configuration conf, int chunkElements, int blockElements) {
    Map<String, Statistics> partials = new HashMap<>();
    // Statistics whose pass another one of the same chunks computes (equal passKey): id → that one.
    Map<String, String> adopting = new HashMap<>();
    try (InputFiles inputs = new InputFiles(new CheckpointFs(conf))) {
      ChunkBuffers buffers = new ChunkBuffers();
      TensorChunkReader reader = null;
      TensorPlan current = null;
      while (items.hasNext()) {
        Item i = items.next();
        TensorPlan t = i.tensorOf(plans);
        if (t != current) {
          // The previous tensor's partials are complete for this partition (its items are
          // contiguous): shrink them now rather than hold full histograms for every tensor.
          adoptShared(adopting, partials);
          partials.values().forEach(Statistics::compact);
          current = t;
          reader = new TensorChunkReader(t, inputs, blockElements, buffers);
        }
        List<Statistics> fed = new ArrayList<>();
        Map<Object, String> byPassKey = new HashMap<>();
        for (String id : i.states) {
          if (states.containsKey(id)) { // still in progress (the others are finished)
            Statistics partial = partials.computeIfAbsent(id, n -> states.get(n).newPartial());
            Object passKey = states.get(id).passKey();
            String computing = passKey == null ? null : byPassKey.putIfAbsent(passKey, id);
            if (computing == null) {
              fed.add(partial);
            } else {
              adopting.put(id, computing); // e.g. another density's first histogram pass
            }
          }
        }
        // The item's chunk, read in cache-sized blocks (both sizes are multiples of the kernel's
        // alignment, so every block starts where the kernel allows).
        long chunkStep = TensorChunkReader.step(t, chunkElements);
        long from = i.chunk * chunkStep;
        long to = Math.min(t.numel(), from + chunkStep);
        for (long s = from; s < to; s += reader.step()) {
          Chunk block = reader.readRange(s, (int) Math.min(reader.step(), to - s), true);
          for (Statistics partial : fed) {
            partial.accumulate(block);
          }
        }
      }
    }
    adoptShared(adopting, partials);
    List<Tuple2<String, Statistics>> out = new ArrayList<>();
    partials.forEach((k, v) -> {
      v.compact(); // sparse histograms: a merge of N adapters ships N selectors per tensor
      out.add(new Tuple2<>(k, v));
    });
    return out.iterator();
  }

  /** Gives each statistics that shared another's pass a copy of that one's partial. */
  private static void adoptShared(Map<String, String> adopting, Map<String, Statistics> partials) {
    adopting.forEach((id, computing) -> partials.get(id).adoptPass(partials.get(computing)));
    adopting.clear();
  }
}
