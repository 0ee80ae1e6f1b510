package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.eval.EvalException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapters applied on the fly, against the float64 reference run on weights the test merges
 * itself: GPT-2 Conv1D LoRA (ΔW stored transposed), lora_bias and a modules_to_save tensor; a
 * Llama DoRA adapter (W' = m / ‖W + ΔW‖ per output row · (W + ΔW)).
 */
class AdapterForwardTest {
  @TempDir
  Path dir;

  private static final int R = 4;
  private static final double ALPHA = 8;
  private static final double S = ALPHA / R;

  /** The adapter's tensors and shapes, written with adapter_config.json. */
  private final Map<String, float[]> tensors = new LinkedHashMap<>();
  private final Map<String, long[]> shapes = new LinkedHashMap<>();

  private float[] tensor(String key, int rows, int cols, long seed) {
    float[] v = TestModels.values(rows * cols, 0.25, seed);
    tensors.put(key, v);
    shapes.put(key, cols == 1 ? new long[] {rows} : new long[] {rows, cols});
    return v;
  }

  private Path writeAdapter(String name, ObjectNode config) throws Exception {
    Path a = dir.resolve(name);
    Files.createDirectories(a);
    TestModels.writeTensors(a.resolve("adapter_model.safetensors"), tensors, shapes, DType.F32);
    Files.writeString(a.resolve("adapter_config.json"), TestModels.JSON.writeValueAsString(config));
    return a;
  }

  private static ObjectNode adapterConfig() {
    ObjectNode c = TestModels.JSON.createObjectNode();
    c.put("peft_type", "LORA");
    c.put("r", R);
    c.put("lora_alpha", ALPHA);
    return c;
  }

  /** (B·A)[o][i] for A r × in, B out × r. */
  private static double ba(float[] a, float[] b, int in, int o, int i) {
    double s = 0;
    for (int k = 0; k < R; k++) {
      s += (double) b[o * R + k] * a[k * in + i];
    }
    return s;
  }

  @Test
  void gpt2Conv1dLoraWithLoraBiasAndModulesToSave() throws Exception {
    TestModels.Model m = TestModels.gpt2("transformer.", 31, c -> { });
    Path base = m.write(dir.resolve("gpt2"), DType.F32);
    Map<String, double[]> w = m.doubles();
    int h = 32;
    String p = "base_model.model.transformer.h.1.";
    // c_attn: in 32, out 96; Conv1D stores W as in × out, so ΔW is added transposed.
    float[] a = tensor(p + "attn.c_attn.lora_A.weight", R, h, 1);
    float[] b = tensor(p + "attn.c_attn.lora_B.weight", 3 * h, R, 2);
    double[] attn = w.get("transformer.h.1.attn.c_attn.weight");
    for (int i = 0; i < h; i++) {
      for (int o = 0; o < 3 * h; o++) {
        attn[i * 3 * h + o] += S * ba(a, b, h, o, i);
      }
    }
    // mlp.c_proj: in 128, out 32, with a lora_B bias added to the layer's bias.
    float[] a2 = tensor(p + "mlp.c_proj.lora_A.weight", R, 4 * h, 3);
    float[] b2 = tensor(p + "mlp.c_proj.lora_B.weight", h, R, 4);
    float[] bias = tensor(p + "mlp.c_proj.lora_B.bias", h, 1, 5);
    double[] proj = w.get("transformer.h.1.mlp.c_proj.weight");
    double[] projBias = w.get("transformer.h.1.mlp.c_proj.bias");
    for (int o = 0; o < h; o++) {
      for (int i = 0; i < 4 * h; i++) {
        proj[i * h + o] += S * ba(a2, b2, 4 * h, o, i);
      }
      projBias[o] += S * bias[o];
    }
    // modules_to_save: a full ln_f weight replaces the base's.
    float[] lnf = tensor("base_model.model.transformer.ln_f.weight", h, 1, 6);
    for (int i = 0; i < h; i++) {
      w.get("transformer.ln_f.weight")[i] = 1 + lnf[i];
      lnf[i] += 1;
    }
    ObjectNode c = adapterConfig();
    c.put("fan_in_fan_out", true);
    c.put("lora_bias", true);
    c.putArray("target_modules").add("c_attn").add("c_proj");
    c.putArray("modules_to_save").add("ln_f");
    Path adapter = writeAdapter("gpt2-lora", c);

    CausalLm lm = CausalLms.load(CheckpointFs.withDefaults(), base.toString(),
        adapter.toString());
    int[] tokens = LogitChecks.tokens(30, 53, 3);
    float[][] actual = LogitChecks.run(lm, tokens);
    LogitChecks.assertClose("gpt2 + conv1d lora", actual,
        ReferenceForward.logits(m.config, w, tokens));
    // The adapter matters: the base's own logits are far from these.
    float[][] plain = LogitChecks.run(CausalLms.load(CheckpointFs.withDefaults(),
        base.toString(), null), tokens);
    assertTrue(Math.abs(plain[29][0] - actual[29][0]) > 1e-3, "adapter had no effect");
  }

  @Test
  void llamaDoraScalesEachOutputRow() throws Exception {
    TestModels.Model m = TestModels.llama("llama", 32, c -> { });
    Path base = m.write(dir.resolve("llama"), DType.BF16);
    Map<String, double[]> w = m.doubles();
    int h = 48;
    String module = "model.layers.0.self_attn.q_proj";
    float[] a = tensor("base_model.model." + module + ".lora_A.weight", R, h, 7);
    float[] b = tensor("base_model.model." + module + ".lora_B.weight", 64, R, 8);
    float[] mag = tensor("base_model.model." + module + ".lora_magnitude_vector", 64, 1, 9);
    double[] q = w.get(module + ".weight");
    for (int o = 0; o < 64; o++) {
      double norm = 0;
      for (int i = 0; i < h; i++) {
        q[o * h + i] += S * ba(a, b, h, o, i);
        norm += q[o * h + i] * q[o * h + i];
      }
      mag[o] = (float) (1 + mag[o]); // positive magnitudes, as trained ones are
      double f = mag[o] / Math.sqrt(norm);
      for (int i = 0; i < h; i++) {
        q[o * h + i] *= f;
      }
    }
    ObjectNode c = adapterConfig();
    c.put("use_dora", true);
    c.putArray("target_modules").add("q_proj");
    Path adapter = writeAdapter("llama-dora", c);
    CausalLm lm = CausalLms.load(CheckpointFs.withDefaults(), base.toString(),
        adapter.toString());
    int[] tokens = LogitChecks.tokens(30, 61, 4);
    LogitChecks.assertClose("llama + dora", LogitChecks.run(lm, tokens),
        ReferenceForward.logits(m.config, w, tokens));
  }

  @Test
  void adapterOnTensorsTheForwardPassDoesNotUseIsRefused() throws Exception {
    TestModels.Model m = TestModels.gpt2("", 33, c -> { });
    m.weights.put("h.0.attn.extra.weight", new float[32 * 32]);
    m.shapes.put("h.0.attn.extra.weight", new long[] {32, 32});
    Path base = m.write(dir.resolve("gpt2-extra"), DType.F32);
    tensor("base_model.model.h.0.attn.extra.lora_A.weight", R, 32, 10);
    tensor("base_model.model.h.0.attn.extra.lora_B.weight", 32, R, 11);
    ObjectNode c = adapterConfig();
    c.put("fan_in_fan_out", true);
    c.putArray("target_modules").add("extra");
    Path adapter = writeAdapter("extra-lora", c);
    EvalException e = org.junit.jupiter.api.Assertions.assertThrows(EvalException.class,
        () -> CausalLms.load(CheckpointFs.withDefaults(), base.toString(), adapter.toString()));
    assertTrue(e.getMessage().contains("h.0.attn.extra.weight"), e.getMessage());
  }
}
