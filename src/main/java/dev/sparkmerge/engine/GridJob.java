package dev.sparkmerge.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.config.GridCandidate;
import dev.sparkmerge.plan.InputRef;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.ShardPlan;
import dev.sparkmerge.plan.TensorPlan;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Runs the K candidates of a grid search into {@code OUTPUT/<id>/}, each a complete model
 * directory, and writes {@code OUTPUT/candidates.json}. Candidates whose shards read the same
 * inputs run together, so every input chunk is read once for all of them; candidates that differ
 * in what they read (another method's shape rules, other models) run as separate groups. When a
 * group fails, its candidates run again one at a time (keeping the shards the group finished), so
 * only candidates that fail on their own are recorded as failed. With --resume, candidates already
 * complete for the same config hash are kept without rewriting any of their files. Per-tensor
 * statistics of every candidate written go to a Parquet table under {@code OUTPUT/stats/}.
 */
public final class GridJob {
  public static final String CANDIDATES = "candidates.json";

  private GridJob() {}

  /** How the candidates ended. */
  public static final class Result {
    public final int complete;
    public final int reused;
    public final int failed;
    /** Per candidate, in order: complete, reused or failed. */
    public final List<String> statuses;

    Result(int complete, int reused, int failed, List<String> statuses) {
      this.complete = complete;
      this.reused = reused;
      this.failed = failed;
      this.statuses = List.copyOf(statuses);
    }
  }

  public static Result run(JavaSparkContext jsc, List<GridCandidate> candidates,
      List<MergePlan> plans, String output, MergeJob.Options opts, PrintWriter log) {
    CheckpointFs fs = new CheckpointFs(jsc.hadoopConfiguration());
    Path root = fs.resolve(output);
    OutputDir rootDir = new OutputDir(fs, root);
    if (rootDir.existsNonEmpty() && !opts.resume && !opts.overwrite) {
      throw new dev.sparkmerge.checkpoint.CheckpointException(root + ": the output directory"
          + " exists and is not empty. Choose a new directory, pass --resume to continue or"
          + " extend a grid there, or --overwrite to replace it.");
    }
    if (opts.overwrite && rootDir.existsNonEmpty()) {
      rootDir.deleteAll();
    }
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    for (int k = 0; k < plans.size(); k++) {
      groups.computeIfAbsent(signature(plans.get(k)), x -> new ArrayList<>()).add(k);
    }
    String[] status = new String[plans.size()];
    String[] error = new String[plans.size()];
    MergeJob.Options perCandidate = new MergeJob.Options(true, false, opts.progress, true);
    for (List<Integer> group : groups.values()) {
      try {
        runGroup(jsc, candidates, plans, root, group, perCandidate, status);
      } catch (RuntimeException e) {
        if (group.size() == 1) {
          failed(candidates, group.get(0), e, status, error, log);
          continue;
        }
        // One candidate's failure must not cost the others: run them one by one. Shards the
        // group finished are kept (resume), so only the unfinished ones are written again.
        log.println(group.size() + " candidates sharing their reads failed together ("
            + e.getMessage() + "); running them one at a time.");
        for (int k : group) {
          try {
            runGroup(jsc, candidates, plans, root, List.of(k), perCandidate, status);
          } catch (RuntimeException single) {
            failed(candidates, k, single, status, error, log);
          }
        }
      }
    }
    rootDir.createRoot();
    rootDir.writeText(new Path(root, CANDIDATES), candidatesJson(fs, root, candidates, status,
        error));
    int complete = 0;
    int reused = 0;
    int failed = 0;
    for (String s : status) {
      complete += s.equals("complete") ? 1 : 0;
      reused += s.equals("reused") ? 1 : 0;
      failed += s.equals("failed") ? 1 : 0;
    }
    return new Result(complete, reused, failed, java.util.Arrays.asList(status));
  }

  /** Runs candidates that read the same inputs in one job and records how each ended. */
  private static void runGroup(JavaSparkContext jsc, List<GridCandidate> candidates,
      List<MergePlan> plans, Path root, List<Integer> group, MergeJob.Options opts,
      String[] status) {
    List<MergePlan> groupPlans = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    for (int k : group) {
      groupPlans.add(plans.get(k));
      outputs.add(new Path(root, candidates.get(k).id()).toString());
    }
    List<MergeJob.Outcome> outcomes = MergeJob.runAll(jsc, groupPlans, outputs, opts);
    for (int j = 0; j < group.size(); j++) {
      MergeJob.Outcome o = outcomes.get(j);
      int k = group.get(j);
      status[k] = o.alreadyComplete ? "reused" : "complete";
      if (!o.alreadyComplete) {
        StatsTable.write(jsc, root.toString(), candidates.get(k), o.tensorStats);
      }
    }
  }

  private static void failed(List<GridCandidate> candidates, int k, RuntimeException e,
      String[] status, String[] error, PrintWriter log) {
    status[k] = "failed";
    error[k] = e.getMessage();
    log.println("candidate " + candidates.get(k).id() + " failed: " + e.getMessage());
  }

  /** Candidates with equal signatures read exactly the same bytes into the same shards. */
  static String signature(MergePlan plan) {
    StringBuilder sb = new StringBuilder();
    for (ShardPlan s : plan.shards()) {
      sb.append(s.fileName()).append('{');
      for (TensorPlan t : s.tensors()) {
        sb.append(t.name()).append(t.isRawCopy() ? "=copy" : "").append('(');
        sb.append(t.base() == null ? "-" : key(t.base()));
        for (InputRef in : t.models()) {
          sb.append(',').append(key(in));
        }
        sb.append(')');
      }
      sb.append('}');
    }
    return sb.toString();
  }

  private static String key(InputRef in) {
    return in.file() + "@" + in.dataStart() + "+" + in.stored().begin() + ":"
        + java.util.Arrays.toString(in.usedShape());
  }

  private static String candidatesJson(CheckpointFs fs, Path root, List<GridCandidate> candidates,
      String[] status, String[] error) {
    ObjectMapper json = new ObjectMapper();
    ArrayNode list = json.createArrayNode();
    for (int k = 0; k < candidates.size(); k++) {
      GridCandidate c = candidates.get(k);
      ObjectNode o = list.addObject();
      o.put("id", c.id());
      ObjectNode values = o.putObject("values");
      c.values().forEach(values::put);
      o.put("path", c.id());
      o.put("status", status[k]);
      o.put("config_hash", c.spec().configHash());
      o.put("merge_method", c.spec().mergeMethod());
      if (error[k] != null) {
        o.put("error", error[k]);
      }
      ArrayNode shards = o.putArray("shards");
      if (!status[k].equals("failed")) {
        Path manifest = new Path(new Path(root, c.id()), Committer.MANIFEST);
        try {
          ObjectNode m = (ObjectNode) json.readTree(fs.readSmallFile(manifest, "manifest",
              16 << 20));
          m.path("shards").forEach(s -> {
            ObjectNode e = shards.addObject();
            e.put("file", s.path("file").asText());
            e.put("length", s.path("length").asLong());
            e.put("sha256", s.path("sha256").asText());
          });
        } catch (java.io.IOException e) {
          o.put("error", "cannot read " + manifest + ": " + e.getMessage());
        }
      }
    }
    return list.toPrettyString() + "\n";
  }
}
