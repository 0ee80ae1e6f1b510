package dev.sparkmerge.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the top-level {@code evaluate:} and {@code select:} blocks (sparkmerge extensions). Checks
 * their shape here; whether {@code select.metric}'s task exists is checked against the task files
 * when they are read (the config package reads no files).
 */
final class EvaluationParser {
  static final Set<String> EVALUATE_KEYS = new LinkedHashSet<>(List.of("tasks", "max_examples",
      "include_inputs", "command", "timeout", "context", "stop"));
  static final Set<String> SELECT_KEYS = new LinkedHashSet<>(List.of("metric", "goal"));
  /** The metrics a task can report, for {@code <task>.<metric>}. */
  static final List<String> TASK_METRICS = List.of("loss", "perplexity", "exact_match",
      "accuracy", "accuracy_norm");
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([smhd]?)");

  private EvaluationParser() {}

  static EvaluationSpec parseEvaluate(Fields top, Problems problems) {
    Node node = top.get("evaluate");
    if (node == null || Scalars.isNull(node)) {
      return null;
    }
    if (!(node instanceof MappingNode)) {
      problems.add(node, "evaluate", "expected a mapping, e.g. 'evaluate: {tasks:"
          + " [evals/add.jsonl]}'.");
      return null;
    }
    Fields f = Fields.read((MappingNode) node, "evaluate", EVALUATE_KEYS, List.of(), problems);
    List<String> tasks = strings(f, "tasks", problems);
    if (tasks == null || tasks.isEmpty()) {
      if (tasks != null || !f.has("tasks")) {
        problems.add(f.has("tasks") ? f.get("tasks") : node, "evaluate.tasks", "needs at least"
            + " one task file (.jsonl) or folder of them, e.g. 'tasks: [evals/]'.");
      }
      tasks = List.of();
    }
    int maxExamples = wholeNumber(f, "max_examples", 1, 0, problems);
    boolean includeInputs = bool(f, "include_inputs", problems);
    List<String> command = f.has("command") ? strings(f, "command", problems) : null;
    if (command != null && command.isEmpty()) {
      problems.add(f.get("command"), "evaluate.command", "is empty; give the program and its"
          + " arguments, e.g. ['bash', 'my-eval.sh', '{model}'], or remove the key.");
      command = null;
    }
    long timeout = EvaluationSpec.DEFAULT_TIMEOUT_SECONDS;
    if (f.has("timeout")) {
      if (command == null) {
        problems.add(f.keyNode("timeout"), "evaluate.timeout", "limits 'command', which is not"
            + " set; remove it or add 'command'.");
      }
      timeout = duration(f.get("timeout"), problems);
    }
    int context = wholeNumber(f, "context", 2, 0, problems);
    String stop = "\n";
    if (f.has("stop")) {
      Node s = f.get("stop");
      if (!(s instanceof ScalarNode) || ((ScalarNode) s).getValue().isEmpty()) {
        problems.add(s, "evaluate.stop", "expected a non-empty string, e.g. stop: \"\\n\".");
      } else {
        stop = ((ScalarNode) s).getValue();
      }
    }
    return new EvaluationSpec(tasks, maxExamples, includeInputs, command, timeout, context, stop);
  }

  static SelectionSpec parseSelect(Fields top, EvaluationSpec evaluation, Problems problems) {
    Node node = top.get("select");
    if (node == null || Scalars.isNull(node)) {
      return null;
    }
    if (!(node instanceof MappingNode)) {
      problems.add(node, "select", "expected a mapping, e.g. 'select: {metric: mean_loss, goal:"
          + " minimize}'.");
      return null;
    }
    if (evaluation == null && !top.has("evaluate")) {
      problems.add(top.keyNode("select"), "select", "needs 'evaluate:': candidates are ranked"
          + " by the scores it produces. Add e.g. 'evaluate: {tasks: [evals/]}'.");
    }
    Fields f = Fields.read((MappingNode) node, "select", SELECT_KEYS, List.of(), problems);
    String metric = null;
    if (!(f.get("metric") instanceof ScalarNode)) {
      problems.add(f.has("metric") ? f.get("metric") : node, "select.metric", "needs a metric:"
          + " mean_loss, <task>.<metric> (" + String.join(", ", TASK_METRICS) + ") or"
          + " command.<key>.");
    } else {
      metric = ((ScalarNode) f.get("metric")).getValue().trim();
      String problem = metricProblem(metric, evaluation);
      if (problem != null) {
        problems.add(f.get("metric"), "select.metric", problem);
      }
    }
    boolean maximize = metric != null && !lowerIsBetter(metric);
    if (f.has("goal")) {
      Node g = f.get("goal");
      String goal = g instanceof ScalarNode ? ((ScalarNode) g).getValue().trim() : "";
      if (goal.equals("minimize") || goal.equals("maximize")) {
        maximize = goal.equals("maximize");
      } else {
        problems.add(g, "select.goal", "expected 'minimize' or 'maximize', found "
            + Scalars.show(g) + "." + Suggest.didYouMean(goal, List.of("minimize", "maximize")));
      }
    }
    return metric == null ? null : new SelectionSpec(metric, maximize);
  }

