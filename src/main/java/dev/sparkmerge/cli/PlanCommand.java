package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.ByteSizes;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.config.GridCandidate;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.config.ModelRef;
import dev.sparkmerge.engine.Evaluation;
import dev.sparkmerge.eval.model.EvalMemory;
import dev.sparkmerge.eval.task.Task;
import dev.sparkmerge.eval.task.TaskSet;
import dev.sparkmerge.plan.InputRef;
import dev.sparkmerge.plan.MemoryEstimate;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.MergePlanner;
import dev.sparkmerge.plan.PlanOptions;
import dev.sparkmerge.plan.ShardPlan;
import dev.sparkmerge.plan.TensorPlan;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sparkmerge plan CONFIG}: what {@code run} would do, without running it. */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Validate a config and show the merge it describes: output tensors and shards,"
        + " bytes to read and write, the statistics work, and memory per task. Reads headers"
        + " only; exits 1 listing every problem if the config or inputs are wrong.")
final class PlanCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "CONFIG", description = "mergekit-style YAML config.")
  String config;

  @Option(names = "--chunk-size", paramLabel = "SIZE", converter = ByteSize.class,
      defaultValue = "16MiB", description = "As for run (default: ${DEFAULT-VALUE}).")
  long chunkBytes;

  @Option(names = "--max-shard-size", paramLabel = "SIZE", converter = ByteSize.class,
      description = "As for run.")
  Long maxShardBytes;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Spark setting; the"
      + " spark.hadoop.* ones configure file systems (credentials, endpoints) as for run.")
  Map<String, String> sparkConf = new java.util.LinkedHashMap<>();

  @Option(names = {"-v", "--verbose"}, description = "Also show every tensor's inputs and"
      + " resolved parameters (to check gradients and filters).")
  boolean verbose;

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PlanOptions options = new PlanOptions(chunkBytes, maxShardBytes == null ? 0 : maxShardBytes);
    CheckpointFs fs = new CheckpointFs(HadoopConf.from(sparkConf));
    List<GridCandidate> candidates = JobLoading.loadCandidates(fs, config);
    if (candidates.get(0).spec().output().isAdapter()) {
      out.println("output: one PEFT adapter (" + candidates.get(0).spec().output().combination()
          + ") combining " + (candidates.get(0).spec().slices().get(0).sources().size() - 1)
          + " adapter(s); factors only, no model is read.");
      out.flush();
      return 0;
    }
    if (JobLoading.isGrid(candidates)) {
      List<MergePlan> plans = JobLoading.planAll(fs, candidates, options);
      for (int i = 0; i < plans.size(); i++) {
        MergePlan p = plans.get(i);
        out.println(String.format("candidate %-36s %s: %d tensors in %d shard(s), write %s",
            candidates.get(i).id(), p.job().mergeMethod(), p.tensors().size(),
            p.shards().size(), ByteSizes.human(p.bytesWritten())));
      }
      out.println(candidates.size() + " candidate(s); inputs shared by candidates are read once;"
          + " memory per task: about " + ByteSizes.human(
              MemoryEstimate.perTask(plans.get(0)) * candidates.size()));
      printEvaluation(out, fs, candidates.get(0).spec());
      out.flush();
      return 0;
    }
    MergePlan plan = MergePlanner.plan(candidates.get(0).spec(), fs, options);
    out.println("merge_method: " + plan.job().mergeMethod());
    out.println("inputs: " + String.join(", ", plan.inputModels()));
    out.println("config/tokenizer donor: " + plan.donor());
    out.println("output: " + plan.tensors().size() + " tensors in " + plan.shards().size()
        + " shard(s)");
    for (ShardPlan s : plan.shards()) {
      out.println(String.format("  %-36s %5d tensors %12s", s.fileName(), s.tensors().size(),
          ByteSizes.human(s.fileLength())));
    }
    long statsTensors = 0;
    long statsBytes = 0;
    for (TensorPlan t : plan.tensors()) {
      if (t.kernel() != null && t.kernel().initialStatistics() != null) {
        statsTensors++;
        statsBytes += t.bytesRead();
      }
    }
    out.println("read: " + ByteSizes.human(plan.bytesRead()) + "; write: "
        + ByteSizes.human(plan.bytesWritten()));
    out.println("statistics: " + statsTensors + " tensor(s) need whole-tensor statistics, reading "
        + ByteSizes.human(statsBytes) + " per statistics pass");
    out.println("memory per task: about " + ByteSizes.human(MemoryEstimate.perTask(plan))
        + " (chunk " + ByteSizes.human(options.chunkBytes()) + ")");
    for (String w : plan.warnings()) {
      out.println("warning: " + w);
    }
    printEvaluation(out, fs, plan.job());
    if (verbose) {
      for (TensorPlan t : plan.tensors()) {
        printTensor(out, t);
      }
    }
    out.flush();
    return 0;
  }

  /** With evaluate: the task files and what an evaluating executor holds in memory. */
  private static void printEvaluation(PrintWriter out, CheckpointFs fs, JobSpec job) {
    if (job.evaluation() == null) {
      return;
    }
    TaskSet tasks = Evaluation.prepare(fs, job).tasks();
    int examples = 0;
    for (Task t : tasks.tasks()) {
      examples += t.examples().size();
    }
    ModelRef model = job.baseModel() != null ? job.baseModel()
        : job.slices().get(0).sources().get(0).model();
    HfModel hf = HfModel.open(fs, model.path());
    if (hf.config() == null) {
      throw new UserInputException(model.path() + ": no config.json; evaluation needs the"
          + " model's architecture.");
    }
    String source = hf.root().toString();
    out.println("evaluation: " + tasks.tasks().size() + " task(s), " + examples + " examples per"
        + " model; an executor holds one model at a time: about " + ByteSizes.human(
            EvalMemory.weightBytes(hf.config().tree(), source)) + " of float32 weights, plus"
        + " about " + ByteSizes.human(EvalMemory.sequenceBytes(hf.config().tree(), source,
            job.evaluation().context())) + " per running task");
  }

  private static void printTensor(PrintWriter out, TensorPlan t) {
    out.println(t.name() + " " + t.outDtype() + Arrays.toString(t.shape()) + "  t=" + fmt(t.t())
        + (t.isRawCopy() ? "  (copied)" : ""));
    if (!t.parameters().global().isEmpty()) {
      out.println("    global: " + t.parameters().global());
    }
    if (t.base() != null) {
      out.println("    base: " + t.base());
    }
    List<InputRef> models = t.models();
    for (int i = 0; i < models.size(); i++) {
      Map<String, Object> p = t.parameters().perModel().get(i);
      out.println("    " + t.modelLabels().get(i) + ": " + p + "  <- " + models.get(i).stored()
          .name());
    }
  }

  private static String fmt(double d) {
    return String.format("%.6g", d);
  }
}
