package dev.sparkmerge.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model directories on local disk: single file, shards with index, config, tied embeddings. */
class HfModelTest {
  @TempDir java.nio.file.Path dir;

  private final CheckpointFs fs = CheckpointFs.withDefaults();

  /** Writes a file with the given F32 tensors of shape [2, 2], all zeros. */
  private void writeShard(String name, String... tensors) {
    List<TensorSpec> specs = new java.util.ArrayList<>();
    for (String t : tensors) {
      specs.add(new TensorSpec(t, DType.F32, new long[] {2, 2}));
    }
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    try (SafetensorsWriter w = SafetensorsWriter.create(fs,
        new Path(dir.resolve(name).toUri()), layout, false)) {
      for (int i = 0; i < tensors.length; i++) {
        w.writeFloats(new float[] {i, i + 1, i + 2, i + 3}, 0, 4);
      }
      w.commit();
    }
  }

  private void writeText(String name, String text) throws IOException {
    Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
  }

  private void writeIndex(String weightMapJson) throws IOException {
    writeText(ShardIndex.FILE_NAME,
        "{\"metadata\": {\"total_size\": 48}, \"weight_map\": " + weightMapJson + "}");
  }

  @Test
  void singleFileDirectoryWithConfigAndTokenizer() throws IOException {
    writeShard("model.safetensors", "model.embed_tokens.weight", "model.layers.0.mlp.weight",
        "model.layers.1.mlp.weight");
    writeText("config.json", "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\":"
        + " \"llama\", \"num_hidden_layers\": 2, \"tie_word_embeddings\": true}");
    writeText("tokenizer.json", "{}");
    writeText("generation_config.json", "{}");
    HfModel m = HfModel.open(fs, dir.toString());
    assertFalse(m.isSharded());
    assertEquals(3, m.tensors().size());
    assertEquals("LlamaForCausalLM", m.config().architecture());
    assertEquals(2, m.config().layerCount());
    assertEquals("num_hidden_layers", m.config().layerCountKey());
    assertEquals(List.of("generation_config.json", "tokenizer.json"), m.otherFiles());
    // Tied: lm_head.weight resolves to the input embedding.
    assertSame(m.tensors().get("model.embed_tokens.weight"), m.find("lm_head.weight"));
    assertEquals(3 * 16, m.totalTensorBytes());
  }

