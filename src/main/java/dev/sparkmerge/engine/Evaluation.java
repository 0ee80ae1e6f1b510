package dev.sparkmerge.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.config.EvaluationSpec;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.config.ModelRef;
import dev.sparkmerge.config.SelectionSpec;
import dev.sparkmerge.config.SliceSpec;
import dev.sparkmerge.config.SourceSpec;
import dev.sparkmerge.eval.EvalException;
import dev.sparkmerge.eval.task.ScoringOptions;
import dev.sparkmerge.eval.task.Task;
import dev.sparkmerge.eval.task.TaskSet;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The {@code evaluate:} step of {@code run}: after the merge is committed, scores the merged
 * model (or every grid candidate) and, with {@code include_inputs}, the base and input models;
 * writes {@code eval.json} (the {@code eval --json} shape, one entry per model with its role and
 * {@code eval_key}); ranks candidates by {@code select:}. With --resume, a model whose entry in
 * the existing eval.json has the same eval_key (same model or candidate config hash, same task
 * files by SHA-256, same evaluation settings) is not evaluated again.
 */
public final class Evaluation {
  public static final String EVAL_JSON = "eval.json";

  private final EvaluationSpec spec;
  private final SelectionSpec select;
  private final TaskSet tasks;

  private Evaluation(EvaluationSpec spec, SelectionSpec select, TaskSet tasks) {
    this.spec = spec;
    this.select = select;
    this.tasks = tasks;
  }

  /**
   * Reads the task files and checks {@code select.metric} against them — before anything is
   * merged, so a typo costs nothing.
   */
  public static Evaluation prepare(CheckpointFs fs, JobSpec job) {
    return prepare(fs, List.of(job));
  }

  /**
   * As {@link #prepare(CheckpointFs, JobSpec)} for the documents of one config (a grid's
   * candidates share one block): a multi-document config must give every document the same
   * {@code evaluate:} and {@code select:}, or none.
   */
  public static Evaluation prepare(CheckpointFs fs, List<JobSpec> jobs) {
    JobSpec job = jobs.get(0);
    for (JobSpec other : jobs) {
      if (!describe(other).equals(describe(job))) {
        throw new EvalException("evaluate: and select: apply to the whole job: give every"
            + " document of the config the same blocks (or write them in one document with"
            + " 'grid:'); the documents differ: " + describe(job) + " vs " + describe(other));
      }
    }
    EvaluationSpec spec = job.evaluation();
    TaskSet tasks = TaskSet.load(fs, spec.tasks(), spec.maxExamples());
    if (job.selection() != null) {
      checkMetric(job.selection().metric(), tasks);
    }
    return new Evaluation(spec, job.selection(), tasks);
  }

  private static String describe(JobSpec job) {
    return (job.evaluation() == null ? "no evaluate:" : "evaluate: " + job.evaluation()
        .canonical()) + (job.selection() == null ? "" : ", select: " + job.selection().metric()
        + " " + job.selection().goal());
  }

  public TaskSet tasks() {
    return tasks;
  }

  /**
   * Checks from headers that the jobs' input models can be evaluated (the merged models share
   * their architecture), so an unsupported model fails before anything is merged.
   */
  public void checkInputs(CheckpointFs fs, List<JobSpec> jobs) {
    for (EvalSubject s : inputs(fs, jobs)) {
      EvalJob.check(fs, s, tasks);
    }
  }

  /** The task a {@code <task>.<metric>} names must exist and report that metric. */
  static void checkMetric(String metric, TaskSet tasks) {
    int dot = metric.indexOf('.');
    if (dot < 0 || metric.startsWith("command.")) {
      return;
    }
    String name = metric.substring(0, dot);
    String what = metric.substring(dot + 1);
    List<String> names = new ArrayList<>();
    for (Task t : tasks.tasks()) {
      names.add(t.name());
      if (t.name().equals(name)) {
        boolean ok = switch (what) {
          case "exact_match" -> t.hasExactMatch();
          case "accuracy", "accuracy_norm" -> t.hasChoices();
          default -> true;
        };
        if (!ok) {
          throw new EvalException("select.metric: task '" + name + "' (" + t.file() + ") has no"
              + " " + what + ": exact_match comes from prompt/completion tasks, accuracy and"
              + " accuracy_norm from multiple-choice tasks. Choose another metric.");
        }
        return;
      }
    }
    throw new EvalException("select.metric: no task named '" + name + "' among the task files"
        + " of evaluate.tasks; tasks: " + String.join(", ", names) + ".");
  }

