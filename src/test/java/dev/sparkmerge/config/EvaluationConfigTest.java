package dev.sparkmerge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code evaluate:} and {@code select:} blocks. */
class EvaluationConfigTest {
  private static final String MERGE = "merge_method: linear\nmodels:\n  - model: a\n"
      + "    parameters: {weight: 1.0}\n  - model: b\n    parameters: {weight: 1.0}\n";

  private static void assertContains(String text, String... parts) {
    for (String p : parts) {
      assertTrue(text.contains(p), () -> "expected '" + p + "' in:\n" + text);
    }
  }

  @Test
  void everyKeyIsRead() {
    JobSpec spec = Configs.load(MERGE + "evaluate:\n  tasks: [evals/add.jsonl, evals/more/]\n"
        + "  max_examples: 200\n  include_inputs: true\n"
        + "  command: [bash, my-eval.sh, '{model}']\n  timeout: 90m\n  context: 512\n"
        + "  stop: '###'\nselect:\n  metric: add.exact_match\n");
    EvaluationSpec e = spec.evaluation();
    assertEquals(List.of("evals/add.jsonl", "evals/more/"), e.tasks());
    assertEquals(200, e.maxExamples());
    assertTrue(e.includeInputs());
    assertEquals(List.of("bash", "my-eval.sh", "{model}"), e.command());
    assertEquals(5400, e.timeoutSeconds());
    assertEquals(512, e.context());
    assertEquals("###", e.stop());
    assertEquals("add.exact_match", spec.selection().metric());
    assertTrue(spec.selection().maximize(), "matches improve upwards by default");
  }

  @Test
  void defaultsAndTheGoalFollowingTheMetric() {
    JobSpec spec = Configs.load(MERGE + "evaluate: {tasks: evals/}\n"
        + "select: {metric: mean_loss}\n");
    EvaluationSpec e = spec.evaluation();
    assertEquals(List.of("evals/"), e.tasks());
    assertEquals(0, e.maxExamples());
    assertFalse(e.includeInputs());
    assertNull(e.command());
    assertEquals(7200, e.timeoutSeconds());
    assertEquals("\n", e.stop());
    assertEquals("minimize", spec.selection().goal());
    assertEquals("maximize", Configs.load(MERGE + "evaluate: {tasks: [t.jsonl]}\n"
        + "select: {metric: t.loss, goal: maximize}\n").selection().goal());
  }

  @Test
  void evaluationDoesNotChangeTheMergesConfigHash() {
    String plain = Configs.load(MERGE).configHash();
    assertEquals(plain, Configs.load(MERGE + "evaluate: {tasks: [t.jsonl]}\n").configHash());
    assertNull(Configs.load(MERGE).evaluation());
  }

  @Test
  void selectWithoutEvaluateIsRefused() {
    assertContains(Configs.problem(MERGE + "select: {metric: mean_loss}\n"),
        "test.yml:7:1: select: needs 'evaluate:'");
  }

  @Test
  void badValuesNameTheirKeyAndLine() {
    List<String> p = Configs.problems(MERGE + "evaluate:\n  tasks: []\n  max_examples: -3\n"
        + "  include_inputs: maybe\n  timout: 2h\n  command: []\n"
        + "select:\n  metric: add.exact\n  goal: minimise\n");
    String all = String.join("\n", p);
    assertContains(all, "test.yml:8:10: evaluate.tasks: needs at least one task file",
        "test.yml:9:17: evaluate.max_examples: expected a whole number >= 1, found '-3'",
        "test.yml:10:19: evaluate.include_inputs: expected true or false",
        "test.yml:11:3: evaluate.timout: unknown key 'timout'. Did you mean 'timeout'?",
        "test.yml:12:12: evaluate.command: is empty",
        "test.yml:14:11: select.metric: unknown task metric 'exact'. Valid: loss,",
        "test.yml:15:9: select.goal: expected 'minimize' or 'maximize', found 'minimise'");
    assertEquals(7, p.size(), all);
  }

  @Test
  void commandMetricsNeedACommandAndTimeoutNeedsOne() {
    List<String> p = Configs.problems(MERGE + "evaluate: {tasks: [t.jsonl], timeout: 1h}\n"
        + "select: {metric: command.acc}\n");
    String all = String.join("\n", p);
    assertContains(all, "evaluate.timeout: limits 'command', which is not set",
        "select.metric: 'command.acc' needs 'evaluate.command'");
    assertContains(Configs.problem(MERGE + "evaluate: {tasks: [t.jsonl]}\n"
        + "select: {metric: accuracy}\n"), "'accuracy' is not a metric; use mean_loss");
  }
}
