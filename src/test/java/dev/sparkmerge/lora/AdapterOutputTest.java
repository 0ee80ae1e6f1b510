package dev.sparkmerge.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.LoraModule;
import dev.sparkmerge.checkpoint.PeftAdapter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code output: adapter} with the real MiniLM adapters: the combined adapter loads as a PEFT
 * adapter of scale 1 and its B·A equals Σ weight·s·B_i·A_i computed here in float64 from the
 * input files ({@code cat} and full-rank {@code svd}); a truncated {@code svd} loses exactly the
 * energy it reports.
 */
class AdapterOutputTest {
  @TempDir static Path tmp;
  static Path base;

  @BeforeAll
  static void base() throws IOException {
    base = LoraFixtures.zeroBase(tmp.resolve("base"), LoraFixtures.miniLmSpecs(),
        "{\"model_type\": \"bert\", \"num_hidden_layers\": 6}");
  }

  private static Path run(String name, String output) throws IOException {
    Path a = LoraFixtures.model("minilm-l6-lora-dee66-a");
    Path c = LoraFixtures.model("minilm-l6-lora-dee66-c");
    Path cfg = tmp.resolve(name + ".yml");
    Files.writeString(cfg, "merge_method: task_arithmetic\nbase_model: " + base + "\n"
        + "models:\n"
        + "  - model: " + base + "+" + a + "\n    parameters: {weight: 1.0}\n"
        + "  - model: " + base + "+" + c + "\n    parameters: {weight: 0.5}\n"
        + "output: " + output + "\n");
    Path out = tmp.resolve(name);
    LoraMergeEndToEndTest.Run run = LoraMergeEndToEndTest.cli("run", cfg.toString(),
        out.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    return out;
  }

  /** Σ w·ΔW of the two inputs for one module, float64 (out × in, math orientation). */
  private static double[] expected(String module) throws IOException {
    double[][] a = LoraMergeEndToEndTest.delta(LoraFixtures.model("minilm-l6-lora-dee66-a"),
        "base_model.model." + module, 384, 384, false);
    double[][] c = LoraMergeEndToEndTest.delta(LoraFixtures.model("minilm-l6-lora-dee66-c"),
        "base_model.model." + module, 384, 384, false);
    double[] sum = new double[a[0].length];
    for (int i = 0; i < sum.length; i++) {
      sum[i] = a[0][i] + 0.5 * c[0][i];
    }
    return sum;
  }

  /** B·A of the combined adapter in float64, read from its raw bytes (scale checked to be 1). */
  private static double[] product(Path out, String module, int rank) {
    Path file = out.resolve("adapter_model.safetensors");
    double[] a = LoraFixtures.rawF32(file, "base_model.model." + module + ".lora_A.weight");
    double[] b = LoraFixtures.rawF32(file, "base_model.model." + module + ".lora_B.weight");
    return LoraFixtures.referenceDelta(a, b, rank, 384, 384, 1.0, false)[0];
  }

  private static double norm(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x * x;
    }
    return Math.sqrt(s);
  }

  @Test
  void catIsExactAndLoadsAsAnAdapterOfScaleOne() throws IOException {
    Path out = run("cat", "adapter");
    PeftAdapter combined = PeftAdapter.open(CheckpointFs.withDefaults(), out.toString());
    assertEquals(8, combined.config().r()); // rank 4 + rank 4
    assertEquals(8.0, combined.config().loraAlpha());
    assertEquals(List.of("query", "value"), combined.config().targetModules());
    assertEquals(12, combined.modules().size());
    for (LoraModule m : combined.modules().values()) {
      assertEquals(1.0, m.scale());
    }
    for (String module : List.of("encoder.layer.0.attention.self.query",
        "encoder.layer.5.attention.self.value")) {
      double[] want = expected(module);
      double[] got = product(out, module, 8);
      double scale = norm(want);
      for (int i = 0; i < want.length; i++) {
        assertEquals(want[i], got[i], 1e-6 * scale + 1e-12, module + "[" + i + "]");
      }
    }
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
  }

  @Test
  void fullRankSvdIsExactAndTruncatedSvdLosesWhatItReports() throws IOException {
    Path full = run("svd-full", "{type: adapter, combination: svd, rank: 8}");
    String module = "encoder.layer.3.attention.self.query";
    double[] want = expected(module);
    double[] got = product(full, module, 8);
    double scale = norm(want);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-5 * scale, module + "[" + i + "]");
    }
    Path low = run("svd-2", "{type: adapter, combination: svd, rank: 2}");
    JsonNode report = LoraFixtures.JSON.readTree(low.resolve("combine-report.json").toFile());
    double kept = report.get("energy_kept").get(module).asDouble();
    assertTrue(kept > 0 && kept < 1, "energy kept " + kept);
    double[] approx = product(low, module, 2);
    double err = 0;
    for (int i = 0; i < want.length; i++) {
      err += (want[i] - approx[i]) * (want[i] - approx[i]);
    }
    // Eckart–Young: the squared error of the best rank-2 approximation is the discarded energy.
    assertEquals((1 - kept) * scale * scale, err, 1e-4 * scale * scale);
  }

  @Test
  void adapterWithAClassificationHeadCannotBeCombined() throws IOException {
    Path gpt2Base = LoraFixtures.zeroBase(tmp.resolve("gpt2"), LoraFixtures.specs(
        LoraFixtures.gpt2Shapes(""), dev.sparkmerge.checkpoint.DType.BF16),
        "{\"model_type\": \"gpt2\", \"n_layer\": 12}");
    Path head = LoraFixtures.model("gpt2-lora-sidmahurkar-emotion-seqcls");
    Path cfg = tmp.resolve("head.yml");
    Files.writeString(cfg, "merge_method: task_arithmetic\nbase_model: " + gpt2Base + "\n"
        + "models:\n  - model: " + gpt2Base + "+" + head + "\n    parameters: {weight: 1.0}\n"
        + "output: adapter\n");
    Path out = tmp.resolve("head-out");
    LoraMergeEndToEndTest.Run run = LoraMergeEndToEndTest.cli("run", cfg.toString(),
        out.toString());
    assertEquals(1, run.code());
    assertTrue(run.err().contains("score.weight"), run.err());
    assertFalse(Files.exists(out.resolve("_SUCCESS")));
  }
}
