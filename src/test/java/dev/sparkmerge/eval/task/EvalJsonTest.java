package dev.sparkmerge.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.eval.EvalException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scores' JSON: its shape, a lossless round trip, the reference file, bad input. */
class EvalJsonTest {
  static final Path REFERENCE = Path.of(System.getProperty("sparkmerge.models",
      "../shared/models"), "tiny-llama", "reference-dev.json");

  @TempDir Path dir;

  private static List<ModelScores> sample() {
    TaskScore text = new TaskScore(2.875371746663078, 2762, 100, null, null, null, 0);
    TaskScore add = new TaskScore(0.1 + 0.2, 1108, 200, 13 / 200.0, null, null, 3);
    TaskScore choice = new TaskScore(3.376236787690026, 1029, 200, null, 0.315, 0.175, 0);
    return List.of(
        new ModelScores("models/base", Map.of("text", text, "add", add, "choice", choice)),
        new ModelScores("models/base+lora", Map.of("text", text)));
  }

  @Test
  void shape() throws Exception {
    JsonNode root = new ObjectMapper().readTree(EvalJson.toJson(sample()));
    assertEquals(List.of("models"), names(root));
    JsonNode m = root.get("models").get(0);
    assertEquals(List.of("model", "mean_loss", "tasks"), names(m));
    assertEquals("models/base", m.get("model").textValue());
    assertEquals(List.of("add", "choice", "text"), names(m.get("tasks")));
    assertEquals(List.of("loss", "perplexity", "tokens", "examples"),
        names(m.get("tasks").get("text")));
    assertEquals(List.of("loss", "perplexity", "tokens", "examples", "exact_match", "truncated"),
        names(m.get("tasks").get("add")));
    assertEquals(List.of("loss", "perplexity", "tokens", "examples", "accuracy",
        "accuracy_norm"), names(m.get("tasks").get("choice")));
    JsonNode add = m.get("tasks").get("add");
    assertEquals(0.30000000000000004, add.get("loss").doubleValue());
    assertEquals(Math.exp(0.30000000000000004), add.get("perplexity").doubleValue());
    assertEquals(1108, add.get("tokens").longValue());
    assertEquals(0.065, add.get("exact_match").doubleValue());
    double mean = (0.30000000000000004 + 3.376236787690026 + 2.875371746663078) / 3;
    assertEquals(mean, m.get("mean_loss").doubleValue());
  }

  @Test
  void roundTripIsExact() throws Exception {
    List<ModelScores> scores = sample();
    List<ModelScores> back = EvalJson.fromJson(EvalJson.toJson(scores), "test");
    assertEquals(scores, back);
    assertEquals(scores.get(0).meanLoss(), back.get(0).meanLoss());
    Path file = dir.resolve("scores.json");
    Files.writeString(file, EvalJson.toJson(scores));
    assertEquals(scores, EvalJson.read(CheckpointFs.withDefaults(), file.toUri().toString()));
  }

  @Test
  void readsTheReferenceScores() throws Exception {
    List<ModelScores> ref = EvalJson.read(CheckpointFs.withDefaults(), REFERENCE.toString());
    assertEquals(3, ref.size());
    JsonNode raw = new ObjectMapper().readTree(REFERENCE.toFile()).get("models");
    for (int i = 0; i < ref.size(); i++) {
      ModelScores m = ref.get(i);
      assertEquals(raw.get(i).get("model").textValue(), m.model());
      double mean = raw.get(i).get("mean_loss").doubleValue();
      assertEquals(mean, m.meanLoss(), Math.abs(mean) * 1e-15);
      assertEquals(7, m.tasks().size());
      for (Map.Entry<String, TaskScore> t : m.tasks().entrySet()) {
        JsonNode want = raw.get(i).get("tasks").get(t.getKey());
        double ppl = want.get("perplexity").doubleValue();
        assertEquals(ppl, t.getValue().perplexity(), ppl * 1e-13, t.getKey());
      }
    }
    TaskScore add = ref.get(0).tasks().get("add");
    assertEquals(3.281106490211474, add.loss());
    assertEquals(1108, add.tokens());
    assertEquals(0.0, add.exactMatch().getAsDouble());
    assertFalse(add.accuracy().isPresent());
    TaskScore choice = ref.get(2).tasks().get("choice");
    assertEquals(0.355, choice.accuracy().getAsDouble());
    assertEquals(0.225, choice.accuracyNorm().getAsDouble());
    assertFalse(ref.get(0).tasks().get("text").exactMatch().isPresent());
    assertEquals(0.065, ref.get(2).tasks().get("color").exactMatch().getAsDouble());
  }

  @Test
  void badScores() {
    String[][] cases = {
        {"[1]", "the top level must be an object"},
        {"{}", "models is missing"},
        {"{\"models\": {}}", "models must be an array"},
        {"{\"models\": [{\"tasks\": {}}]}", "models[0].model is missing"},
        {"{\"models\": [{\"model\": \"m\", \"tasks\": {}}]}", "models[0].tasks must be"},
        {"{\"models\": [{\"model\": \"m\", \"tasks\": {\"a\": {\"loss\": \"x\", \"tokens\": 1,"
            + " \"examples\": 1}}}]}", "models[0].tasks.a.loss must be a number"},
        {"{\"models\": [{\"model\": \"m\", \"tasks\": {\"a\": {\"loss\": 1, \"tokens\": 1.5,"
            + " \"examples\": 1}}}]}", "models[0].tasks.a.tokens must be a whole number"},
        {"{\"models\": [", "not valid JSON"},
    };
    for (String[] c : cases) {
      EvalException e = assertThrows(EvalException.class, () -> EvalJson.fromJson(c[0], "f"));
      assertTrue(e.getMessage().startsWith("f: ") && e.getMessage().contains(c[1]),
          e.getMessage());
    }
    assertThrows(EvalException.class,
        () -> EvalJson.read(CheckpointFs.withDefaults(), dir.resolve("none.json").toString()));
  }

  private static List<String> names(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }
}
