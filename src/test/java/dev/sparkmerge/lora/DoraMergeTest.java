package dev.sparkmerge.lora;

import static dev.sparkmerge.lora.LoraFixtures.FS;
import static dev.sparkmerge.lora.LoraFixtures.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.PeftAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DoRA (reference §3.4) on a hand-built GPT-2-family base with one module of each orientation: a
 * Conv1D (stored in × out), a Linear head (out × in) and an embedding (num × dim), all with rsLoRA
 * so s = 3/√2 is not a float (the double-scale path). Checked against the float64 formula.
 */
class DoraMergeTest {
  @TempDir Path dir;

  static final int R = 2;
  static final double S = 3 / Math.sqrt(2);

  @Test
  void doraMatchesTheFloat64FormulaForEveryOrientationAndAnyChunking() throws Exception {
    Path baseDir = LoraFixtures.writeTensors(dir.resolve("base"), "model.safetensors", List.of(
        t("h.0.attn.c_attn.weight", new long[] {4, 6}, 11),
        t("h.0.attn.c_attn.bias", new long[] {6}, 12),
        t("score.weight", new long[] {3, 4}, 13),
        t("wte.weight", new long[] {7, 4}, 14)));
    Files.writeString(baseDir.resolve("config.json"), LoraFixtures.GPT2_CONFIG);
    HfModel base = HfModel.open(FS, baseDir.toString());
    String p = "base_model.model.";
    List<LoraFixtures.T> tensors = new ArrayList<>(List.of(
        t(p + "transformer.h.0.attn.c_attn.lora_A.weight", new long[] {R, 4}, 1),
        t(p + "transformer.h.0.attn.c_attn.lora_B.weight", new long[] {6, R}, 2),
        magnitude(p + "transformer.h.0.attn.c_attn.lora_magnitude_vector", 6, 3),
        t(p + "score.lora_A.weight", new long[] {R, 4}, 4),
        t(p + "score.lora_B.weight", new long[] {3, R}, 5),
        magnitude(p + "score.lora_magnitude_vector", 3, 6),
        t(p + "transformer.wte.lora_embedding_A", new long[] {R, 7}, 7),
        t(p + "transformer.wte.lora_embedding_B", new long[] {4, R}, 8),
        magnitude(p + "transformer.wte.lora_magnitude_vector", 4, 9)));
    PeftAdapter adapter = PeftAdapter.open(FS, LoraFixtures.writeAdapter(dir.resolve("dora"),
        "{\"r\": 2, \"lora_alpha\": 3, \"use_rslora\": true, \"use_dora\": true}", tensors)
        .toString());
    AdapterMapping m = AdapterMapping.map(adapter, base);
    assertEquals(3, m.targets().size());
    for (LoraTarget target : m.targets().values()) {
      assertTrue(target.dora());
      assertEquals(S, target.scale());
      check(target, baseDir.resolve("model.safetensors"),
          dir.resolve("dora/adapter_model.safetensors"));
    }
    assertTrue(m.targets().get("h.0.attn.c_attn.weight").transposed());
    assertTrue(!m.targets().get("score.weight").transposed());
    assertTrue(m.targets().get("wte.weight").transposed());
  }

  static LoraFixtures.T magnitude(String name, int n, int seed) {
    float[] v = LoraFixtures.values(n, seed);
    for (int i = 0; i < n; i++) {
      v[i] = 0.5f + Math.abs(v[i]);
    }
    return new LoraFixtures.T(name, new long[] {n}, v);
  }

  private static void check(LoraTarget t, Path baseFile, Path adapterFile) {
    String key = t.a().name().replace(".lora_A.weight", "").replace(".lora_embedding_A", "");
    double[] a = LoraFixtures.rawF32(adapterFile, t.a().name());
    double[] b = LoraFixtures.rawF32(adapterFile, t.b().name());
    double[] mag = LoraFixtures.rawF32(adapterFile, key + ".lora_magnitude_vector");
    double[] w = LoraFixtures.rawF32(baseFile, t.baseTensorName());
    int in = (int) t.inFeatures();
    int out = (int) t.outFeatures();
    double[] delta = LoraFixtures.referenceDelta(a, b, R, in, out, S, t.transposed())[0];
    // float64 §3.4: V = W + ΔW; n_j = ‖V_j‖ over the input dimension of output feature j;
    // W' = (m_j / n_j)·V. In stored orientation feature j is row j, or column j when transposed.
    int cols = (int) t.baseShape()[1];
    double[] v = new double[w.length];
    double[] norm2 = new double[out];
    for (int i = 0; i < w.length; i++) {
      v[i] = w[i] + delta[i];
      norm2[t.transposed() ? i % cols : i / cols] += v[i] * v[i];
    }
    double[] expected = new double[w.length];
    for (int i = 0; i < w.length; i++) {
      int j = t.transposed() ? i % cols : i / cols;
      expected[i] = mag[j] / Math.sqrt(norm2[j]) * v[i];
    }
    DoraMerge dm = DoraMerge.load(t, FS);
    float[] whole = run(dm, w, w.length, false);
    // fp32 V, norm and product: a few float roundings of values of order 1 (|W|, |ΔW|, m ≤ 3).
    for (int i = 0; i < w.length; i++) {
      assertEquals(expected[i], whole[i], 1e-5 * (1 + Math.abs(expected[i])),
          t.modulePath() + " element " + i);
    }
    for (int chunk : new int[] {1, 5}) {
      assertArrayEquals(whole, run(dm, w, chunk, true), t.modulePath() + " chunk " + chunk);
    }
  }

  /** The engine's two passes over chunks; partial norms per chunk combined in reverse order. */
  private static float[] run(DoraMerge dm, double[] w, int chunk, boolean reverseCombine) {
    List<DoraNorms> partials = new ArrayList<>();
    for (int start = 0; start < w.length; start += chunk) {
      int n = Math.min(chunk, w.length - start);
      DoraNorms part = dm.newNorms();
      dm.accumulate(start, n, floats(w, start, n), part);
      partials.add(part);
    }
    DoraNorms total = dm.newNorms();
    for (int i = 0; i < partials.size(); i++) {
      total.add(partials.get(reverseCombine ? partials.size() - 1 - i : i));
    }
    float[] factors = dm.factors(total);
    float[] out = new float[w.length];
    for (int start = 0; start < w.length; start += chunk) {
      int n = Math.min(chunk, w.length - start);
      float[] values = floats(w, start, n);
      dm.merge(start, n, values, factors);
      System.arraycopy(values, 0, out, start, n);
    }
    return out;
  }

  private static float[] floats(double[] w, int start, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) w[start + i];
    }
    return f;
  }
}
