package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.testutil.TestSpark;
import dev.sparkmerge.testutil.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A grid with {@code evaluate:} and {@code select:} over the real tiny-llama adapters: every
 * candidate and input scored, ranks, best.json, the scores table, the command hook (a candidate
 * whose command fails is marked failed while the others go on) and --resume.
 */
class EvalGridTest {
  static final Path MODELS = Path.of(System.getProperty("sparkmerge.models"));
  static final Path TASKS = MODELS.resolve("../eval/tiny-tasks");
  @TempDir static Path tmp;
  static Path tasks;

  @BeforeAll
  static void copyTasks() throws Exception {
    TestSpark.context();
    tasks = Files.createDirectories(tmp.resolve("tasks"));
    for (String t : List.of("add", "color", "choice")) {
      Files.copy(TASKS.resolve(t + ".jsonl"), tasks.resolve(t + ".jsonl"));
    }
  }

  private static String config(String command) {
    String base = MODELS.resolve("tiny-llama-base").toString();
    return "merge_method: ties\nbase_model: " + base + "\nmodels:\n"
        + "  - model: " + base + "+" + MODELS.resolve("tiny-llama-lora-add") + "\n"
        + "  - model: " + base + "+" + MODELS.resolve("tiny-llama-lora-color") + "\n"
        + "parameters: {weight: 1.0, normalize: false}\ndtype: float32\n"
        + "grid:\n  density: [0.1, 0.5, 1.0]\n"
        + "evaluate:\n  tasks: [" + tasks + "]\n  max_examples: 8\n  include_inputs: true\n"
        + (command == null ? "" : "  command: " + command + "\n  timeout: 60s\n")
        + "select:\n  metric: mean_loss\n  goal: minimize\n";
  }

  private static JsonNode json(Path p) throws Exception {
    return new ObjectMapper().readTree(p.toFile());
  }

  private static Map<String, JsonNode> byModel(Path out) throws Exception {
    Map<String, JsonNode> m = new HashMap<>();
    for (JsonNode r : json(out.resolve("eval.json")).get("models")) {
      m.put(r.get("model").asText(), r);
    }
    return m;
  }

  @Test
  void candidatesAndInputsAreScoredRankedAndTheWinnerIsNamed() throws Exception {
    Path cfg = tmp.resolve("grid.yml");
    // The command reports the size of each model's weights; it fails for one candidate.
    Files.writeString(cfg, config("[bash, -c, 'case \"$0\" in *density-0.5*) echo no GPU >&2;"
        + " exit 2;; esac; echo \"{\\\"bytes\\\": $(cat \"$0\"/*.safetensors | wc -c)}\"',"
        + " '{model}']"));
    Path out = tmp.resolve("out");
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err() + run.out());

    Map<String, JsonNode> records = byModel(out);
    String base = MODELS.resolve("tiny-llama-base").toString();
    List<String> inputs = List.of(base, base + "+" + MODELS.resolve("tiny-llama-lora-add"),
        base + "+" + MODELS.resolve("tiny-llama-lora-color"));
    for (String in : inputs) {
      JsonNode r = records.get(in);
      assertEquals("input", r.get("role").asText(), in);
      assertEquals(8, r.at("/tasks/add/examples").asInt());
      assertTrue(r.at("/command/bytes").asLong() > 3_000_000, "the base's 3 MB of weights");
    }
    JsonNode candidates = json(out.resolve(GridJob.CANDIDATES));
    assertEquals(3, candidates.size());
    List<Double> ranked = new ArrayList<>();
    String winner = null;
    for (JsonNode c : candidates) {
      String id = c.get("id").asText();
      JsonNode r = records.get(id);
      assertEquals("candidate", r.get("role").asText());
      if (id.contains("0.5")) {
        assertEquals("failed", c.get("eval_status").asText());
        assertTrue(c.get("eval_error").asText().contains("no GPU"), c.toString());
        assertFalse(c.has("rank"));
        continue;
      }
      assertEquals("complete", c.get("eval_status").asText(), c.toString());
      double mean = c.at("/scores/mean_loss").asDouble();
      assertEquals(r.get("mean_loss").asDouble(), mean);
      double sum = 0;
      for (String t : List.of("add", "choice", "color")) {
        sum += c.at("/scores/tasks/" + t + "/loss").asDouble();
      }
      assertEquals(sum / 3, mean, 1e-12, "mean_loss is the unweighted mean of the task losses");
      assertTrue(c.at("/scores/tasks/choice/accuracy").isNumber());
      assertTrue(c.at("/scores/tasks/add/exact_match").isNumber());
      int rank = c.get("rank").asInt();
      while (ranked.size() < rank) {
        ranked.add(null);
      }
      ranked.set(rank - 1, mean);
      if (rank == 1) {
        winner = id;
      }
    }
    assertEquals(2, ranked.size());
    assertTrue(ranked.get(0) <= ranked.get(1), "rank 1 has the lowest mean loss: " + ranked);

