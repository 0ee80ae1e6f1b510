package dev.sparkmerge.report;

import java.util.List;
import java.util.Map;

/**
 * Everything {@code OUTPUT/report.html} shows, as plain values: what the committed files and the
 * statistics tables of one output hold. Filled by {@code dev.sparkmerge.engine.ReportTables}
 * (which reads Parquet with Spark and the JSON files); written by {@link ReportWriter}, which
 * reads nothing. Lists are in the order the files give them; absent parts are empty lists or
 * null, never placeholders.
 *
 * @param kind what OUTPUT is
 * @param name the output's name (the last path segment)
 * @param facts short labelled values for the summary (merge method, config hash, seed, ...)
 * @param configText the config as committed (mergekit_config.yml), or null
 * @param inputNames the non-base inputs in config order: the columns of {@code
 *     cosine_to_inputs} (and of {@code input_l2} when recorded)
 * @param inputs input model locations and sizes (merge-manifest.json)
 * @param shards written files with their SHA-256 (merge-manifest.json, candidates.json)
 * @param candidates grid candidates (candidates.json); empty for a single output
 * @param tensors per-tensor statistics (OUTPUT/stats/ Parquet)
 * @param scores evaluated models (eval.json), candidates and inputs alike
 * @param selection the selected metric and the winner, or null
 * @param adapter the combined adapter's report (combine-report.json), or null
 * @param notes sentences about what is missing or approximate, shown near the top
 */
public record ReportData(Kind kind, String name, Map<String, String> facts, String configText,
    List<String> inputNames, List<InputModel> inputs, List<Shard> shards,
    List<Candidate> candidates,
    List<TensorRow> tensors, List<Score> scores, Selection selection, AdapterSummary adapter,
    List<String> notes) {

  /** What kind of output the report describes. */
  public enum Kind { MODEL, GRID, ADAPTER }

  public ReportData {
    facts = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(facts));
    inputNames = List.copyOf(inputNames);
    inputs = List.copyOf(inputs);
    shards = List.copyOf(shards);
    candidates = List.copyOf(candidates);
    tensors = List.copyOf(tensors);
    scores = List.copyOf(scores);
    notes = List.copyOf(notes);
  }

  /** An input model of merge-manifest.json. */
  public record InputModel(String path, long bytes) {}

  /** A written file; {@code owner} is the candidate id in a grid, else empty. */
  public record Shard(String owner, String file, long length, String sha256) {}

  /** A grid candidate of candidates.json; {@code rank} and {@code error} may be null. */
  public record Candidate(String id, Map<String, String> values, String status,
      String configHash, String mergeMethod, Integer rank, String error) {
    public Candidate {
      values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
    }
  }

  /**
   * One row of the statistics table: {@code model} is the candidate id in a grid, or
   * {@link #MERGED} for a single output. {@code inputL2} (each input delta's L2 norm) is null
   * unless the table records it.
   */
  public record TensorRow(String model, String tensor, long numel, double deltaL2,
      double changedFraction, double signConflictRate, double[] cosineToInputs,
      double[] inputL2) {
    /** The model name of a single output's rows. */
    public static final String MERGED = "merged";
  }

  /**
   * One evaluated model of eval.json: {@code role} is model, candidate or input; {@code
   * metrics} by their select.metric names (mean_loss, add.loss, add.exact_match, ...).
   */
  public record Score(String model, String role, Integer rank, Map<String, Double> metrics,
      String error) {}

  /**
   * The select: block and best.json: {@code best}, {@code bestValue} and {@code
   * beatsEveryInput} are null when nothing was ranked.
   */
  public record Selection(String metric, String goal, String best, Double bestValue,
      Boolean beatsEveryInput) {
    public boolean minimize() {
      return !"maximize".equals(goal);
    }
  }

  /** combine-report.json of an {@code output: adapter} run. */
  public record AdapterSummary(String combination, int rank, String solver,
      Map<String, Double> energyKept, List<String> randomizedModules) {}
}