  /**
   * The base and input models of the jobs, each once, in config order: a {@code BASE+ADAPTER}
   * input is scored as the base with that adapter.
   */
  public static List<EvalSubject> inputs(CheckpointFs fs, List<JobSpec> jobs) {
    Set<ModelRef> seen = new LinkedHashSet<>();
    for (JobSpec job : jobs) {
      for (SliceSpec slice : job.slices()) {
        ModelRef base = job.baseModelOf(slice);
        if (base != null) {
          seen.add(base);
        }
        for (SourceSpec s : slice.sources()) {
          seen.add(s.model());
        }
      }
    }
    List<EvalSubject> out = new ArrayList<>();
    for (ModelRef m : seen) {
      out.add(new EvalSubject(m.display(), EvalSubject.Role.INPUT, fs.resolve(m.path()).toString(),
          m.lora() == null ? null : fs.resolve(m.lora()).toString()));
    }
    return out;
  }

  /**
   * Scores {@code models} (candidates or the merged model, each with the config hash it was
   * written for) and {@code inputs}, writes {@code dir/eval.json}, and ranks the models.
   */
  public Leaderboard run(JavaSparkContext jsc, CheckpointFs fs, Path dir,
      Map<EvalSubject, String> models, List<EvalSubject> inputs, boolean resume,
      PrintWriter log) {
    Map<String, JsonNode> earlier = resume ? readEarlier(fs, new Path(dir, EVAL_JSON))
        : Map.of();
    List<EvalSubject> all = new ArrayList<>(models.keySet());
    all.addAll(inputs);
    Map<EvalSubject, String> keys = new LinkedHashMap<>();
    List<EvalSubject> todo = new ArrayList<>();
    for (EvalSubject s : all) {
      String key = evalKey(s, models.getOrDefault(s, ""));
      keys.put(s, key);
      JsonNode old = earlier.get(s.name());
      if (old == null || EvalRecords.failed(old) || !key.equals(old.path("eval_key").asText())) {
        todo.add(s);
      }
    }
    if (log != null && todo.size() < all.size()) {
      log.println("keeping the scores of " + (all.size() - todo.size()) + " model(s) from "
          + new Path(dir, EVAL_JSON));
    }
    EvalJob.Settings settings = new EvalJob.Settings(tasks,
        new ScoringOptions(spec.context(), spec.stop()), spec.command(), spec.timeoutSeconds());
    Map<EvalSubject, JsonNode> records = new LinkedHashMap<>();
    List<EvalJob.Outcome> fresh = EvalJob.run(jsc, todo, settings, log);
    for (EvalSubject s : all) {
      records.put(s, earlier.get(s.name()));
    }
    for (EvalJob.Outcome o : fresh) {
      records.put(o.subject, EvalRecords.of(o, keys.get(o.subject)));
    }
    Leaderboard board = rank(records, models.keySet());
    ObjectNode file = EvalRecords.JSON.createObjectNode();
    ArrayNode list = file.putArray("models");
    for (EvalSubject s : all) {
      ObjectNode r = ((ObjectNode) records.get(s)).deepCopy();
      int rank = rankOf(board, s.name());
      if (rank > 0) {
        r.put("rank", rank);
      }
      list.add(r);
    }
    if (select != null) {
      ObjectNode sel = file.putObject("select");
      sel.put("metric", select.metric());
      sel.put("goal", select.goal());
    }
    new OutputDir(fs, dir).writeText(new Path(dir, EVAL_JSON), file.toPrettyString() + "\n");
    return board;
  }

