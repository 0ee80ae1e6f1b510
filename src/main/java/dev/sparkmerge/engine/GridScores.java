package dev.sparkmerge.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A grid's scores after evaluation: each candidate's entry in {@code candidates.json} gets its
 * {@code scores}, {@code eval_status} (and {@code eval_error}) and {@code rank};
 * {@code OUTPUT/scores/} holds every score as a Parquet table (candidate, role, task, metric,
 * value; {@code mean_loss} has task null, the command's keys task "command"), next to
 * {@code OUTPUT/stats/}; and with {@code select:} {@code OUTPUT/best.json} names the winner.
 */
public final class GridScores {
  public static final String SCORES_DIR = "scores";
  public static final String BEST = "best.json";

  private static final StructType SCHEMA = new StructType()
      .add("candidate", DataTypes.StringType)
      .add("role", DataTypes.StringType)
      .add("task", DataTypes.StringType)
      .add("metric", DataTypes.StringType)
      .add("value", DataTypes.DoubleType);

  private GridScores() {}

  public static void write(JavaSparkContext jsc, CheckpointFs fs, Path root, Leaderboard board) {
    OutputDir dir = new OutputDir(fs, root);
    Map<String, JsonNode> records = new HashMap<>();
    for (JsonNode r : read(fs, new Path(root, Evaluation.EVAL_JSON)).path("models")) {
      records.put(r.path("role").asText() + "/" + r.path("model").asText(), r);
    }
    Path candidatesFile = new Path(root, GridJob.CANDIDATES);
    ArrayNode candidates = (ArrayNode) read(fs, candidatesFile);
    for (JsonNode c : candidates) {
      ObjectNode entry = (ObjectNode) c;
      JsonNode r = records.get("candidate/" + entry.path("id").asText());
      if (r == null) {
        continue; // failed to merge: never evaluated
      }
      entry.put("eval_status", EvalRecords.failed(r) ? "failed" : "complete");
      if (EvalRecords.failed(r)) {
        entry.put("eval_error", r.path("error").asText());
      } else {
        ObjectNode scores = entry.putObject("scores");
        scores.set("mean_loss", r.path("mean_loss"));
        scores.set("tasks", r.path("tasks"));
        if (r.has("command")) {
          scores.set("command", r.path("command"));
        }
      }
      if (r.has("rank")) {
        entry.put("rank", r.path("rank").asInt());
      }
    }
    dir.writeText(candidatesFile, candidates.toPrettyString() + "\n");
    writeTable(jsc, root, records);
    if (board.winner() != null) {
      ObjectNode best = EvalRecords.JSON.createObjectNode();
      best.put("id", board.winner().name());
      best.put("path", board.winner().name());
      best.put("metric", board.metric());
      best.put("goal", board.goal());
      best.put("value", board.winner().metrics().get(board.metric()));
      if (board.beatsEveryInput() != null) {
        best.put("beats_every_input", board.beatsEveryInput());
      }
      dir.writeText(new Path(root, BEST), best.toPrettyString() + "\n");
    }
  }

  private static void writeTable(JavaSparkContext jsc, Path root, Map<String, JsonNode> records) {
    List<Row> rows = new ArrayList<>();
    List<String> names = new ArrayList<>(records.keySet());
    names.sort(null);
    for (String key : names) {
      JsonNode r = records.get(key);
      String model = r.path("model").asText();
      String role = r.path("role").asText();
      for (Map.Entry<String, Double> m : EvalRecords.metrics(r).entrySet()) {
        String name = m.getKey();
        int dot = name.lastIndexOf('.');
        String task = dot < 0 ? null : name.substring(0, dot);
        rows.add(RowFactory.create(model, role, task, dot < 0 ? name : name.substring(dot + 1),
            m.getValue()));
      }
    }
    ParquetTables.write(jsc, rows, SCHEMA, new Path(root, SCORES_DIR).toString());
  }

  private static JsonNode read(CheckpointFs fs, Path file) {
    try {
      return EvalRecords.JSON.readTree(fs.readSmallFile(file, file.getName(), 64 << 20));
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
