package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.eval.CommandEvaluation;
import dev.sparkmerge.eval.EvalException;
import dev.sparkmerge.eval.model.CausalLm;
import dev.sparkmerge.eval.model.CausalLms;
import dev.sparkmerge.eval.task.Example;
import dev.sparkmerge.eval.task.ExampleScorer;
import dev.sparkmerge.eval.task.ModelScores;
import dev.sparkmerge.eval.task.ScoringOptions;
import dev.sparkmerge.eval.task.Task;
import dev.sparkmerge.eval.task.TaskScore;
import dev.sparkmerge.eval.task.TaskSet;
import dev.sparkmerge.eval.task.TaskTotals;
import dev.sparkmerge.eval.task.TextTokenizer;
import java.io.PrintWriter;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Scores models on task files in Spark tasks. Each model is one Spark job whose tasks are slices
 * of a task's examples; an executor loads the model once ({@link ExecutorModels}) and every task
 * returns one {@link TaskTotals} per example, which the driver adds up in example order — so the
 * scores are the same bits however the examples were sliced or scheduled. The user's own command,
 * if any, runs once per model in a Spark task of its own. A model whose evaluation fails is
 * recorded with its error and the others go on.
 */
public final class EvalJob {
  private EvalJob() {}

  /** What to run for every model. */
  public static final class Settings implements Serializable {
    private static final long serialVersionUID = 1L;
    final TaskSet tasks;
    final ScoringOptions scoring;
    final List<String> command;
    final long timeoutSeconds;

    public Settings(TaskSet tasks, ScoringOptions scoring, List<String> command,
        long timeoutSeconds) {
      this.tasks = tasks;
      this.scoring = scoring;
      this.command = command == null ? null : List.copyOf(command);
      this.timeoutSeconds = timeoutSeconds;
    }
  }

  /** One model's result: scores, or the error that stopped its evaluation. */
  public static final class Outcome {
    public final EvalSubject subject;
    public final ModelScores scores;
    public final Map<String, Double> command;
    public final String error;

    Outcome(EvalSubject subject, ModelScores scores, Map<String, Double> command, String error) {
      this.subject = subject;
      this.scores = scores;
      this.command = command;
      this.error = error;
    }

    public boolean failed() {
      return error != null;
    }
  }

  /** A run of consecutive examples of one task, scored by one Spark task. */
  private record Slice(int task, int from, int to) implements Serializable {}

  /**
   * What a Spark task returns: its results, or the input problem that stopped it. Input problems
   * travel as values, not exceptions: they would fail the same way on every retry, and Spark
   * would log a stack trace for each.
   */
  private record TaskResult<T extends Serializable>(T value, String error)
      implements Serializable {}

  /**
   * Checks on the driver, from config.json and headers, that the subject can be evaluated on
   * these tasks: a supported architecture, its tensors, a tokenizer where text is given.
   *
   * @throws dev.sparkmerge.eval.EvalException naming the model and what is wrong
   */
  public static void check(CheckpointFs fs, EvalSubject subject, TaskSet tasks) {
    CausalLms.weightBytes(fs, subject.path());
    tasks.requireTokenizer(fs.exists(new org.apache.hadoop.fs.Path(fs.resolve(subject.path()),
        TextTokenizer.FILE_NAME)), subject.name());
  }

  /** Scores every subject in turn; never throws for one model's failure. */
  public static List<Outcome> run(JavaSparkContext jsc, List<EvalSubject> subjects,
      Settings settings, PrintWriter log) {
    Broadcast<SerializableConfiguration> conf =
        jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
    Broadcast<Settings> settingsB = jsc.broadcast(settings);
    List<Outcome> out = new ArrayList<>();
    for (EvalSubject s : subjects) {
      long start = System.nanoTime();
      Outcome o;
      try {
        check(new CheckpointFs(jsc.hadoopConfiguration()), s, settings.tasks);
        ModelScores scores = score(jsc, s, conf, settingsB, log);
        Map<String, Double> command = settings.command == null ? null
            : runCommand(jsc, s, settings);
        o = new Outcome(s, scores, command, null);
      } catch (Exception e) { // SparkException is checked, though collect() does not say so
        o = new Outcome(s, null, null, RemoteErrors.message(e));
      }
      if (log != null) {
        log.printf("evaluated %s in %.1f s%s%n", s.name(), (System.nanoTime() - start) / 1e9,
            o.failed() ? ": FAILED: " + o.error : "");
        log.flush();
      }
      out.add(o);
    }
    if (jsc.isLocal()) {
      ExecutorModels.releaseIdle(); // the driver is the executor: give the heap back
    }
    return out;
  }

