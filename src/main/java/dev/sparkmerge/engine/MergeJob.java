package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
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
import org.apache.spark.util.SerializableConfiguration;

/**
 * Runs a planned merge on Spark: one task per output shard writes its file and manifest, then the
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
    if (out.existsNonEmpty()) {
      if (!resume) {
        throw new CheckpointException(out.root() + ": the output directory exists and is not"
            + " empty. Choose a new directory, or pass --resume to continue a merge of the same"
            + " config there.");
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
      results.addAll(writeShards(jsc, plan, out.root().toString(), pending, hadoopConf));
    }
    Committer.commit(out, plan, results);
    long bytes = 0;
    for (ShardResult r : results) {
      bytes += r.reused() ? 0 : r.length();
    }
    return new Outcome(pending.size(), finished.size(), bytes, false);
  }

  private static List<ShardResult> writeShards(JavaSparkContext jsc, MergePlan plan,
      String outRoot, List<Integer> pending, Configuration hadoopConf) {
    Broadcast<MergePlan> planB = jsc.broadcast(plan);
    Broadcast<SerializableConfiguration> confB =
        jsc.broadcast(new SerializableConfiguration(hadoopConf));
    jsc.setJobDescription("sparkmerge: write " + pending.size() + " shard(s)");
    // One partition per shard: every output file has exactly one writer per attempt.
    return jsc.parallelize(pending, pending.size())
        .map(i -> writeShard(planB.value(), i, outRoot, confB.value().value()))
        .collect();
  }

  /** The body of a write task. */
  static ShardResult writeShard(MergePlan plan, int index, String outRoot, Configuration conf) {
    CheckpointFs fs = new CheckpointFs(conf);
    ShardPlan shard = plan.shards().get(index);
    OutputDir out = new OutputDir(fs, new Path(outRoot));
    ShardResult r = new ShardWriter(fs, plan.options().chunkElements())
        .write(shard, out.file(shard.fileName()));
    out.writeManifest(r, plan.fingerprint(shard.fileName()));
    return r;
  }
}
