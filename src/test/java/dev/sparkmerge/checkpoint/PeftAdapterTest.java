package dev.sparkmerge.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEFT adapter directories: the real adapters in shared/models and hand-built edge cases. */
class PeftAdapterTest {
  @TempDir java.nio.file.Path dir;

  private final CheckpointFs fs = CheckpointFs.withDefaults();

  static java.nio.file.Path models() {
    java.nio.file.Path p = java.nio.file.Path.of(System.getProperty("sparkmerge.models",
        "../shared/models"));
    assumeTrue(Files.isDirectory(p), "shared/models not present");
    return p;
  }

  @Test
  void gpt2TigrinyaTargetsBothCProjShapes() {
    PeftAdapter a = PeftAdapter.open(fs, models().resolve("gpt2-lora-tigrinya-clm").toString());
    // SOURCES.md: r 8, alpha 32, c_attn + c_proj, 72 tensors = 36 modules (12 layers × 3).
    assertEquals(36, a.modules().size());
    assertEquals(List.of("c_attn", "c_proj"), a.targetLeafNames());
    LoraModule attn = a.modules().get("transformer.h.0.attn.c_attn");
    assertEquals(8, attn.rank());
    assertEquals(4.0, attn.scale()); // 32 / 8
    assertEquals(2304, attn.outFeatures());
    assertEquals(768, attn.inFeatures());
    LoraModule mlp = a.modules().get("transformer.h.11.mlp.c_proj");
    assertEquals(3072, mlp.inFeatures()); // lora_A [8, 3072]
    assertEquals(768, mlp.outFeatures());
    assertTrue(a.fullTensors().isEmpty());
    // Natural order: layer 2 before layer 10.
    List<String> paths = new ArrayList<>(a.modules().keySet());
    assertTrue(paths.indexOf("transformer.h.2.attn.c_attn")
        < paths.indexOf("transformer.h.10.attn.c_attn"));
  }

  @Test
  void seqClsAdapterCarriesItsHeadAsAFullTensor() {
    PeftAdapter a = PeftAdapter.open(fs,
        models().resolve("gpt2-lora-anirudh-emotion-seqcls").toString());
    assertEquals(12, a.modules().size());
    TensorInfo score = a.fullTensors().get("score.weight");
    assertEquals(List.of(6L, 768L), List.of(score.dim(0), score.dim(1)));
    assertEquals(1.0, a.modules().get("transformer.h.0.attn.c_attn").scale()); // alpha 8 / r 8
  }

  @Test
  void smollmGroupedQueryValueProjection() {
    PeftAdapter a = PeftAdapter.open(fs,
        models().resolve("smollm135m-instruct-lora-medflash-5ep").toString());
    assertEquals(60, a.modules().size()); // 30 layers × {q_proj, v_proj}
    LoraModule v = a.modules().get("model.layers.29.self_attn.v_proj");
    assertEquals(192, v.outFeatures());
    assertEquals(576, v.inFeatures());
    assertEquals(16, v.rank());
    assertEquals(2.0, v.scale()); // 32 / 16
    assertEquals("HuggingFaceTB/SmolLM-135M-Instruct", a.config().baseModel());
  }

  @Test
  void miniLmAdaptersParse() {
    for (String name : List.of("a", "b", "c", "d")) {
      PeftAdapter a = PeftAdapter.open(fs,
          models().resolve("minilm-l6-lora-dee66-" + name).toString());
      assertEquals(12, a.modules().size(), name);
      LoraModule q = a.modules().get("encoder.layer.5.attention.self.query");
      assertEquals(4, q.rank());
      assertEquals(4.0, q.scale()); // 16 / 4
      assertEquals("FEATURE_EXTRACTION", a.config().taskType());
    }
  }

  private void writeAdapter(String configJson, Map<String, long[]> tensors) throws IOException {
    Files.writeString(dir.resolve(AdapterConfig.FILE_NAME), configJson, StandardCharsets.UTF_8);
    List<TensorSpec> specs = new ArrayList<>();
    tensors.forEach((k, s) -> specs.add(new TensorSpec(k, DType.F32, s)));
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    try (SafetensorsWriter w = SafetensorsWriter.create(fs,
        new Path(dir.resolve(PeftAdapter.WEIGHTS_FILE).toUri()), layout, false)) {
      for (TensorInfo t : layout.tensors()) {
        w.writeFloats(new float[(int) t.numel()], 0, (int) t.numel());
      }
      w.commit();
    }
  }

