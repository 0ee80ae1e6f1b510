package dev.sparkmerge.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code output: bake}: N adapters → N full models in one job. Every model equals base + its own
 * ΔW (float64 from the adapter files), and the base is read about once for all of them, not N
 * times.
 */
class BakeTest {
  @TempDir static Path tmp;

  @BeforeAll
  static void spark() {
    dev.sparkmerge.testutil.TestSpark.context();
  }

  @Test
  void fourAdaptersBakedInOnePassOverTheBase() throws IOException {
    Path base = LoraFixtures.zeroBase(tmp.resolve("base"), LoraFixtures.miniLmSpecs(),
        "{\"model_type\": \"bert\", \"num_hidden_layers\": 6}");
    Path cfg = tmp.resolve("bake.yml");
    Files.writeString(cfg, "merge_method: task_arithmetic\nbase_model: " + base + "\n"
        + "adapters:\n  paths: " + LoraFixtures.models() + "/minilm-l6-lora-dee66-*\n"
        + "output: bake\ndtype: float32\n");
    Path out = tmp.resolve("baked");
    long before = FileSystem.getStatistics("file", RawLocalFileSystem.class).getBytesRead();
    LoraMergeEndToEndTest.Run run = LoraMergeEndToEndTest.cli("run", "-q", cfg.toString(),
        out.toString());
    long read = FileSystem.getStatistics("file", RawLocalFileSystem.class).getBytesRead() - before;
    assertEquals(0, run.code(), run.err() + run.out());
    JsonNode candidates = LoraFixtures.JSON.readTree(out.resolve("candidates.json").toFile());
    assertEquals(4, candidates.size());
    for (String name : List.of("a", "b", "c", "d")) {
      String id = "minilm-l6-lora-dee66-" + name;
      Path model = out.resolve(id);
      assertTrue(Files.exists(model.resolve("_SUCCESS")), id);
      String module = "encoder.layer.4.attention.self.value";
      double[][] d = LoraMergeEndToEndTest.delta(LoraFixtures.model(id),
          "base_model.model." + module, 384, 384, false);
      float[] got = LoraMergeEndToEndTest.read(model, module + ".weight");
      for (int i = 0; i < got.length; i++) {
        assertEquals(d[0][i], got[i], 8 * 0x1p-24 * d[1][i] + Math.ulp((float) d[0][i]),
            id + " " + module + "[" + i + "]");
      }
    }
    // The base (read as the base and as the stored part of each BASE+ADAPTER input) is read
    // once per chunk for all four models: about 2 × its size, where four separate merges read 8 ×.
    long baseBytes = Files.size(base.resolve("model.safetensors"));
    assertTrue(read < 3 * baseBytes, "read " + read + " bytes for a " + baseBytes + "-byte base");
  }
}
