package dev.sparkmerge.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.CheckpointFs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shared tiny tasks with the tiny byte-level tokenizer: the scorer scores exactly the tokens
 * the reference scores (reference-dev.json) counted. The model is uniform, so every loss is
 * ln 256, greedy decoding yields only token 0 (no exact match) and multiple choice picks the
 * first of the shortest choices (accuracy) or, every byte being equally likely, the first choice
 * (accuracy_norm).
 */
class TinyTasksTest {
  @Test
  void scoredTokensMatchTheReference() throws Exception {
    Path models = Path.of(System.getProperty("sparkmerge.models", "../shared/models"));
    JsonNode reference = new ObjectMapper().readTree(
        models.resolve("tiny-llama/reference-dev.json").toFile()).get("models").get(0);
    TaskSet set = TaskSet.load(CheckpointFs.withDefaults(),
        List.of(TaskSetTest.TINY_TASKS.toString()), 0);
    ContextLm lm = new ContextLm.Uniform(256, 256);
    try (TextTokenizer tokenizer = TextTokenizerTest.tiny()) {
      ExampleScorer scorer = new ExampleScorer(lm, tokenizer, ScoringOptions.defaults());
      for (Task task : set.tasks()) {
        TaskTotals totals = TaskTotals.of(task);
        int shortestFirst = 0;
        int answerZero = 0;
        for (Example e : task.examples()) {
          totals.add(scorer.score(e));
          if (task.hasChoices()) {
            int shortest = 0;
            for (int i = 1; i < e.choices().size(); i++) {
              if (e.choices().get(i).length() < e.choices().get(shortest).length()) {
                shortest = i;
              }
            }
            shortestFirst += shortest == e.answer() ? 1 : 0;
            answerZero += e.answer() == 0 ? 1 : 0;
          }
        }
        TaskScore s = totals.score();
        JsonNode want = reference.get("tasks").get(task.name());
        assertEquals(want.get("tokens").asLong(), s.tokens(), task.name());
        assertEquals(want.get("examples").asLong(), s.examples(), task.name());
        assertEquals(Math.log(256), s.loss(), 1e-12, task.name());
        assertEquals(0, s.truncated());
        if (task.hasExactMatch()) {
          assertEquals(0.0, s.exactMatch().getAsDouble(), task.name());
        }
        if (task.hasChoices()) {
          assertEquals(shortestFirst / 200.0, s.accuracy().getAsDouble());
          assertEquals(answerZero / 200.0, s.accuracyNorm().getAsDouble());
        }
      }
    }
  }
}
