package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.ByteSizes;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.config.GridCandidate;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.engine.AdapterOutputJob;
import dev.sparkmerge.engine.EvalSubject;
import dev.sparkmerge.engine.Evaluation;
import dev.sparkmerge.engine.GridJob;
import dev.sparkmerge.engine.GridScores;
import dev.sparkmerge.engine.Leaderboard;
import dev.sparkmerge.engine.ReportTables;
import dev.sparkmerge.engine.StatsTable;
import dev.sparkmerge.engine.MergeJob;
import dev.sparkmerge.engine.SparkContexts;
import dev.sparkmerge.lora.AdapterCombiner;
import dev.sparkmerge.plan.MemoryEstimate;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.MergePlanner;
import dev.sparkmerge.plan.PlanOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sparkmerge run CONFIG OUTPUT}: the mergekit-yaml equivalent, on Spark. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Merge the models a mergekit YAML config describes into OUTPUT (a Hugging Face"
        + " model directory). Runs on an embedded Spark (local[*]) unless a master is given or"
        + " the command runs under spark-submit.",
        "CONFIG and OUTPUT may be local paths or any Hadoop URI (hdfs://, s3a://)."})
final class RunCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "CONFIG", description = "mergekit-style YAML config.")
  String config;

  @Parameters(index = "1", paramLabel = "OUTPUT", description = "Output model directory.")
  String output;

  @Option(names = "--chunk-size", paramLabel = "SIZE", converter = ByteSize.class,
      defaultValue = "16MiB", description = "float32 working set decoded per input at once"
          + " (default: ${DEFAULT-VALUE}). Task memory ≈ chunk × (inputs + 2).")
  long chunkBytes;

  @Option(names = "--max-shard-size", paramLabel = "SIZE", converter = ByteSize.class,
      description = "Pack or split output shards to at most SIZE bytes (5GB, 500MiB, ...)."
          + " Default: one shard per transformer layer.")
  Long maxShardBytes;

  @Option(names = "--resume", description = "Continue an interrupted merge into OUTPUT: shards"
      + " already written for the same config and inputs are kept.")
  boolean resume;

  @Option(names = "--overwrite", description = "Replace whatever OUTPUT holds.")
  boolean overwrite;

  @Option(names = {"-q", "--quiet"}, description = "No progress lines while shards are written.")
  boolean quiet;

  @Mixin
  SparkOptions sparkOptions = new SparkOptions();

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (resume && overwrite) {
      throw new UserInputException("--resume keeps finished shards and --overwrite deletes them;"
          + " give one of them.");
    }
    CheckpointFs fs = sparkOptions.fileSystems();
    PlanOptions options = new PlanOptions(chunkBytes, maxShardBytes == null ? 0 : maxShardBytes);
    List<GridCandidate> candidates = JobLoading.loadCandidates(fs, config);
    // Task files are read and select.metric checked before anything is merged.
    List<JobSpec> specs = new ArrayList<>();
    candidates.forEach(c -> specs.add(c.spec()));
    boolean anyEvaluation = specs.stream().anyMatch(j -> j.evaluation() != null);
    Evaluation evaluation = anyEvaluation ? Evaluation.prepare(fs, specs) : null;
    if (evaluation != null) {
      evaluation.checkInputs(fs, specs);
    }
    Map<String, String> conf = sparkOptions.sessionConf();
    // Statistics feed the report's per-layer charts (a grid always collects them).
    MergeJob.Options jobOptions = new MergeJob.Options(resume, overwrite, quiet ? null : out,
        true);
    if (JobLoading.isGrid(candidates)) {
      return runGrid(fs, candidates, options, conf, jobOptions, evaluation, out);
    }
    if (candidates.get(0).spec().output().isAdapter()) {
      AdapterCombiner.Result r;
      try (SparkContexts.Session spark = SparkContexts.session("sparkmerge " + config, conf)) {
        JobSpec spec = candidates.get(0).spec();
        r = AdapterOutputJob.run(spark.context(), fs, spec, output, overwrite);
        ReportTables.write(spark.context(), fs, output, spec);
        if (evaluation != null) {
          // The combined adapter is scored on the base it was made for.
          EvalSubject merged = new EvalSubject(output, EvalSubject.Role.MODEL,
              fs.resolve(spec.baseModel().path()).toString(), fs.resolve(output).toString());
          evaluate(spark, fs, evaluation, spec, merged, out);
          ReportTables.write(spark.context(), fs, output, spec);
        }
      }
      double worst = r.energyKept.values().stream().mapToDouble(Double::doubleValue).min()
          .orElse(1);
      out.println("Wrote one adapter of rank " + r.rank + " over " + r.modules + " module(s) to "
          + output + (worst < 1 ? String.format(" (%s kept at least %.4f of every module's"
              + " energy; see combine-report.json)", reduction(r), worst) : ""));
      return 0;
    }
    MergePlan plan = MergePlanner.plan(candidates.get(0).spec(), fs, options);
    out.println("Planned " + plan.tensors().size() + " tensors in " + plan.shards().size()
        + " shard(s): read " + ByteSizes.human(plan.bytesRead()) + ", write "
        + ByteSizes.human(plan.bytesWritten()) + ", about "
        + ByteSizes.human(MemoryEstimate.perTask(plan)) + " per task.");
    plan.warnings().forEach(w -> out.println("warning: " + w));
    out.flush();
    try (SparkContexts.Session spark = SparkContexts.session("sparkmerge " + config, conf)) {
      MergeJob.Outcome o = MergeJob.run(spark.context(), plan, output, jobOptions);
      if (o.alreadyComplete) {
        out.println(output + " is already complete for this config; nothing to do.");
      } else {
        out.println("Wrote " + o.shardsWritten + " shard(s)"
            + (o.shardsReused > 0 ? " (kept " + o.shardsReused + " from an earlier run)" : "")
            + ", " + ByteSizes.human(o.bytesWritten) + ", to " + output);
      }
      StatsTable.writeForModel(spark.context(), output, plan.job(), o.tensorStats);
      ReportTables.write(spark.context(), fs, output, plan.job());
      if (evaluation != null) {
        EvalSubject merged = new EvalSubject(output, EvalSubject.Role.MODEL,
            fs.resolve(output).toString(), null);
        evaluate(spark, fs, evaluation, candidates.get(0).spec(), merged, out);
        ReportTables.write(spark.context(), fs, output, plan.job());
      }
    }
    out.println("Report: " + output + "/" + ReportTables.REPORT);
    return 0;
  }

  /** Scores the committed output (and its inputs) into OUTPUT/eval.json; prints the table. */
  private void evaluate(SparkContexts.Session spark, CheckpointFs fs, Evaluation evaluation,
      JobSpec spec, EvalSubject merged, PrintWriter out) {
    List<EvalSubject> inputs = spec.evaluation().includeInputs()
        ? Evaluation.inputs(fs, List.of(spec)) : List.of();
    Leaderboard board = evaluation.run(spark.context(), fs, fs.resolve(output),
        Map.of(merged, spec.configHash()), inputs, resume, out);
    LeaderboardTable.print(board, out);
    out.println("Scores in " + output + "/" + Evaluation.EVAL_JSON);
  }

  /** K candidates into OUTPUT/<id>/ plus OUTPUT/candidates.json; exit 1 if any failed. */
  private int runGrid(CheckpointFs fs, List<GridCandidate> candidates, PlanOptions options,
      Map<String, String> conf, MergeJob.Options jobOptions, Evaluation evaluation,
      PrintWriter out) {
    for (GridCandidate c : candidates) {
      if (c.spec().output().isAdapter()) {
        throw new UserInputException("candidate " + c.id() + ": 'output: adapter' is not"
            + " supported in grids yet; run each adapter combination as its own config.");
      }
    }
    List<MergePlan> plans = JobLoading.planAll(fs, candidates, options);
    long read = 0;
    for (MergePlan p : plans) {
      read = Math.max(read, p.bytesRead());
    }
    out.println("Planned a grid of " + candidates.size() + " candidate(s); inputs shared by"
        + " candidates are read once (up to " + ByteSizes.human(read) + " per pass).");
    out.flush();
    try (SparkContexts.Session spark = SparkContexts.session("sparkmerge grid " + config, conf)) {
      GridJob.Result r = GridJob.run(spark.context(), candidates, plans, output, jobOptions, out);
      out.println("Grid done: " + r.complete + " written, " + r.reused + " already complete, "
          + r.failed + " failed; see " + output + "/" + GridJob.CANDIDATES);
      ReportTables.write(spark.context(), fs, output, candidates.get(0).spec());
      if (evaluation != null) {
        evaluateGrid(spark, fs, candidates, r, evaluation, out);
        ReportTables.write(spark.context(), fs, output, candidates.get(0).spec());
      }
      out.println("Report: " + output + "/" + ReportTables.REPORT);
      return r.failed > 0 ? 1 : 0;
    }
  }

  /** Scores every written candidate (and the inputs), ranks them, writes best.json. */
  private void evaluateGrid(SparkContexts.Session spark, CheckpointFs fs,
      List<GridCandidate> candidates, GridJob.Result r, Evaluation evaluation, PrintWriter out) {
    Path root = fs.resolve(output);
    Map<EvalSubject, String> models = new LinkedHashMap<>();
    List<JobSpec> specs = new ArrayList<>();
    for (int k = 0; k < candidates.size(); k++) {
      GridCandidate c = candidates.get(k);
      specs.add(c.spec());
      if (!r.statuses.get(k).equals("failed")) {
        models.put(new EvalSubject(c.id(), EvalSubject.Role.CANDIDATE,
            new Path(root, c.id()).toString(), null), c.spec().configHash());
      }
    }
    List<EvalSubject> inputs = candidates.get(0).spec().evaluation().includeInputs()
        ? Evaluation.inputs(fs, specs) : List.of();
    Leaderboard board = evaluation.run(spark.context(), fs, root, models, inputs, resume, out);
    GridScores.write(spark.context(), fs, root, board);
    LeaderboardTable.print(board, out);
    if (board.winner() != null) {
      out.println("Winner written to " + output + "/" + GridScores.BEST);
    }
  }

  /** Which SVD wrote the factors, for the one-line summary. */
  private static String reduction(AdapterCombiner.Result r) {
    if (!r.approximate) {
      return "svd";
    }
    return r.randomized.size() == r.modules ? "the randomised SVD"
        : "svd (randomised for " + r.randomized.size() + " of " + r.modules + " modules)";
  }
}