  @Test
  void untiedModelDoesNotResolveLmHead() throws IOException {
    writeShard("model.safetensors", "model.embed_tokens.weight");
    writeText("config.json", "{\"tie_word_embeddings\": false, \"n_layer\": 12}");
    HfModel m = HfModel.open(fs, dir.toString());
    assertNull(m.find("lm_head.weight"));
    assertEquals(12, m.config().layerCount());
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> m.require("lm_head.weight"));
    assertTrue(e.getMessage().contains("tie_word_embeddings"), e.getMessage());
  }

  @Test
  void missingConfigKeyMeansTiedAsInTransformers() throws IOException {
    writeShard("model.safetensors", "wte.weight");
    writeText("config.json", "{\"model_type\": \"gpt2\"}");
    HfModel m = HfModel.open(fs, dir.toString());
    assertSame(m.tensors().get("wte.weight"), m.find("lm_head.weight"));
    assertEquals(-1, m.config().layerCount());
  }

  @Test
  void shardedModelFollowsTheIndex() throws IOException {
    writeShard("model-00001-of-00002.safetensors", "a.weight", "b.weight");
    writeShard("model-00002-of-00002.safetensors", "c.weight");
    writeIndex("{\"a.weight\": \"model-00001-of-00002.safetensors\", \"b.weight\":"
        + " \"model-00001-of-00002.safetensors\", \"c.weight\": \"model-00002-of-00002.safetensors\"}");
    HfModel m = HfModel.open(fs, dir.toString());
    assertTrue(m.isSharded());
    assertEquals(2, m.shards().size());
    assertTrue(m.tensors().get("c.weight").file().endsWith("model-00002-of-00002.safetensors"));
    // The location's absolute offset points at the right bytes: c.weight holds 0, 1, 2, 3.
    TensorLocation c = m.tensors().get("c.weight");
    try (SafetensorsFile f = SafetensorsFile.open(fs, new Path(c.file()))) {
      float[] v = new float[4];
      f.readFloats(c.info(), 0, v, 0, 4, null);
      assertEquals(List.of(0f, 1f, 2f, 3f), List.of(v[0], v[1], v[2], v[3]));
      ByteBuffer raw = ByteBuffer.allocate(4);
      f.readBytes(c.info(), 4, raw);
      assertEquals(1f, ByteBuffer.wrap(raw.array()).order(java.nio.ByteOrder.LITTLE_ENDIAN)
          .getFloat());
    }
  }

  @Test
  void indexNamingAMissingShardIsAnError() throws IOException {
    writeShard("model-00001-of-00002.safetensors", "a.weight");
    writeIndex("{\"a.weight\": \"model-00001-of-00002.safetensors\", \"c.weight\":"
        + " \"model-00002-of-00002.safetensors\"}");
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> HfModel.open(fs, dir.toString()));
    assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
    assertTrue(e.getMessage().contains("not in the directory"), e.getMessage());
  }

  @Test
  void indexAndShardDisagreeingIsAnError() throws IOException {
    writeShard("model-00001-of-00002.safetensors", "a.weight");
    writeShard("model-00002-of-00002.safetensors", "c.weight");
    writeIndex("{\"a.weight\": \"model-00002-of-00002.safetensors\", \"c.weight\":"
        + " \"model-00002-of-00002.safetensors\"}");
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> HfModel.open(fs, dir.toString()));
    assertTrue(e.getMessage().contains("'a.weight'"), e.getMessage());
    assertTrue(e.getMessage().contains("disagree"), e.getMessage());
  }

  @Test
  void shardHoldingAnUnlistedTensorIsAnError() throws IOException {
    writeShard("model-00001-of-00001.safetensors", "a.weight", "extra.weight");
    writeIndex("{\"a.weight\": \"model-00001-of-00001.safetensors\"}");
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> HfModel.open(fs, dir.toString()));
    assertTrue(e.getMessage().contains("'extra.weight'"), e.getMessage());
  }

  @Test
  void tensorInTwoShardsIsAnError() throws IOException {
    writeShard("model-00001-of-00002.safetensors", "a.weight");
    writeShard("model-00002-of-00002.safetensors", "a.weight");
    writeIndex("{\"a.weight\": \"model-00001-of-00002.safetensors\", \"x\":"
        + " \"model-00002-of-00002.safetensors\"}");
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> HfModel.open(fs, dir.toString()));
    assertTrue(e.getMessage().contains("two shards"), e.getMessage());
  }

  @Test
  void shardNamesMustStayInTheDirectory() throws IOException {
    writeIndex("{\"a.weight\": \"../elsewhere/model.safetensors\"}");
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> HfModel.open(fs, dir.toString()));
    assertTrue(e.getMessage().contains("plain file names"), e.getMessage());
  }

  @Test
  void indexThatIsNotJsonNamesTheLine() throws IOException {
    writeText(ShardIndex.FILE_NAME, "{\n\"weight_map\": {\"a\": \"x.safetensors\",}\n}");
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> HfModel.open(fs, dir.toString()));
    assertTrue(e.getMessage().contains(ShardIndex.FILE_NAME), e.getMessage());
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
  }

  @Test
  void directoryWithoutWeightsExplainsWhatItFound() throws IOException {
    writeText("pytorch_model.bin", "not really");
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> HfModel.open(fs, dir.toString()));
    assertTrue(e.getMessage().contains("pytorch_model.bin"), e.getMessage());
    assertTrue(e.getMessage().contains("convert"), e.getMessage());
  }

  @Test
  void singleFileGivenDirectly() {
    writeShard("weights.safetensors", "x", "y");
    HfModel m = HfModel.open(fs, dir.resolve("weights.safetensors").toString());
    assertFalse(m.isDirectory());
    assertNull(m.config());
    assertEquals(List.of("x", "y"), List.copyOf(m.tensors().keySet()));
  }

  @Test
  void aliasRecordInMetadataResolvesADroppedName() {
    List<TensorSpec> specs = List.of(new TensorSpec("lm_head.weight", DType.F32, new long[] {1}));
    SafetensorsLayout layout = SafetensorsLayout.of(specs,
        Map.of("model.embed_tokens.weight", "lm_head.weight"));
    try (SafetensorsWriter w = SafetensorsWriter.create(fs,
        new Path(dir.resolve("model.safetensors").toUri()), layout, false)) {
      w.writeFloats(new float[] {7}, 0, 1);
      w.commit();
    }
    HfModel m = HfModel.open(fs, dir.toString());
    assertSame(m.tensors().get("lm_head.weight"), m.find("model.embed_tokens.weight"));
  }
}
