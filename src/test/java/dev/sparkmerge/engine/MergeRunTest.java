package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.TensorLocation;
import dev.sparkmerge.cli.Main;
import dev.sparkmerge.testutil.TestSpark;
import dev.sparkmerge.testutil.TinyModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `sparkmerge run` end to end on Spark local mode: real safetensors inputs, real output directory,
 * values checked against float64 computed in the test.
 */
class MergeRunTest {
  @TempDir static Path tmp;
  static Path a;
  static Path b;
  static Path c;

  @BeforeAll
  static void models() throws IOException {
    TestSpark.context();
    a = TinyModel.write(tmp.resolve("a"), "a", DType.BF16);
    b = TinyModel.write(tmp.resolve("b"), "b", DType.BF16);
    c = TinyModel.write(tmp.resolve("c"), "c", DType.BF16);
  }

  record Run(int code, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  static Path config(String name, String yaml) throws IOException {
    Path p = tmp.resolve(name);
    Files.writeString(p, yaml);
    return p;
  }

  static float[] read(Path modelDir, String tensor) {
    CheckpointFs fs = CheckpointFs.withDefaults();
    HfModel m = HfModel.open(fs, modelDir.toString());
    TensorLocation loc = m.require(tensor);
    try (SafetensorsFile f = SafetensorsFile.open(fs, new org.apache.hadoop.fs.Path(loc.file()))) {
      float[] v = new float[(int) loc.info().numel()];
      f.readFloats(loc.info(), 0, v, 0, v.length, null);
      return v;
    }
  }

  static Map<String, String> shardHashes(Path dir) throws Exception {
    Map<String, String> h = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (p.getFileName().toString().endsWith(".safetensors")) {
          h.put(p.getFileName().toString(), HexFormat.of().formatHex(
              MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        }
      }
    }
    return h;
  }

  @Test
  void linearMergeMatchesFloat64AndWritesACompleteModel() throws Exception {
    Path cfg = config("linear.yml", "merge_method: linear\n"
        + "models:\n"
        + "  - model: " + a + "\n    parameters: {weight: 0.7}\n"
        + "  - model: " + b + "\n    parameters: {weight: 0.2}\n"
        + "  - model: " + c + "\n    parameters: {weight: 0.1}\n"
        + "dtype: float32\n");
    Path out = tmp.resolve("out-linear");
    Run run = cli("run", cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    for (Map.Entry<String, long[]> e : TinyModel.shapes().entrySet()) {
      float[] got = read(out, e.getKey());
      for (int i = 0; i < got.length; i++) {
        double want = (0.7 * TinyModel.value("a", e.getKey(), i)
            + 0.2 * TinyModel.value("b", e.getKey(), i)
            + 0.1 * TinyModel.value("c", e.getKey(), i)) / (0.7 + 0.2 + 0.1);
        assertEquals(want, got[i], 1e-6, e.getKey() + "[" + i + "]");
      }
    }
    // One shard per layer plus the embeddings and the head: 1 + 3 + 1 files, with an index.
    assertEquals(5, shardHashes(out).size());
    JsonNode index = new ObjectMapper().readTree(out.resolve("model.safetensors.index.json")
        .toFile());
    assertEquals(TinyModel.shapes().size(), index.get("weight_map").size());
    assertEquals("model-00002-of-00005.safetensors",
        index.get("weight_map").get("model.layers.0.self_attn.q_proj.weight").asText());
    JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
    assertEquals("float32", config.get("torch_dtype").asText());
    assertEquals(TinyModel.LAYERS, config.get("num_hidden_layers").asInt());
    assertEquals("{\"salt\": \"a\"}\n", Files.readString(out.resolve("tokenizer.json")),
        "tokenizer from the first model when there is no base");
    assertEquals(Files.readString(cfg), Files.readString(out.resolve("mergekit_config.yml")));
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
    JsonNode manifest = new ObjectMapper().readTree(out.resolve("merge-manifest.json").toFile());
    assertEquals(5, manifest.get("shards").size());
    Map<String, String> hashes = shardHashes(out);
    for (JsonNode s : manifest.get("shards")) {
      assertEquals(hashes.get(s.get("file").asText()), s.get("sha256").asText());
    }
    assertTrue(Files.readString(out.resolve("README.md")).contains("linear"));
  }

  @Test
  void sameConfigGivesByteIdenticalShardsForAnyChunkSize() throws Exception {
    Path cfg = config("ties.yml", "merge_method: ties\n"
        + "base_model: " + a + "\n"
        + "models:\n"
        + "  - model: " + b + "\n    parameters: {weight: 1.0, density: 0.5}\n"
        + "  - model: " + c + "\n    parameters: {weight: 0.5, density: 0.3}\n"
        + "parameters: {normalize: true}\n"
        + "dtype: bfloat16\n");
    Path one = tmp.resolve("ties-1");
    Path two = tmp.resolve("ties-2");
    assertEquals(0, cli("run", cfg.toString(), one.toString()).code());
    Run small = cli("run", "--chunk-size", "28B", "--max-shard-size", "1KB", cfg.toString(),
        two.toString());
    assertEquals(0, small.code(), small.err());
    // Different sharding, same tensors: compare tensor by tensor.
    for (String name : TinyModel.shapes().keySet()) {
      assertArrayEquals(read(one, name), read(two, name), name);
    }
    Path three = tmp.resolve("ties-3");
    assertEquals(0, cli("run", "--chunk-size", "4B", cfg.toString(), three.toString()).code());
    assertEquals(shardHashes(one), shardHashes(three));
  }

  @Test
  void existingOutputNeedsResumeAndResumeRewritesOnlyMissingShards() throws Exception {
    Path cfg = config("resume.yml", "merge_method: task_arithmetic\n"
        + "base_model: " + a + "\n"
        + "models:\n"
        + "  - model: " + b + "\n    parameters: {weight: 0.5}\n"
        + "  - model: " + c + "\n    parameters: {weight: 0.5}\n");
    Path out = tmp.resolve("resume");
    assertEquals(0, cli("run", cfg.toString(), out.toString()).code());
    Map<String, String> before = shardHashes(out);
    Run again = cli("run", cfg.toString(), out.toString());
    assertEquals(1, again.code());
    assertTrue(again.err().contains("--resume"), again.err());
    Run noop = cli("run", "--resume", cfg.toString(), out.toString());
    assertEquals(0, noop.code(), noop.err());
    assertTrue(noop.out().contains("already complete"), noop.out());
    // Simulate a crash: one shard lost, no _SUCCESS.
    String lost = "model-00003-of-00005.safetensors";
    Path kept = out.resolve("model-00002-of-00005.safetensors");
    long keptModified = Files.getLastModifiedTime(kept).toMillis();
    Files.delete(out.resolve(lost));
    Files.delete(out.resolve("_SUCCESS"));
    Thread.sleep(20);
    Run resumed = cli("run", "--resume", cfg.toString(), out.toString());
    assertEquals(0, resumed.code(), resumed.err());
    assertTrue(resumed.out().contains("Wrote 1 shard(s) (kept 4"), resumed.out());
    assertEquals(before, shardHashes(out));
    assertEquals(keptModified, Files.getLastModifiedTime(kept).toMillis());
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
  }

  @Test
  void badConfigIsReportedBeforeAnythingIsWritten() throws Exception {
    Path cfg = config("bad.yml", "merge_method: tiess\n"
        + "base_model: " + a + "\n"
        + "models:\n"
        + "  - model: " + b + "\n    parameters: {weight: 1.0, densty: 0.5}\n");
    Path out = tmp.resolve("never");
    Run run = cli("run", cfg.toString(), out.toString());
    assertEquals(1, run.code());
    assertTrue(run.err().contains("ties"), run.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void planCommandShowsShardsAndResolvedParameters() throws Exception {
    Path cfg = config("slerp.yml", "merge_method: slerp\n"
        + "base_model: " + a + "\n"
        + "models:\n  - model: " + a + "\n  - model: " + b + "\n"
        + "parameters:\n  t:\n    - filter: self_attn\n      value: [0, 1]\n    - value: 0.5\n");
    Run run = cli("plan", "--verbose", cfg.toString());
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("5 shard(s)"), run.out());
    // Layer 1 of 3: t = 1/2 for self_attn tensors (gradient [0, 1]); others use 0.5.
    assertTrue(run.out().contains("model.layers.2.self_attn.q_proj.weight"), run.out());
    assertTrue(run.out().contains("global: {t=1.0}"), run.out());
    assertTrue(run.out().contains("global: {t=0.0}"), run.out());
  }
}
