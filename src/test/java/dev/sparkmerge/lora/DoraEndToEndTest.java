package dev.sparkmerge.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DoRA adapter given as {@code BASE+ADAPTER} through `sparkmerge run`: the model it stands for
 * is W' = (m_j / ‖W + ΔW‖_j) · (W + ΔW) (reference/peft-lora.md §3.4), here computed in float64.
 */
class DoraEndToEndTest {
  @TempDir static Path tmp;

  @BeforeAll
  static void spark() {
    dev.sparkmerge.testutil.TestSpark.context();
  }

  @Test
  void doraAdapterAppliedThroughTheEngineMatchesTheFormula() throws Exception {
    String q = "model.layers.0.self_attn.q_proj.weight";
    Path baseDir = LoraFixtures.writeTensors(tmp.resolve("base"), "model.safetensors", List.of(
        LoraFixtures.t(q, new long[] {6, 4}, 21),
        LoraFixtures.t("model.norm.weight", new long[] {4}, 22)));
    Files.writeString(baseDir.resolve("config.json"),
        "{\"model_type\": \"llama\", \"num_hidden_layers\": 1}");
    String p = "base_model.model.model.layers.0.self_attn.q_proj";
    Path adapter = LoraFixtures.writeAdapter(tmp.resolve("dora"),
        "{\"r\": 2, \"lora_alpha\": 4, \"use_dora\": true}", List.of(
            LoraFixtures.t(p + ".lora_A.weight", new long[] {2, 4}, 23),
            LoraFixtures.t(p + ".lora_B.weight", new long[] {6, 2}, 24),
            DoraMergeTest.magnitude(p + ".lora_magnitude_vector", 6, 25)));
    Path cfg = tmp.resolve("dora.yml");
    Files.writeString(cfg, "merge_method: task_arithmetic\nbase_model: " + baseDir + "\n"
        + "models:\n  - model: " + baseDir + "+" + adapter + "\n    parameters: {weight: 1.0}\n"
        + "dtype: float32\n");
    Path out = tmp.resolve("out");
    LoraMergeEndToEndTest.Run run = LoraMergeEndToEndTest.cli("run", "-q", "--chunk-size", "32B",
        cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err() + run.out());

    Path adapterFile = adapter.resolve("adapter_model.safetensors");
    double[] a = LoraFixtures.rawF32(adapterFile, p + ".lora_A.weight");
    double[] b = LoraFixtures.rawF32(adapterFile, p + ".lora_B.weight");
    double[] m = LoraFixtures.rawF32(adapterFile, p + ".lora_magnitude_vector");
    double[] w = LoraFixtures.rawF32(baseDir.resolve("model.safetensors"), q);
    double[] delta = LoraFixtures.referenceDelta(a, b, 2, 4, 6, 4.0 / 2, false)[0];
    double[] v = new double[w.length];
    double[] norm2 = new double[6];
    for (int i = 0; i < w.length; i++) {
      v[i] = w[i] + delta[i];
      norm2[i / 4] += v[i] * v[i];
    }
    float[] got = LoraMergeEndToEndTest.read(out, q);
    for (int i = 0; i < w.length; i++) {
      double want = m[i / 4] / Math.sqrt(norm2[i / 4]) * v[i];
      assertEquals(want, got[i], 1e-5 * (1 + Math.abs(want)), q + "[" + i + "]");
    }
  }
}