  private static ModelScores score(JavaSparkContext jsc, EvalSubject subject,
      Broadcast<SerializableConfiguration> conf, Broadcast<Settings> settingsB,
      PrintWriter log) {
    TaskSet tasks = settingsB.value().tasks;
    List<Slice> slices = slices(tasks, 4 * Math.max(1, jsc.defaultParallelism()));
    int examples = 0;
    for (Task t : tasks.tasks()) {
      examples += t.examples().size();
    }
    LongAccumulator done = jsc.sc().longAccumulator("examples scored");
    jsc.setJobDescription("sparkmerge: evaluate " + subject.name() + " (" + examples
        + " examples)");
    List<TaskResult<ArrayList<TaskTotals>>> perSlice;
    try (EvalProgress progress = log == null ? null
        : new EvalProgress(subject.name(), done, examples, log)) {
      perSlice = jsc.parallelize(slices, slices.size()).map(slice -> {
        CheckpointFs fs = new CheckpointFs(conf.value().value());
        Settings s = settingsB.value();
        try {
          CausalLm lm = ExecutorModels.acquire(fs, subject);
          try {
            TextTokenizer tokenizer = ExecutorModels.tokenizer(fs, subject,
                s.tasks.needsTokenizer());
            ExampleScorer scorer = new ExampleScorer(lm, tokenizer, s.scoring);
            List<Example> list = s.tasks.tasks().get(slice.task()).examples();
            ArrayList<TaskTotals> totals = new ArrayList<>();
            for (int i = slice.from(); i < slice.to(); i++) {
              totals.add(scorer.score(list.get(i)));
              done.add(1);
            }
            return new TaskResult<>(totals, null);
          } finally {
            ExecutorModels.release(subject);
          }
        } catch (EvalException e) {
          return new TaskResult<ArrayList<TaskTotals>>(null, e.getMessage());
        }
      }).collect();
    }
    for (TaskResult<ArrayList<TaskTotals>> r : perSlice) {
      if (r.error() != null) {
        throw new EvalException(r.error());
      }
    }
    // Add per-example totals in example order: the same sums whatever the slicing.
    List<TaskTotals> byTask = new ArrayList<>();
    for (int t = 0; t < tasks.tasks().size(); t++) {
      byTask.add(null);
    }
    for (int k = 0; k < slices.size(); k++) {
      int t = slices.get(k).task();
      for (TaskTotals e : perSlice.get(k).value()) {
        byTask.set(t, byTask.get(t) == null ? e : byTask.get(t).add(e));
      }
    }
    SortedMap<String, TaskScore> scores = new TreeMap<>();
    for (int t = 0; t < tasks.tasks().size(); t++) {
      scores.put(tasks.tasks().get(t).name(), byTask.get(t).score());
    }
    return new ModelScores(subject.name(), scores);
  }

  /** About {@code target} slices over all tasks, none across two tasks, none empty. */
  private static List<Slice> slices(TaskSet tasks, int target) {
    int total = 0;
    for (Task t : tasks.tasks()) {
      total += t.examples().size();
    }
    int size = Math.max(1, (total + target - 1) / target);
    List<Slice> out = new ArrayList<>();
    for (int t = 0; t < tasks.tasks().size(); t++) {
      int n = tasks.tasks().get(t).examples().size();
      for (int from = 0; from < n; from += size) {
        out.add(new Slice(t, from, Math.min(n, from + size)));
      }
    }
    return out;
  }

  private static Map<String, Double> runCommand(JavaSparkContext jsc, EvalSubject subject,
      Settings settings) {
    Map<String, String> placeholders = new LinkedHashMap<>();
    placeholders.put("{model}", localIfFile(subject.path()));
    placeholders.put("{adapter}", subject.adapter() == null ? "" : localIfFile(subject.adapter()));
    placeholders.put("{name}", subject.name());
    List<String> command = settings.command;
    long timeout = settings.timeoutSeconds;
    jsc.setJobDescription("sparkmerge: evaluation command for " + subject.name());
    TaskResult<java.util.TreeMap<String, Double>> r = jsc.parallelize(List.of(0), 1).map(x -> {
      try {
        return new TaskResult<>(new TreeMap<>(CommandEvaluation.run(command, placeholders,
            timeout)), null);
      } catch (EvalException e) {
        return new TaskResult<TreeMap<String, Double>>(null, e.getMessage());
      }
    }).collect().get(0);
    if (r.error() != null) {
      throw new EvalException(r.error());
    }
    return r.value();
  }

  /** Local models reach the command as plain paths; other URIs as written. */
  private static String localIfFile(String location) {
    return location.startsWith("file:") ? new java.io.File(java.net.URI.create(
        location.startsWith("file://") ? location : "file://" + location.substring(5)))
        .getPath() : location;
  }
}
