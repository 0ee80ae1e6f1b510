package dev.sparkmerge.lora;

import static dev.sparkmerge.lora.LoraFixtures.FS;
import static dev.sparkmerge.lora.LoraFixtures.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.PeftAdapter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key mapping fallbacks and every mapping error, on hand-built adapters over zero-valued stand-in
 * bases with the real GPT-2 and SmolLM layouts (no shared/models needed).
 */
class AdapterMappingErrorsTest {
  @TempDir static Path tmp;
  static HfModel gpt2;
  static HfModel smol;

  @TempDir Path dir;

  @BeforeAll
  static void bases() throws Exception {
    gpt2 = HfModel.open(FS, LoraFixtures.zeroBase(tmp.resolve("gpt2"),
        LoraFixtures.specs(LoraFixtures.gpt2Shapes(""), DType.BF16), LoraFixtures.GPT2_CONFIG)
        .toString());
    smol = HfModel.open(FS, LoraFixtures.smolBase(tmp.resolve("smol")).toString());
  }

  static String config(int r, int alpha, String extra) {
    return "{\"peft_type\": \"LORA\", \"r\": " + r + ", \"lora_alpha\": " + alpha
        + (extra.isEmpty() ? "" : ", " + extra) + "}";
  }

  private PeftAdapter write(String name, String config, List<LoraFixtures.T> tensors)
      throws Exception {
    return PeftAdapter.open(FS, LoraFixtures.writeAdapter(dir.resolve(name), config, tensors)
        .toString());
  }

  private static void assertNames(CheckpointException e, PeftAdapter a, HfModel base,
      String... parts) {
    String msg = e.getMessage();
    assertTrue(msg.contains(a.dir().toString()), "names the adapter: " + msg);
    assertTrue(msg.contains(base.root().toString()), "names the base: " + msg);
    for (String p : parts) {
      assertTrue(msg.contains(p), "mentions '" + p + "': " + msg);
    }
  }