  /** Losses and perplexities improve downwards; everything else (matches, accuracy) upwards. */
  static boolean lowerIsBetter(String metric) {
    return metric.equals("mean_loss") || metric.endsWith(".loss")
        || metric.endsWith(".perplexity");
  }

  private static String metricProblem(String metric, EvaluationSpec evaluation) {
    if (metric.equals("mean_loss")) {
      return null;
    }
    int dot = metric.indexOf('.');
    if (dot <= 0 || dot == metric.length() - 1) {
      return "'" + metric + "' is not a metric; use mean_loss, <task>.<metric> (e.g."
          + " add.exact_match) or command.<key>.";
    }
    String head = metric.substring(0, dot);
    String tail = metric.substring(dot + 1);
    if (head.equals("command")) {
      return evaluation != null && evaluation.command() == null
          ? "'" + metric + "' needs 'evaluate.command', which is not set." : null;
    }
    if (!TASK_METRICS.contains(tail)) {
      return "unknown task metric '" + tail + "'." + Suggest.didYouMean(tail, TASK_METRICS)
          + " Valid: " + String.join(", ", TASK_METRICS) + ".";
    }
    return null;
  }

  private static List<String> strings(Fields f, String key, Problems problems) {
    Node n = f.get(key);
    if (n == null) {
      return null;
    }
    List<String> out = new ArrayList<>();
    if (n instanceof ScalarNode && !Scalars.isNull(n)) {
      out.add(((ScalarNode) n).getValue());
      return out;
    }
    if (!(n instanceof SequenceNode)) {
      problems.add(n, f.path(key), "expected a list of strings, found " + Scalars.show(n) + ".");
      return null;
    }
    for (Node item : ((SequenceNode) n).getValue()) {
      if (!(item instanceof ScalarNode) || Scalars.isNull(item)) {
        problems.add(item, f.path(key), "expected a string, found " + Scalars.show(item) + ".");
        return null;
      }
      out.add(((ScalarNode) item).getValue());
    }
    return out;
  }

  private static int wholeNumber(Fields f, String key, int min, int absent, Problems problems) {
    if (!f.has(key)) {
      return absent;
    }
    Node n = f.get(key);
    Double v = n instanceof ScalarNode && !Scalars.isBool((ScalarNode) n)
        ? Scalars.number((ScalarNode) n) : null;
    if (v == null || v != Math.rint(v) || v < min || v > Integer.MAX_VALUE) {
      problems.add(n, f.path(key), "expected a whole number >= " + min + ", found "
          + Scalars.show(n) + ".");
      return absent;
    }
    return (int) (double) v;
  }

  private static boolean bool(Fields f, String key, Problems problems) {
    Node n = f.get(key);
    if (n == null) {
      return false;
    }
    if (!(n instanceof ScalarNode) || !Scalars.isBool((ScalarNode) n)) {
      problems.add(n, f.path(key), "expected true or false, found " + Scalars.show(n) + ".");
      return false;
    }
    return Scalars.number((ScalarNode) n) == 1.0;
  }

  /** "2h", "30m", "90s", "1d" or a number of seconds. */
  private static long duration(Node n, Problems problems) {
    String text = n instanceof ScalarNode ? ((ScalarNode) n).getValue().trim()
        .toLowerCase(Locale.ROOT) : "";
    Matcher m = DURATION.matcher(text);
    if (m.matches()) {
      double v = Double.parseDouble(m.group(1));
      long unit = switch (m.group(2)) {
        case "m" -> 60;
        case "h" -> 3600;
        case "d" -> 86400;
        default -> 1;
      };
      long seconds = Math.round(v * unit);
      if (seconds > 0) {
        return seconds;
      }
    }
    problems.add(n, "evaluate.timeout", "expected a duration such as 90s, 30m or 2h, found "
        + Scalars.show(n) + ".");
    return EvaluationSpec.DEFAULT_TIMEOUT_SECONDS;
  }
}
