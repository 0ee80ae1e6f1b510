package dev.sparkmerge.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.config.ModelRef;
import dev.sparkmerge.config.SliceSpec;
import dev.sparkmerge.config.SourceSpec;
import dev.sparkmerge.report.ReportData;
import dev.sparkmerge.report.ReportData.Candidate;
import dev.sparkmerge.report.ReportData.Score;
import dev.sparkmerge.report.ReportData.TensorRow;
import dev.sparkmerge.report.ReportWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Fills a {@link ReportData} from what an output directory holds — merge-manifest.json,
 * mergekit_config.yml, candidates.json, eval.json, best.json, combine-report.json and the
 * statistics table {@code OUTPUT/stats/} (Parquet, read with Spark SQL) — and writes {@code
 * OUTPUT/report.html}. Reads only committed files, so the report can be written again at any
 * time ({@code sparkmerge report}); missing parts become notes in the page, never errors.
 *
 * <p>The statistics table is the grid's ({@code stats/candidate=<id>/}) or, for a single merge,
 * the same columns directly under {@code stats/}. An optional {@code input_l2} column (each
 * input delta's L2 norm, config order) makes the per-layer input norms and exact cosine
 * aggregates appear.
 */
public final class ReportTables {
  /** The report's file name in OUTPUT. */
  public static final String REPORT = "report.html";
  static final String STATS_DIR = "stats";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_JSON = 64 << 20;

  private ReportTables() {}

  /**
   * Writes {@code output/report.html} from the committed files (replacing an earlier one; a
   * reader never sees a half-written page). Call after the commit and again after evaluation.
   *
   * @param spec the job (a grid's first candidate), for the names of the inputs; null when
   *     unknown (the charts then say "input 1", "input 2", ...)
   */
  public static void write(JavaSparkContext jsc, CheckpointFs fs, String output, JobSpec spec) {
    Path root = fs.resolve(output);
    String html = ReportWriter.html(read(jsc, fs, root, spec == null ? List.of()
        : inputNames(spec)));
    FileSystem fileSystem = fs.fileSystem(root);
    Path target = new Path(root, REPORT);
    Path temp = new Path(root, "." + REPORT + ".tmp");
    try {
      try (OutputStream out = fileSystem.create(temp, true)) {
        out.write(html.getBytes(StandardCharsets.UTF_8));
      }
      fileSystem.delete(target, false); // HDFS's rename does not replace
      if (!fileSystem.rename(temp, target)) {
        throw new IOException("rename of " + temp + " failed");
      }
    } catch (IOException e) {
      throw new CheckpointException(target + ": cannot write the report: " + e.getMessage(), e);
    }
  }

  /** The non-base inputs of the job's first slice in config order: cosine_to_inputs' columns. */
  public static List<String> inputNames(JobSpec spec) {
    List<String> names = new ArrayList<>();
    SliceSpec slice = spec.slices().get(0);
    ModelRef base = spec.baseModelOf(slice);
    for (SourceSpec s : slice.sources()) {
      if (!s.model().equals(base)) {
        names.add(s.model().display());
      }
    }
    return names;
  }

  /**
   * The committed config of {@code root}: its mergekit_config.yml, or for a grid the first
   * written candidate's; null if there is none.
   */
  public static Path configFile(CheckpointFs fs, Path root) {
    Path own = new Path(root, Committer.CONFIG_COPY);
    if (fs.exists(own)) {
      return own;
    }
    JsonNode list = json(fs, new Path(root, GridJob.CANDIDATES));
    for (JsonNode c : list == null ? List.<JsonNode>of() : list) {
      Path file = new Path(new Path(root, c.path("id").asText()), Committer.CONFIG_COPY);
      if (!"failed".equals(c.path("status").asText()) && fs.exists(file)) {
        return file;
      }
    }
    return null;
  }

  /** Everything the report of {@code root} shows. */
  public static ReportData read(JavaSparkContext jsc, CheckpointFs fs, Path root,
      List<String> inputNames) {
    List<String> notes = new ArrayList<>();
    Map<String, String> facts = new LinkedHashMap<>();
    JsonNode candidatesJson = json(fs, new Path(root, GridJob.CANDIDATES));
    JsonNode combine = json(fs, new Path(root, "combine-report.json"));
    ReportData.Kind kind = candidatesJson != null ? ReportData.Kind.GRID
        : combine != null ? ReportData.Kind.ADAPTER : ReportData.Kind.MODEL;
    List<Candidate> candidates = candidates(candidatesJson);
    List<ReportData.Shard> shards = new ArrayList<>();
    Path modelDir = root;
    if (kind == ReportData.Kind.GRID) {
      facts.put("candidates", candidates.size() + " (" + statusCounts(candidates) + ")");
      for (JsonNode c : candidatesJson) {
        for (JsonNode s : c.path("shards")) {
          shards.add(new ReportData.Shard(c.path("id").asText(), s.path("file").asText(),
              s.path("length").asLong(), s.path("sha256").asText()));
        }
      }
      modelDir = candidates.stream().filter(c -> !"failed".equals(c.status())).findFirst()
          .map(c -> new Path(root, c.id())).orElse(null);
    }
    JsonNode manifest = modelDir == null ? null
        : json(fs, new Path(modelDir, Committer.MANIFEST));
    List<ReportData.InputModel> inputs = new ArrayList<>();
    if (manifest != null) {
      facts.put("merge method", manifest.path("merge_method").asText());
      if (kind == ReportData.Kind.MODEL) {
        facts.put("config hash", manifest.path("config_hash").asText());
        facts.put("tensors", manifest.path("tensors").asText());
        for (JsonNode s : manifest.path("shards")) {
          shards.add(new ReportData.Shard("", s.path("file").asText(),
              s.path("length").asLong(), s.path("sha256").asText()));
        }
      }
      facts.put("seed", manifest.path("seed").asText());
      facts.put("tool", manifest.path("tool").asText());
      manifest.path("inputs").forEach(i -> inputs.add(new ReportData.InputModel(
          i.path("path").asText(), i.path("bytes").asLong())));
      manifest.path("warnings").forEach(w -> notes.add("warning: " + w.asText()));
    }
    Path configFile = configFile(fs, root);
    String config = configFile == null ? null : text(fs, configFile);
    ReportData.AdapterSummary adapter = adapter(combine, facts);
    List<TensorRow> tensors = tensors(jsc, fs, root, candidates, notes);
    if (tensors.isEmpty() && kind != ReportData.Kind.ADAPTER) {
      notes.add("No per-tensor statistics in " + STATS_DIR + "/: the per-layer charts and the"
          + " cosine heat map are left out.");
    }
    if (!tensors.isEmpty() && inputNames.size() != tensors.get(0).cosineToInputs().length) {
      notes.add("The input names are unknown here; the charts number the inputs in config"
          + " order.");
    }
    if (kind == ReportData.Kind.ADAPTER) {
      notes.add("An adapter output has no merge-manifest.json: no shard hashes to show.");
    }
    JsonNode eval = json(fs, new Path(root, Evaluation.EVAL_JSON));
    JsonNode best = json(fs, new Path(root, GridScores.BEST));
    return new ReportData(kind, root.getName(), facts, config, inputNames, inputs, shards,
        candidates, tensors, scores(eval), selection(eval, best), adapter, notes);
  }

  private static List<Candidate> candidates(JsonNode list) {
    List<Candidate> out = new ArrayList<>();
    if (list == null) {
      return out;
    }
    for (JsonNode c : list) {
      Map<String, String> values = new LinkedHashMap<>();
      c.path("values").fields().forEachRemaining(e -> values.put(e.getKey(),
          e.getValue().asText()));
      out.add(new Candidate(c.path("id").asText(), values, c.path("status").asText(),
          c.path("config_hash").asText(), c.path("merge_method").asText(),
          c.hasNonNull("rank") ? c.path("rank").asInt() : null,
          c.hasNonNull("error") ? c.path("error").asText() : null));
    }
    return out;
  }

  private static String statusCounts(List<Candidate> candidates) {
    Map<String, Integer> n = new LinkedHashMap<>();
    candidates.forEach(c -> n.merge(c.status(), 1, Integer::sum));
    StringBuilder b = new StringBuilder();
    n.forEach((s, k) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ').append(s));
    return b.toString();
  }

  private static ReportData.AdapterSummary adapter(JsonNode combine, Map<String, String> facts) {
    if (combine == null) {
      return null;
    }
    Map<String, Double> energy = new LinkedHashMap<>();
    combine.path("energy_kept").fields().forEachRemaining(e -> energy.put(e.getKey(),
        e.getValue().doubleValue()));
    List<String> randomized = new ArrayList<>();
    combine.path("randomized_svd").path("modules").forEach(m -> randomized.add(m.asText()));
    facts.put("combination", combine.path("combination").asText());
    facts.put("rank", combine.path("rank").asText());
    facts.put("config hash", combine.path("config_hash").asText());
    return new ReportData.AdapterSummary(combine.path("combination").asText(),
        combine.path("rank").asInt(), combine.hasNonNull("solver")
            ? combine.path("solver").asText() : null, energy, randomized);
  }

  /** The statistics table's rows, a grid's in candidates.json order; none if there is none. */
  private static List<TensorRow> tensors(JavaSparkContext jsc, CheckpointFs fs, Path root,
      List<Candidate> candidates, List<String> notes) {
    Path dir = new Path(root, STATS_DIR);
    if (!fs.exists(dir)) {
      return List.of();
    }
    SparkSession spark = SparkSession.builder().sparkContext(jsc.sc()).getOrCreate();
    List<Row> rows;
    boolean hasInputL2;
    try {
      var df = spark.read().parquet(dir.toString());
      hasInputL2 = List.of(df.columns()).contains("input_l2");
      rows = df.selectExpr("_metadata.file_path", "tensor", "numel", "delta_l2",
          "changed_fraction", "sign_conflict_rate", "cosine_to_inputs",
          hasInputL2 ? "input_l2" : "CAST(NULL AS ARRAY<DOUBLE>) AS input_l2").collectAsList();
    } catch (Exception e) { // Scala's AnalysisException is checked in Java's eyes, not declared
      if (!(e instanceof AnalysisException)) {
        throw e;
      }
      // e.g. a directory without Parquet files yet
      notes.add("The statistics table " + dir + " cannot be read: " + e.getMessage());
      return List.of();
    }
    Map<String, List<TensorRow>> byModel = new LinkedHashMap<>();
    candidates.forEach(c -> byModel.put(c.id(), new ArrayList<>()));
    for (Row r : rows) {
      String model = modelOf(r.getString(0));
      byModel.computeIfAbsent(model, k -> new ArrayList<>()).add(new TensorRow(model,
          r.getString(1), r.getLong(2), r.getDouble(3), r.getDouble(4), r.getDouble(5),
          doubles(r.getList(6)), r.isNullAt(7) ? null : doubles(r.getList(7))));
    }
    List<TensorRow> out = new ArrayList<>();
    byModel.values().forEach(out::addAll);
    return out;
  }

  /** The candidate a statistics file belongs to ({@code .../candidate=<id>/part-...}). */
  private static String modelOf(String fileUri) {
    String parent;
    try {
      parent = new Path(new URI(fileUri)).getParent().getName();
    } catch (URISyntaxException e) {
      parent = new Path(fileUri).getParent().getName();
    }
    return parent.startsWith("candidate=") ? parent.substring("candidate=".length())
        : TensorRow.MERGED;
  }

  private static double[] doubles(List<Object> list) {
    double[] v = new double[list.size()];
    for (int i = 0; i < v.length; i++) {
      Object o = list.get(i);
      v[i] = o == null ? Double.NaN : ((Number) o).doubleValue();
    }
    return v;
  }

  private static List<Score> scores(JsonNode eval) {
    List<Score> out = new ArrayList<>();
    if (eval == null) {
      return out;
    }
    for (JsonNode m : eval.path("models")) {
      out.add(new Score(m.path("model").asText(), m.path("role").asText(),
          m.hasNonNull("rank") ? m.path("rank").asInt() : null, EvalRecords.metrics(m),
          m.hasNonNull("error") ? m.path("error").asText() : null));
    }
    return out;
  }

  private static ReportData.Selection selection(JsonNode eval, JsonNode best) {
    JsonNode select = eval == null ? null : eval.get("select");
    if (select == null && best == null) {
      return null;
    }
    JsonNode from = best != null ? best : select;
    return new ReportData.Selection(from.path("metric").asText(), from.path("goal").asText(),
        best == null ? null : best.path("id").asText(),
        best == null || !best.path("value").isNumber() ? null : best.path("value").asDouble(),
        best == null || !best.has("beats_every_input") ? null
            : best.path("beats_every_input").asBoolean());
  }

  private static JsonNode json(CheckpointFs fs, Path file) {
    String text = text(fs, file);
    if (text == null) {
      return null;
    }
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new CheckpointException(file + ": not valid JSON: " + e.getMessage(), e);
    }
  }

  private static String text(CheckpointFs fs, Path file) {
    if (!fs.exists(file)) {
      return null;
    }
    return new String(fs.readSmallFile(file, file.getName(), MAX_JSON), StandardCharsets.UTF_8);
  }
}
