package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.method.Statistics;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.ShardPlan;
import java.util.ArrayList;
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

    Outcome(int written, int reused, long bytes, boolean alreadyComplete) {
      this.shardsWritten = written;
      this.shardsReused = reused;
      this.bytesWritten = bytes;
      this.alreadyComplete = alreadyComplete;
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

    /**
     * @param resume keep finished shards of an earlier run of the same plan
     * @param overwrite delete whatever OUTPUT holds first
     * @param progress where progress lines go, or null for none
     */
    public Options(boolean resume, boolean overwrite, java.io.PrintWriter progress) {
      if (resume && overwrite) {
        throw new IllegalArgumentException("--resume and --overwrite exclude each other");
      }
      this.resume = resume;
      this.overwrite = overwrite;
      this.progress = progress;
    }
  }

  public static Outcome run(JavaSparkContext jsc, MergePlan plan, String output, Options opts) {
    Configuration hadoopConf = jsc.hadoopConfiguration();
    CheckpointFs fs = new CheckpointFs(hadoopConf);
    OutputDir out = new OutputDir(fs, fs.resolve(output));
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
        return new Outcome(0, finished.size(), 0, true);
      }
      out.delete(OutputDir.SUCCESS);
    }
    out.create();
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < plan.shards().size(); i++) {
      if (!finished.containsKey(plan.shards().get(i).fileName())) {
        pending.add(i);
      }
    }
    List<ShardResult> results = new ArrayList<>(finished.values());
    if (!pending.isEmpty()) {
      results.addAll(writeShards(jsc, plan, out.root().toString(), pending, hadoopConf,
          opts.progress));
    }
    Committer.commit(out, plan, results);
    long bytes = 0;
    for (ShardResult r : results) {
      bytes += r.reused() ? 0 : r.length();
    }
    return new Outcome(pending.size(), finished.size(), bytes, false);
  }

  private static List<ShardResult> writeShards(JavaSparkContext jsc, MergePlan plan,
      String outRoot, List<Integer> pending, Configuration hadoopConf,
      java.io.PrintWriter progressOut) {
    Broadcast<MergePlan> planB = jsc.broadcast(plan);
    Broadcast<SerializableConfiguration> confB =
        jsc.broadcast(new SerializableConfiguration(hadoopConf));
    LongAccumulator bytes = jsc.sc().longAccumulator("sparkmerge bytes written");
    long total = 0;
    for (int i : pending) {
      total += plan.shards().get(i).fileLength();
    }
    ProgressReporter progress = progressOut == null ? null
        : new ProgressReporter(bytes, pending.size(), total, progressOut, 5_000);
    if (progress != null) {
      jsc.sc().addSparkListener(progress);
    }
    try {
      Broadcast<Map<String, Statistics>> statsB =
          jsc.broadcast(StatsStage.compute(jsc, planB, confB, pending));
      jsc.setJobDescription("sparkmerge: write " + pending.size() + " shard(s)");
      // One partition per shard: every output file has exactly one writer per attempt.
      return jsc.parallelize(pending, pending.size())
          .map(i -> writeShard(planB.value(), i, outRoot, confB.value().value(), statsB.value(),
              bytes::add))
          .collect();
    } finally {
      if (progress != null) {
        progress.close();
        jsc.sc().removeSparkListener(progress);
      }
    }
  }

  /** The body of a write task. */
  static ShardResult writeShard(MergePlan plan, int index, String outRoot, Configuration conf,
      Map<String, Statistics> statistics, java.util.function.LongConsumer bytesWritten) {
    CheckpointFs fs = new CheckpointFs(conf);
    ShardPlan shard = plan.shards().get(index);
    OutputDir out = new OutputDir(fs, new Path(outRoot));
    ShardResult r = new ShardWriter(fs, plan.options().chunkElements(), statistics, bytesWritten)
        .write(shard, out.file(shard.fileName()));
    out.writeManifest(r, plan.fingerprint(shard.fileName()));
    return r;
  }
}