  @Test
  void rankAndAlphaPatternsFirstMatchInFileOrderWins() throws IOException {
    String p = "base_model.model.model.layers.";
    writeAdapter("{\"peft_type\": \"LORA\", \"r\": 8, \"lora_alpha\": 16, \"use_rslora\": true,"
        + " \"rank_pattern\": {\"layers.1.self_attn.q_proj\": 4, \"q_proj\": 2},"
        + " \"alpha_pattern\": {\"^model.layers.0.self_attn.q_proj\": 9}}",
        Map.of(p + "0.self_attn.q_proj.lora_A.weight", new long[] {2, 6},
            p + "0.self_attn.q_proj.lora_B.weight", new long[] {5, 2},
            p + "1.self_attn.q_proj.lora_A.weight", new long[] {4, 6},
            p + "1.self_attn.q_proj.lora_B.weight", new long[] {5, 4},
            p + "1.self_attn.v_proj.lora_A.weight", new long[] {8, 6},
            p + "1.self_attn.v_proj.lora_B.weight", new long[] {5, 8}));
    PeftAdapter a = PeftAdapter.open(fs, dir.toString());
    LoraModule q0 = a.modules().get("model.layers.0.self_attn.q_proj");
    assertEquals(2, q0.rank()); // "q_proj" matches (.*\.)?(q_proj)$
    assertEquals(9.0, q0.alpha()); // "^model.layers.0..." matches the whole name
    assertEquals(9.0 / Math.sqrt(2), q0.scale(), 0.0); // rsLoRA: alpha / sqrt(r)
    LoraModule q1 = a.modules().get("model.layers.1.self_attn.q_proj");
    assertEquals(4, q1.rank()); // the first pattern wins over "q_proj"
    assertEquals(16.0 / 2.0, q1.scale(), 0.0); // 16 / sqrt(4)
    LoraModule v1 = a.modules().get("model.layers.1.self_attn.v_proj");
    assertEquals(8, v1.rank());
    assertEquals(16.0 / Math.sqrt(8), v1.scale(), 0.0);
  }

  @Test
  void rankDisagreeingWithConfigIsAnError() throws IOException {
    writeAdapter("{\"r\": 8, \"lora_alpha\": 16}",
        Map.of("base_model.model.fc.lora_A.weight", new long[] {4, 3},
            "base_model.model.fc.lora_B.weight", new long[] {2, 4}));
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> PeftAdapter.open(fs, dir.toString()));
    assertTrue(e.getMessage().contains("'fc'") && e.getMessage().contains("r = 8"),
        e.getMessage());
  }

  @Test
  void unpairedFactorIsAnError() throws IOException {
    writeAdapter("{\"r\": 4}", Map.of("base_model.model.fc.lora_A.weight", new long[] {4, 3}));
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> PeftAdapter.open(fs, dir.toString()));
    assertTrue(e.getMessage().contains("lora_A but no lora_B"), e.getMessage());
  }

  @Test
  void embeddingFactorsBaseLayerAndDoraKeysParse() throws IOException {
    writeAdapter("{\"r\": 2, \"lora_alpha\": 4, \"use_dora\": true}",
        Map.of("base_model.model.model.embed_tokens.lora_embedding_A", new long[] {2, 10},
            "base_model.model.model.embed_tokens.lora_embedding_B", new long[] {3, 2},
            "base_model.model.model.embed_tokens.base_layer.weight", new long[] {10, 3},
            "base_model.model.fc.lora_A.weight", new long[] {2, 3},
            "base_model.model.fc.lora_B.weight", new long[] {5, 2},
            "base_model.model.fc.lora_magnitude_vector", new long[] {5}));
    PeftAdapter a = PeftAdapter.open(fs, dir.toString());
    assertTrue(a.modules().get("model.embed_tokens").isEmbedding());
    assertEquals(5, a.modules().get("fc").magnitude().dim(0));
    // .base_layer is removed: the saved embedding replaces model.embed_tokens.weight.
    assertTrue(a.fullTensors().containsKey("model.embed_tokens.weight"), a.fullTensors().toString());
    assertTrue(a.config().useDora());
  }

  @Test
  void residualInitAdaptersAreFlaggedAsUnmergeable() throws IOException {
    writeAdapter("{\"r\": 2, \"init_lora_weights\": \"pissa_niter_4\"}",
        Map.of("base_model.model.fc.lora_A.weight", new long[] {2, 3},
            "base_model.model.fc.lora_B.weight", new long[] {5, 2}));
    PeftAdapter a = PeftAdapter.open(fs, dir.toString());
    assertEquals(1, a.config().mergeBlockers().size());
    assertTrue(a.config().mergeBlockers().get(0).contains("pissa"));
  }

  @Test
  void missingWeightsFileMentionsLegacyPickle() throws IOException {
    Files.writeString(dir.resolve(AdapterConfig.FILE_NAME), "{\"r\": 8}");
    Files.writeString(dir.resolve("adapter_model.bin"), "x");
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> PeftAdapter.open(fs, dir.toString()));
    assertTrue(e.getMessage().contains("adapter_model.bin"), e.getMessage());
  }
}
