package dev.sparkmerge.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.TensorLocation;
import dev.sparkmerge.checkpoint.TensorSpec;
import dev.sparkmerge.cli.Main;
import dev.sparkmerge.testutil.TestSpark;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mergekit's {@code model: BASE+ADAPTER} through `sparkmerge run` with the real adapters of
 * ../shared/models on stand-in bases with the real names and shapes: the output equals a float64
 * computation of base + Σ weight·s·B·A (transposed for GPT-2's Conv1D) done here from the
 * adapters' raw bytes, and nothing is materialised on the way.
 */
class LoraMergeEndToEndTest {
  @TempDir static Path tmp;

  @BeforeAll
  static void spark() {
    TestSpark.context();
  }

  record Run(int code, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  static float[] read(Path modelDir, String tensor) {
    CheckpointFs fs = CheckpointFs.withDefaults();
    TensorLocation loc = HfModel.open(fs, modelDir.toString()).require(tensor);
    try (SafetensorsFile f = SafetensorsFile.open(fs, new org.apache.hadoop.fs.Path(loc.file()))) {
      float[] v = new float[(int) loc.info().numel()];
      f.readFloats(loc.info(), 0, v, 0, v.length, null);
      return v;
    }
  }

  /** s from adapter_config.json (none of these adapters uses patterns or rsLoRA). */
  static double scale(Path adapter) throws IOException {
    JsonNode c = LoraFixtures.JSON.readTree(adapter.resolve("adapter_config.json").toFile());
    return c.get("lora_alpha").asDouble() / c.get("r").asInt();
  }

  /** Float64 ΔW of one module in stored orientation, with its error bound per element. */
  static double[][] delta(Path adapter, String key, int in, int out, boolean transposed)
      throws IOException {
    Path file = adapter.resolve("adapter_model.safetensors");
    double[] a = LoraFixtures.rawF32(file, key + ".lora_A.weight");
    double[] b = LoraFixtures.rawF32(file, key + ".lora_B.weight");
    int r = a.length / in;
    return LoraFixtures.referenceDelta(a, b, r, in, out, scale(adapter), transposed);
  }

  @Test
  void miniLmTaskArithmeticOfTwoAdaptersEqualsFloat64() throws IOException {
    List<TensorSpec> specs = LoraFixtures.miniLmSpecs();
    Path base = LoraFixtures.zeroBase(tmp.resolve("minilm-base"), specs,
        "{\"architectures\": [\"BertModel\"], \"model_type\": \"bert\","
            + " \"num_hidden_layers\": 6, \"hidden_size\": 384}");
    Path a = LoraFixtures.model("minilm-l6-lora-dee66-a");
    Path c = LoraFixtures.model("minilm-l6-lora-dee66-c");
    Path cfg = tmp.resolve("minilm.yml");
    Files.writeString(cfg, "merge_method: task_arithmetic\nbase_model: " + base + "\n"
        + "models:\n"
        + "  - model: " + base + "+" + a + "\n    parameters: {weight: 1.0}\n"
        + "  - model: " + base + "+" + c + "\n    parameters: {weight: 0.5}\n"
        + "dtype: float32\n");
    Path out = tmp.resolve("minilm-out");
    Run run = cli("run", "-q", "--chunk-size", "256KiB", cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    for (int layer = 0; layer < 6; layer++) {
      for (String m : List.of("query", "value")) {
        String module = "encoder.layer." + layer + ".attention.self." + m;
        double[][] da = delta(a, "base_model.model." + module, 384, 384, false);
        double[][] dc = delta(c, "base_model.model." + module, 384, 384, false);
        float[] got = read(out, module + ".weight");
        for (int i = 0; i < got.length; i++) {
          double want = da[0][i] + 0.5 * dc[0][i];
          double tol = 8 * 0x1p-24 * (da[1][i] + 0.5 * dc[1][i]) + Math.ulp((float) want);
          assertEquals(want, got[i], tol, module + "[" + i + "]");
        }
      }
    }
    // Tensors no adapter touches stay the (zero) base; the I64 position ids are copied.
    float[] key = read(out, "encoder.layer.3.attention.self.key.weight");
    for (float v : key) {
      assertEquals(0f, v);
    }
    assertTrue(HfModel.open(CheckpointFs.withDefaults(), out.toString()).tensors()
        .containsKey("embeddings.position_ids"));
  }

  @Test
  void adaptersBlockExpandsAGlobWithDefaultsAndOverrides() throws IOException {
    Path base = LoraFixtures.zeroBase(tmp.resolve("minilm-base3"), LoraFixtures.miniLmSpecs(),
        "{\"model_type\": \"bert\", \"num_hidden_layers\": 6}");
    Path models = LoraFixtures.models();
    Path cfg = tmp.resolve("many.yml");
    Files.writeString(cfg, "merge_method: task_arithmetic\nbase_model: " + base + "\n"
        + "adapters:\n"
        + "  paths: " + models + "/minilm-l6-lora-dee66-*\n"
        + "  parameters: {weight: 0.25}\n"
        + "  overrides:\n"
        + "    - match: \"*-c\"\n"
        + "      parameters: {weight: 1.0}\n"
        + "dtype: float32\n");
    Path out = tmp.resolve("many-out");
    Run run = cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    String module = "encoder.layer.2.attention.self.value";
    double[] want = new double[384 * 384];
    double[] bound = new double[want.length];
    for (String name : List.of("a", "b", "c", "d")) {
      double w = name.equals("c") ? 1.0 : 0.25;
      double[][] d = delta(LoraFixtures.model("minilm-l6-lora-dee66-" + name),
          "base_model.model." + module, 384, 384, false);
      for (int i = 0; i < want.length; i++) {
        want[i] += w * d[0][i];
        bound[i] += w * d[1][i];
      }
    }
    float[] got = read(out, module + ".weight");
    for (int i = 0; i < got.length; i++) {
      double tol = 8 * 0x1p-24 * bound[i] + 4 * Math.ulp((float) want[i]);
      assertEquals(want[i], got[i], tol, module + "[" + i + "]");
    }
    Path none = tmp.resolve("none.yml");
    Files.writeString(none, "merge_method: task_arithmetic\nbase_model: " + base + "\n"
        + "adapters:\n  paths: " + models + "/no-such-adapter-*\n"
        + "  parameters: {weight: 1.0}\n");
    Run bad = cli("run", none.toString(), tmp.resolve("never2").toString());
    assertEquals(1, bad.code());
    assertTrue(bad.err().contains("matches no adapter directory"), bad.err());
  }

  @Test
  void gpt2Conv1dAdapterIsAppliedTransposed() throws IOException {
    Path base = LoraFixtures.zeroBase(tmp.resolve("gpt2-base"),
        LoraFixtures.specs(LoraFixtures.gpt2Shapes(""), DType.F32),
        "{\"architectures\": [\"GPT2LMHeadModel\"], \"model_type\": \"gpt2\", \"n_layer\": 12,"
            + " \"tie_word_embeddings\": true}");
    Path adapter = LoraFixtures.model("gpt2-lora-tigrinya-clm");
    Path cfg = tmp.resolve("gpt2.yml");
    Files.writeString(cfg, "merge_method: task_arithmetic\nbase_model: " + base + "\n"
        + "models:\n  - model: " + base + "+" + adapter + "\n    parameters: {weight: 1.0}\n");
    Path out = tmp.resolve("gpt2-out");
    Run run = cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    Object[][] modules = {
        {"h.0.attn.c_attn", 768, 2304}, {"h.5.attn.c_proj", 768, 768},
        {"h.11.mlp.c_proj", 3072, 768}};
    for (Object[] m : modules) {
      String name = (String) m[0];
      int in = (Integer) m[1];
      int outF = (Integer) m[2];
      double[][] d = delta(adapter, "base_model.model.transformer." + name, in, outF, true);
      float[] got = read(out, name + ".weight");
      assertEquals(in * outF, got.length, name);
      for (int i = 0; i < got.length; i++) {
        double tol = 10 * 0x1p-24 * d[1][i] + Math.ulp((float) d[0][i]);
        assertEquals(d[0][i], got[i], tol, name + "[" + i + "]");
      }
    }
  }

  @Test
  void threeGpt2AdaptersWithDifferentTargetsAlphasAndAHead() throws IOException {
    Path base = LoraFixtures.zeroBase(tmp.resolve("gpt2-base3"),
        LoraFixtures.specs(LoraFixtures.gpt2Shapes(""), DType.F32),
        "{\"model_type\": \"gpt2\", \"n_layer\": 12}");
    Path jasen = LoraFixtures.model("gpt2-lora-jasencarroll-clm");
    Path tigrinya = LoraFixtures.model("gpt2-lora-tigrinya-clm");
    Path anirudh = LoraFixtures.model("gpt2-lora-anirudh-emotion-seqcls");
    Path cfg = tmp.resolve("gpt2-three.yml");
    Files.writeString(cfg, "merge_method: task_arithmetic\nbase_model: " + base + "\nmodels:\n"
        + "  - model: " + base + "+" + jasen + "\n    parameters: {weight: 1.0}\n"
        + "  - model: " + base + "+" + tigrinya + "\n    parameters: {weight: 0.5}\n"
        + "  - model: " + base + "+" + anirudh + "\n    parameters: {weight: 0.25}\n");
    Path out = tmp.resolve("gpt2-three-out");
    Run run = cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    // c_attn: all three (alpha 32/r 8, 32/8, 8/8); attn.c_proj: only tigrinya.
    String prefix = "base_model.model.transformer.";
    double[][] j = delta(jasen, prefix + "h.3.attn.c_attn", 768, 2304, true);
    double[][] g = delta(tigrinya, prefix + "h.3.attn.c_attn", 768, 2304, true);
    double[][] a = delta(anirudh, prefix + "h.3.attn.c_attn", 768, 2304, true);
    float[] attn = read(out, "h.3.attn.c_attn.weight");
    for (int i = 0; i < attn.length; i++) {
      double want = j[0][i] + 0.5 * g[0][i] + 0.25 * a[0][i];
      double tol = 10 * 0x1p-24 * (j[1][i] + 0.5 * g[1][i] + 0.25 * a[1][i])
          + 4 * Math.ulp((float) want);
      assertEquals(want, attn[i], tol, "h.3.attn.c_attn[" + i + "]");
    }
    double[][] p = delta(tigrinya, prefix + "h.3.attn.c_proj", 768, 768, true);
    float[] proj = read(out, "h.3.attn.c_proj.weight");
    for (int i = 0; i < proj.length; i++) {
      assertEquals(0.5 * p[0][i], proj[i], 10 * 0x1p-24 * p[1][i] + Math.ulp((float) p[0][i]),
          "h.3.attn.c_proj[" + i + "]");
    }
    // The classification head only the seqcls adapter has is taken as it is stored there.
    double[] head = LoraFixtures.rawF32(anirudh.resolve("adapter_model.safetensors"),
        "base_model.model.score.weight");
    float[] gotHead = read(out, "score.weight");
    assertEquals(head.length, gotHead.length);
    for (int i = 0; i < head.length; i++) {
      assertEquals((float) head[i], gotHead[i], "score.weight[" + i + "]");
    }
  }

  @Test
  void threeSmolLmAdaptersOnGroupedQueryValueProjections() throws IOException {
    Path base = LoraFixtures.zeroBase(tmp.resolve("smol-base"),
        LoraFixtures.specs(LoraFixtures.smolShapes("model."), DType.BF16),
        "{\"model_type\": \"llama\", \"num_hidden_layers\": 30,"
            + " \"tie_word_embeddings\": true}");
    String[] names = {"smollm135m-instruct-lora-medflash-5ep",
        "smollm135m-instruct-lora-medflash-100ep", "smollm135m-instruct-lora-medflash-100ep-step1000"};
    double[] weights = {0.5, 0.1, 0.4};
    StringBuilder yaml = new StringBuilder("merge_method: task_arithmetic\nbase_model: " + base
        + "\nmodels:\n");
    for (int k = 0; k < 3; k++) {
      yaml.append("  - model: ").append(base).append('+').append(LoraFixtures.model(names[k]))
          .append("\n    parameters: {weight: ").append(weights[k]).append("}\n");
    }
    yaml.append("dtype: float32\n");
    Path cfg = tmp.resolve("smol.yml");
    Files.writeString(cfg, yaml.toString());
    Path out = tmp.resolve("smol-out");
    Run run = cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    Object[][] modules = {{"model.layers.29.self_attn.v_proj", 576, 192},
        {"model.layers.0.self_attn.q_proj", 576, 576}};
    for (Object[] m : modules) {
      String module = (String) m[0];
      int in = (Integer) m[1];
      int outF = (Integer) m[2];
      double[] want = new double[in * outF];
      double[] bound = new double[want.length];
      for (int k = 0; k < 3; k++) {
        double[][] d = delta(LoraFixtures.model(names[k]), "base_model.model." + module, in, outF,
            false);
        for (int i = 0; i < want.length; i++) {
          want[i] += weights[k] * d[0][i];
          bound[i] += weights[k] * d[1][i];
        }
      }
      float[] got = read(out, module + ".weight");
      for (int i = 0; i < got.length; i++) {
        assertEquals(want[i], got[i], 20 * 0x1p-24 * bound[i] + 4 * Math.ulp((float) want[i]),
            module + "[" + i + "]");
      }
    }
  }

  @Test
  void adapterForAnotherArchitectureIsAClearErrorAndNothingIsWritten() throws IOException {
    Path base = LoraFixtures.zeroBase(tmp.resolve("minilm-base2"), LoraFixtures.miniLmSpecs(),
        "{\"model_type\": \"bert\", \"num_hidden_layers\": 6}");
    Path smol = LoraFixtures.model("smollm135m-instruct-lora-medflash-5ep");
    Path cfg = tmp.resolve("wrong.yml");
    Files.writeString(cfg, "merge_method: task_arithmetic\nbase_model: " + base + "\n"
        + "models:\n  - model: " + base + "+" + smol + "\n    parameters: {weight: 1.0}\n");
    Path out = tmp.resolve("never");
    Run run = cli("run", cfg.toString(), out.toString());
    assertEquals(1, run.code());
    assertTrue(run.err().contains("smollm135m-instruct-lora-medflash-5ep"), run.err());
    assertTrue(run.err().contains("minilm-base2"), run.err());
    assertFalse(Files.exists(out));
    assertFalse(run.err().contains("\tat "), "no stack trace");
  }
}
