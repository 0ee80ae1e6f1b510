package dev.sparkmerge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.testutil.TestSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * `sparkmerge eval` reproduces the scores an independent float32 PyTorch forward computed for the
 * trained tiny-llama models (shared/models/tiny-llama/reference-dev.json): every loss within 1e-4
 * relative, token counts and exact-match / accuracy fractions equal.
 */
class ReferenceScoresTest {
  static final Path MODELS = Path.of(System.getProperty("sparkmerge.models"));

  @BeforeAll
  static void spark() {
    TestSpark.context();
  }

  @Test
  void evalJsonReproducesTheReferenceScores() throws Exception {
    JsonNode reference = new ObjectMapper().readTree(
        MODELS.resolve("tiny-llama/reference-dev.json").toFile());
    String base = MODELS.resolve("tiny-llama-base").toString();
    Map<String, String> asGiven = Map.of(
        "tiny-llama-base", base,
        "tiny-llama-base+tiny-llama-lora-add", base + "+" + MODELS.resolve("tiny-llama-lora-add"),
        "tiny-llama-ft-color", MODELS.resolve("tiny-llama-ft-color").toString());
    List<String> order = List.of("tiny-llama-base", "tiny-llama-base+tiny-llama-lora-add",
        "tiny-llama-ft-color");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new String[] {"eval", "--json", "--tasks",
        MODELS.resolve("../eval/tiny-tasks").toString(), asGiven.get(order.get(0)),
        asGiven.get(order.get(1)), asGiven.get(order.get(2))},
        new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    JsonNode got = new ObjectMapper().readTree(out.toString());
    assertEquals(3, got.get("models").size());
    for (int m = 0; m < 3; m++) {
      JsonNode g = got.get("models").get(m);
      JsonNode r = null;
      for (JsonNode candidate : reference.get("models")) {
        if (candidate.get("model").asText().equals(order.get(m))) {
          r = candidate;
        }
      }
      assertEquals(asGiven.get(order.get(m)), g.get("model").asText(), "the model as given");
      assertRelative(r.get("mean_loss").asDouble(), g.get("mean_loss").asDouble(),
          order.get(m) + " mean_loss");
      assertEquals(r.get("tasks").size(), g.get("tasks").size());
      for (Iterator<Map.Entry<String, JsonNode>> it = r.get("tasks").fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> task = it.next();
        JsonNode gt = g.get("tasks").get(task.getKey());
        String where = order.get(m) + " " + task.getKey();
        for (Iterator<Map.Entry<String, JsonNode>> k = task.getValue().fields(); k.hasNext();) {
          Map.Entry<String, JsonNode> metric = k.next();
          assertTrue(gt.has(metric.getKey()), where + " lacks " + metric.getKey());
          double want = metric.getValue().asDouble();
          double have = gt.get(metric.getKey()).asDouble();
          switch (metric.getKey()) {
            case "loss", "perplexity" -> assertRelative(want, have, where + " " + metric.getKey());
            default -> assertEquals(want, have, 0.0, where + " " + metric.getKey());
          }
        }
      }
    }
  }

  private static void assertRelative(double want, double have, String what) {
    assertTrue(Math.abs(have - want) <= 1e-4 * Math.abs(want),
        what + ": expected " + want + ", got " + have);
  }
}
