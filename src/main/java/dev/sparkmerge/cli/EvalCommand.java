package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.engine.EvalJob;
import dev.sparkmerge.engine.EvalSubject;
import dev.sparkmerge.engine.SparkContexts;
import dev.sparkmerge.eval.task.EvalJson;
import dev.sparkmerge.eval.task.ModelScores;
import dev.sparkmerge.eval.task.ScoringOptions;
import dev.sparkmerge.eval.task.TaskScore;
import dev.sparkmerge.eval.task.TaskSet;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sparkmerge eval MODEL... --tasks PATH}: scores models on task files, in Spark tasks. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Score causal language models on JSONL task files: loss and perplexity,"
        + " exact match by greedy decoding, multiple-choice accuracy. Runs the float32 forward"
        + " pass in Spark tasks (embedded Spark unless a master is given).",
        "MODEL is a Hugging Face model directory (local path or Hadoop URI) or BASE+ADAPTER"
            + " (a PEFT LoRA adapter applied on the fly)."})
final class EvalCommand implements Callable<Integer> {
  @Parameters(arity = "1..*", paramLabel = "MODEL", description = "Models to score.")
  List<String> models;

  @Option(names = "--tasks", paramLabel = "PATH", required = true, description = "A .jsonl"
      + " task file or a folder of them (repeatable).")
  List<String> tasks;

  @Option(names = "--max-examples", paramLabel = "N", description = "Only the first N examples"
      + " of each task.")
  int maxExamples;

  @Option(names = "--context", paramLabel = "N", description = "Longest sequence fed to the"
      + " model (default: the model's own); longer texts are scored in windows.")
  int context;

  @Option(names = "--stop", paramLabel = "TEXT", defaultValue = "\n", description = "Where"
      + " greedy decoding stops for exact match (default: a newline).")
  String stop;

  @Option(names = "--json", description = "Print the scores as JSON only.")
  boolean json;

  @Mixin
  SparkOptions sparkOptions = new SparkOptions();

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter log = json ? spec.commandLine().getErr() : out;
    if (maxExamples < 0 || context < 0 || context == 1) {
      throw new UserInputException("--max-examples must be >= 1 and --context >= 2.");
    }
    CheckpointFs fs = sparkOptions.fileSystems();
    TaskSet taskSet = TaskSet.load(fs, tasks, maxExamples);
    List<EvalSubject> subjects = new ArrayList<>();
    for (String m : models) {
      EvalSubject subject = subject(fs, m);
      EvalJob.check(fs, subject, taskSet); // every model's problems before any Spark work
      subjects.add(subject);
    }
    Map<String, String> conf = sparkOptions.sessionConf();
    List<EvalJob.Outcome> outcomes;
    try (SparkContexts.Session spark = SparkContexts.session("sparkmerge eval", conf)) {
      outcomes = EvalJob.run(spark.context(), subjects,
          new EvalJob.Settings(taskSet, new ScoringOptions(context, stop), null, 0), log);
    }
    List<ModelScores> scores = new ArrayList<>();
    for (EvalJob.Outcome o : outcomes) {
      if (o.failed()) {
        throw new UserInputException("evaluating " + o.subject.name() + ": " + o.error);
      }
      scores.add(o.scores);
    }
    if (json) {
      out.print(EvalJson.toJson(scores));
      out.flush();
    } else {
      printTable(scores, out);
    }
    return 0;
  }

  /** MODEL or BASE+ADAPTER, resolved to qualified URIs so executors read the same files. */
  private static EvalSubject subject(CheckpointFs fs, String model) {
    String[] parts = model.split("\\+", -1);
    if (parts.length > 2 || parts[0].isEmpty() || (parts.length == 2 && parts[1].isEmpty())) {
      throw new UserInputException("'" + model + "': write a model directory or BASE+ADAPTER"
          + " with exactly one '+'.");
    }
    return new EvalSubject(model, EvalSubject.Role.MODEL, fs.resolve(parts[0]).toString(),
        parts.length == 2 ? fs.resolve(parts[1]).toString() : null);
  }

  private static void printTable(List<ModelScores> scores, PrintWriter out) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"model", "task", "loss", "perplexity", "tokens", "examples",
        "exact_match", "accuracy", "accuracy_norm"});
    for (ModelScores m : scores) {
      for (Map.Entry<String, TaskScore> t : m.tasks().entrySet()) {
        TaskScore s = t.getValue();
        rows.add(new String[] {m.model(), t.getKey(), num(s.loss()), num(s.perplexity()),
            String.valueOf(s.tokens()), String.valueOf(s.examples()),
            s.exactMatch().isPresent() ? num(s.exactMatch().getAsDouble()) : "",
            s.accuracy().isPresent() ? num(s.accuracy().getAsDouble()) : "",
            s.accuracyNorm().isPresent() ? num(s.accuracyNorm().getAsDouble()) : ""});
      }
      rows.add(new String[] {m.model(), "(mean)", num(m.meanLoss()), "", "", "", "", "", ""});
    }
    Tables.print(rows, out);
  }

  private static String num(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }
}
