package dev.sparkmerge.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.eval.task.EvalJson;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One evaluated model as written to {@code eval.json}: the {@code sparkmerge eval --json} entry
 * (model, mean_loss, tasks) plus role, {@code eval_key} (what the scores were computed from, for
 * --resume), the command's scores under {@code command}, and {@code error} when it failed. The
 * flat metric names used by {@code select.metric} ({@code mean_loss}, {@code add.exact_match},
 * {@code command.acc}) are read from this form, so scores reloaded by --resume rank exactly as
 * fresh ones.
 */
final class EvalRecords {
  static final ObjectMapper JSON = new ObjectMapper();

  private EvalRecords() {}

  static ObjectNode of(EvalJob.Outcome o, String evalKey) {
    ObjectNode r = o.scores == null ? JSON.createObjectNode() : EvalJson.toNode(o.scores);
    r.put("model", o.subject.name());
    r.put("role", o.subject.role().label());
    r.put("eval_key", evalKey);
    if (o.command != null) {
      ObjectNode c = r.putObject("command");
      o.command.forEach(c::put);
    }
    if (o.error != null) {
      r.put("error", o.error);
    }
    return r;
  }

  static boolean failed(JsonNode record) {
    return record.has("error");
  }

  /** Every metric of a record by its {@code select.metric} name, in a stable order. */
  static Map<String, Double> metrics(JsonNode record) {
    Map<String, Double> out = new LinkedHashMap<>();
    if (failed(record)) {
      return out;
    }
    if (record.path("mean_loss").isNumber()) {
      out.put("mean_loss", record.path("mean_loss").doubleValue());
    }
    for (Iterator<Map.Entry<String, JsonNode>> t = record.path("tasks").fields(); t.hasNext();) {
      Map.Entry<String, JsonNode> task = t.next();
      for (Iterator<Map.Entry<String, JsonNode>> m = task.getValue().fields(); m.hasNext();) {
        Map.Entry<String, JsonNode> metric = m.next();
        if (metric.getValue().isNumber()) {
          out.put(task.getKey() + "." + metric.getKey(), metric.getValue().doubleValue());
        }
      }
    }
    for (Iterator<Map.Entry<String, JsonNode>> c = record.path("command").fields();
        c.hasNext();) {
      Map.Entry<String, JsonNode> e = c.next();
      out.put("command." + e.getKey(), e.getValue().doubleValue());
    }
    return out;
  }
}