  @Test
  void bareModelAdapterGetsTheModelPrefixAdded() throws Exception {
    // Saved from a bare LlamaModel: no "model." segment; the CausalLM checkpoint has one.
    String k = "base_model.model.layers.3.self_attn.v_proj.";
    PeftAdapter a = write("bare", config(2, 4, ""), List.of(
        t(k + "lora_A.weight", new long[] {2, 576}, 1),
        t(k + "lora_B.weight", new long[] {192, 2}, 2)));
    AdapterMapping m = AdapterMapping.map(a, smol);
    LoraTarget v = m.targets().get("model.layers.3.self_attn.v_proj.weight");
    assertNotNull(v, m.targets().keySet().toString());
    assertEquals("layers.3.self_attn.v_proj", v.modulePath());
    assertEquals(2.0, v.scale());
    // The mapping travels to executors: it must survive Java serialisation.
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(m);
    }
    AdapterMapping copy = (AdapterMapping) new java.io.ObjectInputStream(
        new java.io.ByteArrayInputStream(bytes.toByteArray())).readObject();
    LoraTarget c = copy.targets().get("model.layers.3.self_attn.v_proj.weight");
    float[] x = new float[100];
    float[] y = new float[100];
    LoraDelta.load(v, FS).fill(5000, 100, x);
    LoraDelta.load(c, FS).fill(5000, 100, y);
    org.junit.jupiter.api.Assertions.assertArrayEquals(x, y);
  }

  @Test
  void adapterTargetingAMissingModuleNamesTheCandidatesTried() throws Exception {
    String k = "base_model.model.transformer.h.0.attn.q_attn.";
    PeftAdapter a = write("missing", config(2, 4, ""), List.of(
        t(k + "lora_A.weight", new long[] {2, 768}, 1),
        t(k + "lora_B.weight", new long[] {768, 2}, 2)));
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> AdapterMapping.map(a, gpt2));
    assertNames(e, a, gpt2, "transformer.h.0.attn.q_attn", "tried",
        "transformer.h.0.attn.q_attn.weight", "h.0.attn.q_attn.weight");
  }

  @Test
  void realAdapterOnTheWrongBaseReportsAllMissingModules() {
    PeftAdapter a = PeftAdapter.open(FS,
        LoraFixtures.model("smollm135m-instruct-lora-medflash-5ep").toString());
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> AdapterMapping.map(a, gpt2));
    assertNames(e, a, gpt2, "model.layers.0.self_attn.q_proj", "59 other module(s)",
        "HuggingFaceTB/SmolLM-135M-Instruct");
  }

  @Test
  void shapeMismatchNamesAdapterModuleAndBase() throws Exception {
    String k = "base_model.model.model.layers.0.self_attn.v_proj.";
    PeftAdapter a = write("shape", config(2, 4, ""), List.of(
        t(k + "lora_A.weight", new long[] {2, 576}, 1),
        t(k + "lora_B.weight", new long[] {576, 2}, 2))); // v_proj is 192 × 576
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> AdapterMapping.map(a, smol));
    assertNames(e, a, smol, "model.layers.0.self_attn.v_proj", "does not fit", "[576, 576]",
        "[192, 576]");
  }

  @Test
  void conv1dFactorsInTheWrongOrientationHintAtTheConfig() throws Exception {
    // c_attn stored [768, 2304] (in × out); factors claiming in = 2304, out = 768 do not fit.
    String k = "base_model.model.transformer.h.0.attn.c_attn.";
    PeftAdapter a = write("orient", config(2, 4, ""), List.of(
        t(k + "lora_A.weight", new long[] {2, 2304}, 1),
        t(k + "lora_B.weight", new long[] {768, 2}, 2)));
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> AdapterMapping.map(a, gpt2));
    assertNames(e, a, gpt2, "transformer.h.0.attn.c_attn", "Conv1D", "fit transposed");
  }

  @Test
  void mergeBlockedAdapterIsRefused() throws Exception {
    String k = "base_model.model.model.layers.0.self_attn.q_proj.";
    PeftAdapter a = write("pissa", config(2, 4, "\"init_lora_weights\": \"pissa\""), List.of(
        t(k + "lora_A.weight", new long[] {2, 576}, 1),
        t(k + "lora_B.weight", new long[] {576, 2}, 2)));
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> AdapterMapping.map(a, smol));
    assertNames(e, a, smol, "pissa", "convert it to ordinary LoRA");
  }

  @Test
  void tiedLmHeadAndEmbeddingOnOneTensorIsAnError() throws Exception {
    PeftAdapter a = write("tied", config(2, 4, ""), List.of(
        t("base_model.model.lm_head.lora_A.weight", new long[] {2, 576}, 1),
        t("base_model.model.lm_head.lora_B.weight", new long[] {49152, 2}, 2),
        t("base_model.model.model.embed_tokens.lora_embedding_A", new long[] {2, 49152}, 3),
        t("base_model.model.model.embed_tokens.lora_embedding_B", new long[] {576, 2}, 4)));
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> AdapterMapping.map(a, smol));
    assertNames(e, a, smol, "lm_head", "model.embed_tokens", "model.embed_tokens.weight");
  }

  @Test
  void tiedLmHeadAloneChangesTheSharedEmbeddingWithAWarning() throws Exception {
    PeftAdapter a = write("head", config(2, 4, ""), List.of(
        t("base_model.model.lm_head.lora_A.weight", new long[] {2, 576}, 1),
        t("base_model.model.lm_head.lora_B.weight", new long[] {49152, 2}, 2)));
    AdapterMapping m = AdapterMapping.map(a, smol);
    LoraTarget t = m.targets().get("model.embed_tokens.weight");
    assertEquals("lm_head", t.modulePath());
    assertTrue(!t.transposed()); // a Linear over [vocab, hidden], stored like the embedding
    assertTrue(m.warnings().stream().anyMatch(w -> w.contains("tied")), m.warnings().toString());
  }

  @Test
  void embeddingIsAlwaysTransposedAndSavedBaseLayerReplacesTheBase() throws Exception {
    PeftAdapter a = write("emb", config(2, 4, "\"fan_in_fan_out\": false"), List.of(
        t("base_model.model.model.embed_tokens.lora_embedding_A", new long[] {2, 49152}, 3),
        t("base_model.model.model.embed_tokens.lora_embedding_B", new long[] {576, 2}, 4),
        t("base_model.model.model.embed_tokens.base_layer.weight", new long[] {49152, 576}, 5)));
    AdapterMapping m = AdapterMapping.map(a, smol);
    LoraTarget t = m.targets().get("model.embed_tokens.weight");
    assertTrue(t.transposed() && t.embedding());
    assertEquals("base_model.model.model.embed_tokens.base_layer.weight",
        m.replacements().get("model.embed_tokens.weight").info().name());
    assertTrue(m.addedTensors().isEmpty());
  }

  @Test
  void loraBiasOnABaseWithoutBiasIsAnError() throws Exception {
    String k = "base_model.model.model.layers.0.self_attn.q_proj.";
    PeftAdapter a = write("nobias", config(2, 4, "\"lora_bias\": true"), List.of(
        t(k + "lora_A.weight", new long[] {2, 576}, 1),
        t(k + "lora_B.weight", new long[] {576, 2}, 2),
        t(k + "lora_B.bias", new long[] {576}, 3)));
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> AdapterMapping.map(a, smol));
    assertNames(e, a, smol, "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.q_proj.bias");
  }

  @Test
  void loraBiasAddsScaledBiasToTheBaseBias() throws Exception {
    String k = "base_model.model.transformer.h.2.attn.c_attn.";
    PeftAdapter a = write("bias", config(2, 4, "\"lora_bias\": true"), List.of(
        t(k + "lora_A.weight", new long[] {2, 768}, 1),
        t(k + "lora_B.weight", new long[] {2304, 2}, 2),
        t(k + "lora_B.bias", new long[] {2304}, 3)));
    AdapterMapping m = AdapterMapping.map(a, gpt2);
    assertNotNull(m.targets().get("h.2.attn.c_attn.weight").biasB());
    LoraBiasTarget bt = m.biasTargets().get("h.2.attn.c_attn.bias");
    assertEquals(2304, bt.length());
    LoraBiasDelta d = LoraBiasDelta.load(bt, FS);
    float[] b = LoraFixtures.values(2304, 3);
    float[] got = new float[2304];
    d.fill(0, 2304, got);
    float[] acc = new float[10];
    java.util.Arrays.fill(acc, 1f);
    d.addTo(100, 10, acc);
    for (int i = 0; i < 2304; i++) {
      assertEquals(2.0 * b[i], got[i], 0.0); // s = 4 / 2; k/64 · 2 is exact
    }
    for (int i = 0; i < 10; i++) {
      assertEquals((float) (1.0 + 2.0 * b[100 + i]), acc[i], 0.0);
    }
  }

  @Test
  void doraWithoutMagnitudeIsAnError() throws Exception {
    String k = "base_model.model.model.layers.0.self_attn.q_proj.";
    PeftAdapter a = write("dora", config(2, 4, "\"use_dora\": true"), List.of(
        t(k + "lora_A.weight", new long[] {2, 576}, 1),
        t(k + "lora_B.weight", new long[] {576, 2}, 2)));
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> AdapterMapping.map(a, smol));
    assertNames(e, a, smol, "model.layers.0.self_attn.q_proj", "lora_magnitude_vector");
  }

  @Test
  void modulesToSaveReplaceAndAddTensors() throws Exception {
    PeftAdapter a = write("mts", config(2, 4, "\"modules_to_save\": [\"norm\", \"score\"]"),
        List.of(
            t("base_model.model.model.norm.weight", new long[] {576}, 1),
            t("base_model.model.score.weight", new long[] {3, 576}, 2)));
    AdapterMapping m = AdapterMapping.map(a, smol);
    assertEquals(List.of("model.norm.weight", "score.weight"),
        List.copyOf(m.replacements().keySet()));
    assertEquals(java.util.Set.of("score.weight"), m.addedTensors());
    assertTrue(m.targets().isEmpty());
  }
}
