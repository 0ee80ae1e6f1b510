package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.method.Statistics;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.ShardPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Runs a planned merge on Spark: the statistics stage computes whole-tensor statistics of large
 * tensors across executors, then one task per output shard writes its file and manifest, then the
 * driver commits. With {@code resume}, shards an earlier run finished for the same plan are kept
 * and only the rest are written.
 */
public final class MergeJob {
  private MergeJob() {}

  /** What happened, for the CLI to report. */
  public static final class Outcome {
    public final int shardsWritten;
    public final int shardsReused;
    public final long bytesWritten;
    public final boolean alreadyComplete;
    /** Statistics of the tensors written in this run (collected only when asked for). */
    public final List<TensorStats> tensorStats;

    Outcome(int written, int reused, long bytes, boolean alreadyComplete,
        List<TensorStats> tensorStats) {
      this.shardsWritten = written;
      this.shardsReused = reused;
      this.bytesWritten = bytes;
      this.alreadyComplete = alreadyComplete;
      this.tensorStats = List.copyOf(tensorStats);
    }
  }

  /**
   * @param output the output directory (any Hadoop URI)
   * @param resume keep finished shards of an earlier run of the same plan
   */
  public static Outcome run(JavaSparkContext jsc, MergePlan plan, String output, boolean resume) {
    return run(jsc, plan, output, new Options(resume, false, null));
  }

  /** How to treat an existing output, and where progress goes. */
  public static final class Options {
    final boolean resume;
    final boolean overwrite;
    final java.io.PrintWriter progress;
    final boolean collectStats;

    /**
     * @param resume keep finished shards of an earlier run of the same plan
     * @param overwrite delete whatever OUTPUT holds first
     * @param progress where progress lines go, or null for none
     */
    public Options(boolean resume, boolean overwrite, java.io.PrintWriter progress) {
      this(resume, overwrite, progress, false);
    }

    /** As above; with collectStats, write tasks also return per-tensor statistics. */
    public Options(boolean resume, boolean overwrite, java.io.PrintWriter progress,
        boolean collectStats) {
      if (resume && overwrite) {
        throw new IllegalArgumentException("--resume and --overwrite exclude each other");
      }
      this.resume = resume;
      this.overwrite = overwrite;
      this.progress = progress;
      this.collectStats = collectStats;
    }
  }

  public static Outcome run(JavaSparkContext jsc, MergePlan plan, String output, Options opts) {
    return runAll(jsc, List.of(plan), List.of(output), opts).get(0);
  }

  /** One output directory being prepared, written and committed. */
  private static final class Output {
    final MergePlan plan;
    final OutputDir dir;
    final Map<String, ShardResult> finished;
    final boolean alreadyComplete;

    Output(MergePlan plan, OutputDir dir, Map<String, ShardResult> finished,
        boolean alreadyComplete) {
      this.plan = plan;
      this.dir = dir;
      this.finished = finished;
      this.alreadyComplete = alreadyComplete;
    }

    boolean pending(int shard) {
      return !alreadyComplete && !finished.containsKey(plan.shards().get(shard).fileName());
    }
  }

  /**
   * Runs several merges whose shards read the same inputs (grid candidates; see
   * {@link ShardWriter#write(List, List)}) in one pass: task i writes shard i of every output
   * that still needs it. One plan is an ordinary merge.
   */
  public static List<Outcome> runAll(JavaSparkContext jsc, List<MergePlan> plans,
      List<String> outputs, Options opts) {
    Configuration hadoopConf = jsc.hadoopConfiguration();
    CheckpointFs fs = new CheckpointFs(hadoopConf);
    List<Output> prepared = new ArrayList<>();
    for (int k = 0; k < plans.size(); k++) {
      prepared.add(prepare(plans.get(k), new OutputDir(fs, fs.resolve(outputs.get(k))), opts));
    }
    List<Integer> shards = new ArrayList<>();
    for (int i = 0; i < plans.get(0).shards().size(); i++) {
      for (Output o : prepared) {
        if (o.pending(i)) {
          shards.add(i);
          break;
        }
      }
    }
    List<List<ShardResult>> written = shards.isEmpty() ? List.of()
        : writeShards(jsc, prepared, shards, hadoopConf, opts.progress, opts.collectStats);
    List<Outcome> outcomes = new ArrayList<>();
    for (int k = 0; k < prepared.size(); k++) {
      Output o = prepared.get(k);
      if (o.alreadyComplete) {
        outcomes.add(new Outcome(0, o.finished.size(), 0, true, List.of()));
        continue;
      }
      List<ShardResult> results = new ArrayList<>(o.finished.values());
      List<TensorStats> stats = new ArrayList<>();
      long bytes = 0;
      for (List<ShardResult> perShard : written) {
        ShardResult r = perShard.get(k);
        if (r != null) {
          results.add(r);
          stats.addAll(r.tensorStats());
          bytes += r.length();
        }
      }
      Committer.commit(o.dir, o.plan, results);
      outcomes.add(new Outcome(results.size() - o.finished.size(), o.finished.size(), bytes,
          false, stats));
    }
    return outcomes;
  }