    JsonNode best = json(out.resolve(GridScores.BEST));
    assertEquals(winner, best.get("id").asText());
    assertEquals(winner, best.get("path").asText());
    assertEquals("mean_loss", best.get("metric").asText());
    assertEquals("minimize", best.get("goal").asText());
    assertEquals(ranked.get(0), best.get("value").asDouble());
    boolean beats = true;
    for (String in : inputs) {
      beats &= ranked.get(0) < records.get(in).get("mean_loss").asDouble();
    }
    assertEquals(beats, best.get("beats_every_input").asBoolean());
    assertTrue(run.out().contains("best: " + winner), run.out());

    // The Parquet table holds the same numbers as eval.json.
    SparkSession spark = SparkSession.builder().sparkContext(TestSpark.context().sc())
        .getOrCreate();
    List<Row> rows = spark.read().parquet(out.resolve(GridScores.SCORES_DIR).toString())
        .where("metric = 'loss' and task = 'color'").collectAsList();
    assertEquals(2 + inputs.size(), rows.size(), "two evaluated candidates and three inputs");
    for (Row row : rows) {
      assertEquals(records.get(row.getString(0)).at("/tasks/color/loss").asDouble(),
          row.getDouble(4), row.toString());
    }

    // --resume: only the failed candidate runs again; a changed task file re-scores all.
    String before = Files.readString(out.resolve("eval.json"));
    MergeRunTest.Run again = MergeRunTest.cli("run", "-q", "--resume", cfg.toString(),
        out.toString());
    assertEquals(0, again.code(), again.err() + again.out());
    assertTrue(again.out().contains("keeping the scores of 5 model(s)"), again.out());
    assertEquals(json(out.resolve("eval.json")).get("models").get(0), new ObjectMapper()
        .readTree(before).get("models").get(0));
    Files.writeString(tasks.resolve("color.jsonl"), "\n", java.nio.file.StandardOpenOption.APPEND);
    MergeRunTest.Run changed = MergeRunTest.cli("run", "-q", "--resume", cfg.toString(),
        out.toString());
    assertEquals(0, changed.code(), changed.err() + changed.out());
    assertFalse(changed.out().contains("keeping the scores"), changed.out());
    assertNotEquals(records.get(winner).get("eval_key").asText(),
        byModel(out).get(winner).get("eval_key").asText());
    assertEquals(records.get(winner).get("mean_loss").asDouble(),
        byModel(out).get(winner).get("mean_loss").asDouble(), "same examples, same scores");
  }

  @Test
  void aModelTheEvaluatorCannotRunIsRefusedBeforeAnythingIsMerged() throws Exception {
    Path base = TinyModel.write(tmp.resolve("toy-base"), "base", DType.F32);
    Path ft = TinyModel.write(tmp.resolve("toy-ft"), "ft", DType.F32);
    Path cfg = tmp.resolve("toy.yml");
    Files.writeString(cfg, "merge_method: linear\nbase_model: " + base + "\nmodels:\n"
        + "  - model: " + ft + "\n    parameters: {weight: 1.0}\n"
        + "evaluate: {tasks: [" + tasks + "]}\n");
    Path out = tmp.resolve("toy-out");
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(1, run.code());
    assertTrue(run.err().contains("toy-base: config.json has no 'vocab_size'"), run.err());
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void documentsOfOneConfigMustShareTheirEvaluation() throws Exception {
    String base = MODELS.resolve("tiny-llama-base").toString();
    String doc = "merge_method: linear\nbase_model: " + base + "\nmodels:\n  - model: " + base
        + "+" + MODELS.resolve("tiny-llama-lora-add") + "\n    parameters: {weight: 1.0}\n";
    Path cfg = tmp.resolve("multi.yml");
    Files.writeString(cfg, doc + "---\n" + doc + "evaluate: {tasks: [" + tasks + "]}\n");
    Path out = tmp.resolve("multi-out");
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(1, run.code());
    assertTrue(run.err().contains("give every document of the config the same blocks"),
        run.err());
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void aMetricNoTaskProducesIsRefusedBeforeAnythingIsMerged() throws Exception {
    Path cfg = tmp.resolve("bad.yml");
    Files.writeString(cfg, config(null).replace("metric: mean_loss", "metric: count.loss"));
    Path out = tmp.resolve("never");
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(1, run.code());
    assertTrue(run.err().contains("select.metric: no task named 'count'"), run.err());
    assertTrue(run.err().contains("tasks: add, choice, color"), run.err());
    assertFalse(Files.exists(out), "nothing written");
    Files.writeString(cfg, config(null).replace("metric: mean_loss", "metric: color.accuracy"));
    MergeRunTest.Run noAcc = MergeRunTest.cli("run", "-q", cfg.toString(), out.toString());
    assertTrue(noAcc.err().contains("task 'color'"), noAcc.err());
    assertTrue(noAcc.err().contains("has no accuracy"), noAcc.err());
    assertFalse(Files.exists(out), "nothing written");
  }
}
