package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Grid searches through `run`: K candidates in one job, each identical to its solo run. */
class GridRunTest {
  @TempDir static Path tmp;
  static Path base;
  static Path ft1;
  static Path ft2;

  @BeforeAll
  static void writeModels() throws Exception {
    TestSpark.context();
    base = TinyModel.write(tmp.resolve("base"), "base", DType.BF16);
    ft1 = TinyModel.write(tmp.resolve("ft1"), "ft1", DType.BF16);
    ft2 = TinyModel.write(tmp.resolve("ft2"), "ft2", DType.BF16);
  }

  private static String models() {
    return "base_model: " + base + "\nmodels:\n  - model: " + ft1 + "\n  - model: " + ft2 + "\n";
  }

  private static String grid(String densities) {
    return "merge_method: ties\n" + models() + "parameters: {normalize: true}\n"
        + "grid:\n  density: " + densities + "\n  weight: [0.5, 1.0]\n";
  }

  /**
   * Shard hashes of the TIES merge of the same models with these top-level parameters, run alone
   * into {@code tmp/<name>} (config {@code tmp/<name>.yml}).
   */
  private static Map<String, String> soloHashes(String name, String parameters) throws Exception {
    Path solo = tmp.resolve(name + ".yml");
    Files.writeString(solo, "merge_method: ties\n" + models() + "parameters: {" + parameters
        + "}\n");
    Path soloOut = tmp.resolve(name);
    assertEquals(0, MergeRunTest.cli("run", "-q", solo.toString(), soloOut.toString()).code());
    return MergeRunTest.shardHashes(soloOut);
  }

  private static JsonNode candidates(Path out) throws Exception {
    return new ObjectMapper().readTree(out.resolve(GridJob.CANDIDATES).toFile());
  }

  @Test
  void sixCandidatesEachIdenticalToItsSoloRun() throws Exception {
    Path cfg = tmp.resolve("grid.yml");
    Files.writeString(cfg, grid("[0.3, 0.5, 0.7]"));
    Path out = tmp.resolve("grid-out");
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    JsonNode list = candidates(out);
    assertEquals(6, list.size());
    List<String> ids = new ArrayList<>();
    for (JsonNode c : list) {
      ids.add(c.get("id").asText());
      assertEquals("complete", c.get("status").asText());
      assertEquals(5, c.get("shards").size());
      assertTrue(Files.exists(out.resolve(c.get("path").asText()).resolve("_SUCCESS")));
    }
    assertEquals(List.of("density-0.3_weight-0.5", "density-0.3_weight-1.0",
        "density-0.5_weight-0.5", "density-0.5_weight-1.0", "density-0.7_weight-0.5",
        "density-0.7_weight-1.0"), ids);
    // The same candidate as a plain config, run alone, gives the same shard bytes.
    assertEquals(soloHashes("solo-out", "normalize: true, density: 0.5, weight: 1.0"),
        MergeRunTest.shardHashes(out.resolve("density-0.5_weight-1.0")));
    // The statistics table: one row per candidate and tensor, queryable with Spark SQL.
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder()
        .sparkContext(TestSpark.context().sc()).getOrCreate();
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> stats =
        spark.read().parquet(out.resolve("stats").toString());
    assertEquals(6L * TinyModel.shapes().size(), stats.count());
    org.apache.spark.sql.Row row = stats.where("candidate = 'density-0.5_weight-1.0' AND tensor"
        + " = 'model.norm.weight'").first();
    float[] merged = MergeRunTest.read(out.resolve("density-0.5_weight-1.0"), "model.norm.weight");
    double sq = 0;
    for (int i = 0; i < merged.length; i++) {
      double d = merged[i] - TinyModel.value("base", "model.norm.weight", i);
      sq += d * d;
    }
    assertEquals(Math.sqrt(sq), row.getDouble(row.fieldIndex("delta_l2")), 1e-9);
    assertEquals(2, row.getList(row.fieldIndex("cosine_to_inputs")).size());
    JsonNode c = list.get(3);
    Path soloManifest = tmp.resolve("solo-out").resolve("merge-manifest.json");
    assertEquals(new ObjectMapper().readTree(soloManifest.toFile()).get("config_hash").asText(),
        c.get("config_hash").asText());
    assertEquals("0.5", c.get("values").get("density").asText());
  }

  @Test
  void resumeKeepsFinishedCandidatesAndExtendingComputesOnlyNewPoints() throws Exception {
    Path cfg = tmp.resolve("grid2.yml");
    Files.writeString(cfg, grid("[0.3, 0.5]"));
    Path out = tmp.resolve("grid2-out");
    assertEquals(0, MergeRunTest.cli("run", "-q", cfg.toString(), out.toString()).code());
    Path kept = out.resolve("density-0.3_weight-0.5").resolve("model-00002-of-00005.safetensors");
    long modified = Files.getLastModifiedTime(kept).toMillis();
    Map<String, String> hashes = MergeRunTest.shardHashes(out.resolve("density-0.3_weight-0.5"));
    MergeRunTest.Run again = MergeRunTest.cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(1, again.code(), "an existing grid output needs --resume");
    Thread.sleep(20);
    Files.writeString(cfg, grid("[0.3, 0.5, 0.9]"));
    MergeRunTest.Run extended = MergeRunTest.cli("run", "-q", "--resume", cfg.toString(),
        out.toString());
    assertEquals(0, extended.code(), extended.err());
    assertTrue(extended.out().contains("2 written, 4 already complete, 0 failed"),
        extended.out());
    assertEquals(modified, Files.getLastModifiedTime(kept).toMillis(), "finished files untouched");
    assertEquals(hashes, MergeRunTest.shardHashes(out.resolve("density-0.3_weight-0.5")));
    assertEquals(6, candidates(out).size());
  }