  /** Applies --overwrite / --resume to an output directory and finds its finished shards. */
  private static Output prepare(MergePlan plan, OutputDir out, Options opts) {
    Map<String, String> fingerprints = new HashMap<>();
    Map<String, Long> lengths = new HashMap<>();
    for (ShardPlan s : plan.shards()) {
      fingerprints.put(s.fileName(), plan.fingerprint(s.fileName()));
      lengths.put(s.fileName(), s.fileLength());
    }
    Map<String, ShardResult> finished = new HashMap<>();
    if (out.existsNonEmpty() && opts.overwrite) {
      out.deleteAll();
    }
    if (out.existsNonEmpty()) {
      if (!opts.resume) {
        throw new CheckpointException(out.root() + ": the output directory exists and is not"
            + " empty. Choose a new directory, pass --resume to continue a merge of the same"
            + " config there, or --overwrite to replace it.");
      }
      finished = out.finishedShards(fingerprints, lengths);
      if (out.isComplete() && finished.size() == plan.shards().size()) {
        return new Output(plan, out, finished, true);
      }
      out.delete(OutputDir.SUCCESS);
    }
    out.create();
    return new Output(plan, out, finished, false);
  }

  /** Per written shard index (in order), the result for each output (null where not written). */
  private static List<List<ShardResult>> writeShards(JavaSparkContext jsc, List<Output> outputs,
      List<Integer> shards, Configuration hadoopConf, java.io.PrintWriter progressOut,
      boolean collectStats) {
    List<MergePlan> plans = new ArrayList<>();
    List<String> roots = new ArrayList<>();
    List<boolean[]> pendingByOutput = new ArrayList<>();
    long total = 0;
    for (Output o : outputs) {
      plans.add(o.plan);
      roots.add(o.dir.root().toString());
      boolean[] pending = new boolean[o.plan.shards().size()];
      for (int i : shards) {
        pending[i] = o.pending(i);
        total += pending[i] ? o.plan.shards().get(i).fileLength() : 0;
      }
      pendingByOutput.add(pending);
    }
    Broadcast<List<MergePlan>> plansB = jsc.broadcast(plans);
    Broadcast<SerializableConfiguration> confB =
        jsc.broadcast(new SerializableConfiguration(hadoopConf));
    LongAccumulator bytes = jsc.sc().longAccumulator("sparkmerge bytes written");
    ProgressReporter progress = progressOut == null ? null
        : new ProgressReporter(bytes, shards.size(), total, progressOut, 5_000);
    if (progress != null) {
      jsc.sc().addSparkListener(progress);
    }
    try {
      // Statistics of large tensors across executors, one computation per distinct need.
      List<Map<String, Statistics>> stats = StatsStage.compute(jsc, plansB, confB, shards);
      Broadcast<List<Map<String, Statistics>>> statsB = jsc.broadcast(stats);
      jsc.setJobDescription("sparkmerge: write " + shards.size() + " shard(s) of "
          + plans.size() + " output(s)");
      // One partition per shard index: every output file has exactly one writer per attempt.
      // Partitions run in order, so the largest shards go first: last, one could run alone
      // while the other cores idle. The results are put back in shard order.
      List<Integer> order = largestFirst(outputs, shards);
      List<List<ShardResult>> written = jsc.parallelize(order, order.size())
          .map(i -> writeShard(plansB.value(), pendingByOutput, i, roots,
              confB.value().value(), statsB.value(), collectStats, bytes::add))
          .collect();
      Map<Integer, List<ShardResult>> byShard = new HashMap<>();
      for (int j = 0; j < order.size(); j++) {
        byShard.put(order.get(j), written.get(j));
      }
      List<List<ShardResult>> inShardOrder = new ArrayList<>();
      for (int i : shards) {
        inShardOrder.add(byShard.get(i));
      }
      return inShardOrder;
    } finally {
      if (progress != null) {
        progress.close();
        jsc.sc().removeSparkListener(progress);
      }
    }
  }

  /** The shards by decreasing bytes to read for the outputs that need them; ties by index. */
  private static List<Integer> largestFirst(List<Output> outputs, List<Integer> shards) {
    Map<Integer, Long> work = new HashMap<>();
    for (int i : shards) {
      long bytes = 0;
      for (Output o : outputs) {
        bytes += o.pending(i) ? o.plan.shards().get(i).bytesRead() : 0;
      }
      work.put(i, bytes);
    }
    List<Integer> order = new ArrayList<>(shards);
    order.sort(Comparator.comparingLong((Integer i) -> -work.get(i))
        .thenComparingInt(i -> i));
    return order;
  }

  /** The body of a write task: shard {@code index} of every output that still needs it. */
  static List<ShardResult> writeShard(List<MergePlan> plans, List<boolean[]> pending, int index,
      List<String> roots, Configuration conf, List<Map<String, Statistics>> statistics,
      boolean collectStats, java.util.function.LongConsumer bytesWritten) {
    CheckpointFs fs = new CheckpointFs(conf);
    List<ShardPlan> shards = new ArrayList<>();
    List<Path> targets = new ArrayList<>();
    List<Integer> which = new ArrayList<>();
    for (int k = 0; k < plans.size(); k++) {
      if (pending.get(k)[index]) {
        ShardPlan shard = plans.get(k).shards().get(index);
        shards.add(shard);
        targets.add(new OutputDir(fs, new Path(roots.get(k))).file(shard.fileName()));
        which.add(k);
      }
    }
    List<Map<String, Statistics>> precomputed = new ArrayList<>();
    for (int k : which) {
      precomputed.add(statistics.get(k));
    }
    List<ShardResult> written = new ShardWriter(fs, plans.get(0).options().blockElements(),
        precomputed, bytesWritten).collectingStats(collectStats).write(shards, targets);
    List<ShardResult> byOutput = new ArrayList<>(java.util.Collections.nCopies(plans.size(),
        (ShardResult) null));
    for (int j = 0; j < which.size(); j++) {
      int k = which.get(j);
      ShardResult r = written.get(j);
      new OutputDir(fs, new Path(roots.get(k))).writeManifest(r,
          plans.get(k).fingerprint(r.fileName()));
      byOutput.set(k, r);
    }
    return byOutput;
  }
}
