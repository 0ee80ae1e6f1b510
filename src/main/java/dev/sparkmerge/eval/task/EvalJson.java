package dev.sparkmerge.eval.task;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.eval.EvalException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.apache.hadoop.fs.Path;

/**
 * The scores as JSON, the shape {@code sparkmerge eval --json} prints and resume reads back:
 *
 * <pre>
 * {"models": [{"model": "...", "mean_loss": M,
 *              "tasks": {"TASK": {"loss": L, "perplexity": P, "tokens": T, "examples": E,
 *                                 "exact_match": X, "accuracy": A, "accuracy_norm": AN}}}]}
 * </pre>
 *
 * A metric appears only for the tasks that define it; {@code truncated} (examples whose context
 * was cut to fit) only when it is not 0. Doubles are written in their shortest exact form, so they
 * read back to the same bits. Reading ignores keys it does not know.
 */
public final class EvalJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final int MAX_BYTES = 256 << 20;

  private EvalJson() {}

  /** The scores as pretty-printed JSON. */
  public static String toJson(List<ModelScores> models) {
    ObjectNode root = MAPPER.createObjectNode();
    ArrayNode array = root.putArray("models");
    for (ModelScores m : models) {
      array.add(toNode(m));
    }
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain values always serializes", e);
    }
  }

  /** One model's entry of that shape: model, mean_loss, tasks. */
  public static ObjectNode toNode(ModelScores m) {
    ObjectNode model = MAPPER.createObjectNode();
    model.put("model", m.model());
    model.put("mean_loss", m.meanLoss());
    ObjectNode tasks = model.putObject("tasks");
    for (Map.Entry<String, TaskScore> t : m.tasks().entrySet()) {
      writeTask(tasks.putObject(t.getKey()), t.getValue());
    }
    return model;
  }

  private static void writeTask(ObjectNode node, TaskScore s) {
    node.put("loss", s.loss());
    node.put("perplexity", s.perplexity());
    node.put("tokens", s.tokens());
    node.put("examples", s.examples());
    putIfPresent(node, "exact_match", s.exactMatch());
    putIfPresent(node, "accuracy", s.accuracy());
    putIfPresent(node, "accuracy_norm", s.accuracyNorm());
    if (s.truncated() > 0) {
      node.put("truncated", s.truncated());
    }
  }

  private static void putIfPresent(ObjectNode node, String key, OptionalDouble value) {
    if (value.isPresent()) {
      node.put(key, value.getAsDouble());
    }
  }

  /** Reads scores written by {@link #toJson} from a file on any Hadoop file system. */
  public static List<ModelScores> read(CheckpointFs fs, String location) {
    Path path = fs.resolve(location);
    if (fs.statusOrNull(path) == null) {
      throw new EvalException(location + ": no such scores file.");
    }
    byte[] bytes = fs.readSmallFile(path, "eval scores file", MAX_BYTES);
    return fromJson(new String(bytes, StandardCharsets.UTF_8), path.toString());
  }

  /**
   * Parses scores written by {@link #toJson}.
   *
   * @param source where the text came from, for messages
   * @throws EvalException if the text is not JSON of that shape
   */
  public static List<ModelScores> fromJson(String json, String source) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new EvalException(source + ": not valid JSON: " + e.getOriginalMessage());
    }
    Reader r = new Reader(source);
    JsonNode models = r.field(root, "models", "");
    if (!models.isArray()) {
      throw r.fail("models", "must be an array");
    }
    List<ModelScores> out = new ArrayList<>();
    for (int i = 0; i < models.size(); i++) {
      String at = "models[" + i + "]";
      JsonNode m = models.get(i);
      String name = r.text(r.field(m, "model", at), at + ".model");
      JsonNode tasks = r.field(m, "tasks", at);
      if (!tasks.isObject() || tasks.isEmpty()) {
        throw r.fail(at + ".tasks", "must be an object with one entry per task");
      }
      Map<String, TaskScore> scores = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> t : tasks.properties()) {
        scores.put(t.getKey(), r.task(t.getValue(), at + ".tasks." + t.getKey()));
      }
      out.add(new ModelScores(name, scores));
    }
    return out;
  }

  /** Field access with errors that name the source and the JSON path. */
  private static final class Reader {
    private final String source;

    Reader(String source) {
      this.source = source;
    }

    TaskScore task(JsonNode node, String at) {
      long tokens = count(field(node, "tokens", at), at + ".tokens");
      long examples = count(field(node, "examples", at), at + ".examples");
      if (tokens == 0 || examples == 0) {
        throw fail(at, "has no tokens or no examples");
      }
      return new TaskScore(number(field(node, "loss", at), at + ".loss"), tokens, examples,
          optional(node, "exact_match", at), optional(node, "accuracy", at),
          optional(node, "accuracy_norm", at),
          node.has("truncated") ? count(node.get("truncated"), at + ".truncated") : 0);
    }

    JsonNode field(JsonNode node, String key, String at) {
      String path = at.isEmpty() ? key : at + "." + key;
      if (node == null || !node.isObject()) {
        throw fail(at.isEmpty() ? "the top level" : at, "must be an object");
      }
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) {
        throw fail(path, "is missing");
      }
      return v;
    }

    String text(JsonNode v, String at) {
      if (!v.isTextual()) {
        throw fail(at, "must be a string");
      }
      return v.textValue();
    }

    long count(JsonNode v, String at) {
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
        throw fail(at, "must be a whole number >= 0");
      }
      return v.longValue();
    }

    /** A number; Jackson writes NaN and infinities as strings, so those are read back too. */
    double number(JsonNode v, String at) {
      if (v.isNumber()) {
        return v.doubleValue();
      }
      if (v.isTextual()) {
        switch (v.textValue()) {
          case "NaN":
            return Double.NaN;
          case "Infinity":
            return Double.POSITIVE_INFINITY;
          case "-Infinity":
            return Double.NEGATIVE_INFINITY;
          default:
            break;
        }
      }
      throw fail(at, "must be a number");
    }

    Double optional(JsonNode node, String key, String at) {
      JsonNode v = node.get(key);
      return v == null || v.isNull() ? null : number(v, at + "." + key);
    }

    EvalException fail(String at, String message) {
      return new EvalException(source + ": not sparkmerge eval scores: " + at + " " + message
          + ".");
    }
  }
}