  /** The records of an earlier eval.json by model name (none when there is none). */
  private static Map<String, JsonNode> readEarlier(CheckpointFs fs, Path file) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    if (!fs.exists(file)) {
      return out;
    }
    try {
      JsonNode root = EvalRecords.JSON.readTree(fs.readSmallFile(file, "eval.json", 64 << 20));
      for (JsonNode r : root.path("models")) {
        out.put(r.path("model").asText(), r);
      }
    } catch (IOException e) {
      // An unreadable file from an interrupted run: evaluate everything again.
    }
    return out;
  }

  /** What a model's scores depend on: the model, the task files and the settings. */
  private String evalKey(EvalSubject s, String configHash) {
    StringBuilder sb = new StringBuilder("sparkmerge-eval-v1\n");
    sb.append(s.role().label()).append('\n').append(s.name()).append('\n');
    // A merged model is what its config made, wherever the output directory now is; an input
    // is the files it names.
    sb.append(s.role() == EvalSubject.Role.INPUT ? s.path() + "+" + s.adapter() : configHash)
        .append('\n');
    for (Task t : tasks.tasks()) {
      sb.append("task=").append(t.name()).append(':').append(t.sha256()).append('\n');
    }
    sb.append("max_examples=").append(spec.maxExamples()).append("\ncontext=")
        .append(spec.context()).append("\nstop=").append(spec.stop().replace("\n", "\\n"))
        .append("\ncommand=").append(spec.command()).append('\n');
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }

  private Leaderboard rank(Map<EvalSubject, JsonNode> records, Set<EvalSubject> models) {
    // Each record's metrics once; entries of unranked models keep rank 0.
    Map<EvalSubject, Leaderboard.Entry> unranked = new LinkedHashMap<>();
    records.forEach((s, r) -> unranked.put(s, entry(s, r, 0)));
    List<Leaderboard.Entry> ranked = new ArrayList<>();
    if (select != null) {
      for (EvalSubject s : models) {
        if (unranked.get(s).metrics().containsKey(select.metric())) {
          ranked.add(unranked.get(s));
        }
      }
      // Stable: equal values keep config order.
      ranked.sort((a, b) -> {
        double va = a.metrics().get(select.metric());
        double vb = b.metrics().get(select.metric());
        return select.maximize() ? Double.compare(vb, va) : Double.compare(va, vb);
      });
    }
    List<Leaderboard.Entry> entries = new ArrayList<>();
    for (int i = 0; i < ranked.size(); i++) {
      Leaderboard.Entry e = ranked.get(i);
      entries.add(new Leaderboard.Entry(e.name(), e.role(), e.metrics(), i + 1, e.error()));
    }
    for (EvalSubject s : models) {
      if (!ranked.contains(unranked.get(s))) {
        entries.add(unranked.get(s));
      }
    }
    Boolean beats = null;
    for (Map.Entry<EvalSubject, Leaderboard.Entry> e : unranked.entrySet()) {
      if (!models.contains(e.getKey())) {
        Leaderboard.Entry in = e.getValue();
        entries.add(in);
        if (!ranked.isEmpty()) {
          Double v = in.metrics().get(select.metric());
          double best = ranked.get(0).metrics().get(select.metric());
          boolean better = v != null && (select.maximize() ? best > v : best < v);
          beats = v == null ? beats : (beats == null ? better : beats && better);
        }
      }
    }
    return new Leaderboard(entries, select == null ? null : select.metric(),
        select == null ? null : select.goal(), ranked.isEmpty() ? null : entries.get(0), beats);
  }

  private static Leaderboard.Entry entry(EvalSubject s, JsonNode record, int rank) {
    return new Leaderboard.Entry(s.name(), s.role().label(), EvalRecords.metrics(record), rank,
        record.has("error") ? record.path("error").asText() : null);
  }

  private static int rankOf(Leaderboard board, String name) {
    for (Leaderboard.Entry e : board.entries()) {
      if (e.name().equals(name)) {
        return e.rank();
      }
    }
    return 0;
  }
}