  @Test
  void explicitCandidatesAsSeveralDocuments() throws Exception {
    Path cfg = tmp.resolve("multi.yml");
    Files.writeString(cfg, "merge_method: ties\n" + models()
        + "parameters: {weight: 1.0, density: 0.4}\n---\n"
        + "merge_method: linear\nmodels:\n  - model: " + ft1 + "\n    parameters: {weight: 1}\n"
        + "  - model: " + ft2 + "\n    parameters: {weight: 3}\n");
    Path out = tmp.resolve("multi-out");
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err());
    JsonNode list = candidates(out);
    assertEquals("config-01", list.get(0).get("id").asText());
    assertEquals("linear", list.get(1).get("merge_method").asText());
    float[] merged = MergeRunTest.read(out.resolve("config-02"), "model.norm.weight");
    for (int i = 0; i < merged.length; i++) {
      double want = (TinyModel.value("ft1", "model.norm.weight", i)
          + 3.0 * TinyModel.value("ft2", "model.norm.weight", i)) / 4.0;
      assertEquals(want, merged[i], Math.abs(want) / 128 + 1e-9, "element " + i);
    }
  }

  @Test
  void everyCandidateIsValidatedBeforeAnythingRuns() throws Exception {
    Path cfg = tmp.resolve("bad-grid.yml");
    Files.writeString(cfg, "merge_method: ties\n" + models()
        + "parameters: {weight: 1.0}\ngrid:\n  density: [0.5, -0.5]\n");
    Path out = tmp.resolve("bad-grid-out");
    MergeRunTest.Run run = MergeRunTest.cli("run", cfg.toString(), out.toString());
    assertEquals(1, run.code());
    assertTrue(run.err().contains("density"), run.err());
    assertTrue(!Files.exists(out), "nothing written");
  }

  @Test
  void aCandidateThatFailsAloneDoesNotFailTheOthersOfItsGroup() throws Exception {
    Path cfg = tmp.resolve("grid3.yml");
    Files.writeString(cfg, grid("[0.3, 0.5]"));
    Path out = tmp.resolve("grid3-out");
    // A stray file where one candidate's directory must go: that candidate cannot be written,
    // the three others read the same inputs in the same job and must still complete.
    Files.createDirectories(out);
    Files.writeString(out.resolve("density-0.5_weight-1.0"), "left over by someone else\n");
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", "--resume", cfg.toString(),
        out.toString());
    assertEquals(1, run.code(), "a failed candidate makes the exit code 1");
    assertTrue(run.out().contains("3 written, 0 already complete, 1 failed"), run.out());
    JsonNode list = candidates(out);
    for (JsonNode c : list) {
      String id = c.get("id").asText();
      if (id.equals("density-0.5_weight-1.0")) {
        assertEquals("failed", c.get("status").asText());
        assertTrue(c.get("error").asText().contains("density-0.5_weight-1.0"),
            c.get("error").asText());
      } else {
        assertEquals("complete", c.get("status").asText(), id);
        assertTrue(Files.exists(out.resolve(id).resolve("_SUCCESS")), id);
        assertEquals(5, c.get("shards").size(), id);
      }
    }
  }

  @Test
  void withTheStatisticsStageEveryCandidateStillMatchesItsSoloRun() throws Exception {
    // 64-byte chunks: every tensor of the tiny model has several, so all statistics come from
    // the statistics stage, shared per density across the weights and read once per chunk.
    Path cfg = tmp.resolve("grid4.yml");
    Files.writeString(cfg, grid("[0.3, 0.7]"));
    Path out = tmp.resolve("grid4-out");
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", "--chunk-size", "64", cfg.toString(),
        out.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    for (String density : List.of("0.3", "0.7")) {
      for (String weight : List.of("0.5", "1.0")) {
        assertEquals(soloHashes("solo-" + density + "-" + weight, "normalize: true, density: "
            + density + ", weight: " + weight), MergeRunTest.shardHashes(
            out.resolve("density-" + density + "_weight-" + weight)), density + "/" + weight);
      }
    }
  }

  @Test
  void candidatesSharingStatisticsKeepTheirOwnWeights() throws Exception {
    // Unnormalized, so the weights change every merged value (with normalize: true, weights
    // 0.5 and 1.0 give the same bits and could not tell candidates apart); candidates of one
    // density share their statistics. Each must still match its solo run.
    Path cfg = tmp.resolve("grid-turns.yml");
    Files.writeString(cfg, "merge_method: ties\n" + models() + "parameters: {normalize: false}\n"
        + "grid:\n  density: [0.4, 0.6]\n  weight: [0.3, 1.0]\n");
    Path out = tmp.resolve("grid-turns-out");
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    for (String density : List.of("0.4", "0.6")) {
      Map<String, String> byWeight = new java.util.HashMap<>();
      for (String weight : List.of("0.3", "1.0")) {
        Map<String, String> hashes = MergeRunTest.shardHashes(
            out.resolve("density-" + density + "_weight-" + weight));
        assertEquals(soloHashes("turns-solo-" + density + "-" + weight, "normalize: false,"
            + " density: " + density + ", weight: " + weight), hashes, density + "/" + weight);
        byWeight.put(weight, hashes.toString());
      }
      assertNotEquals(byWeight.get("0.3"), byWeight.get("1.0"), "weights must change the output");
    }
  }
}
