package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.eval.EvalException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What loading reports: architecture, sizes, memory, and the errors users can hit. */
class LoadingTest {
  @TempDir
  Path dir;

  private static final CheckpointFs FS = CheckpointFs.withDefaults();

  @Test
  void realModelReportsItsShapeAndWeightBytes() {
    String path = RealModelForwardTest.models().resolve("tiny-llama-base").toString();
    CausalLm lm = CausalLms.load(FS, path, null);
    assertEquals("llama", lm.modelType());
    assertEquals(256, lm.vocabSize());
    assertEquals(256, lm.contextLength());
    // Every stored tensor is F32 and used once (untied head): the file's tensor bytes.
    long stored = dev.sparkmerge.checkpoint.HfModel.open(FS, path).totalTensorBytes();
    assertEquals(stored, lm.weightBytes());
    assertEquals(stored, CausalLms.weightBytes(FS, path));
  }

  @Test
  void tiedModelsHoldTheEmbeddingOnceAndHeadersPredictIt() throws Exception {
    TestModels.Model m = TestModels.llama("qwen2", 21, c -> c.put("tie_word_embeddings", true));
    Path p = m.write(dir.resolve("q"), DType.BF16);
    CausalLm lm = CausalLms.load(FS, p.toString(), null);
    long floats = m.weights.values().stream().mapToLong(a -> a.length).sum();
    assertEquals(4 * floats, lm.weightBytes());
    assertEquals(4 * floats, CausalLms.weightBytes(FS, p.toString()));
    TestModels.Model g = TestModels.gpt2("", 22, c -> { });
    Path gp = g.write(dir.resolve("g"), DType.F16);
    long gFloats = g.weights.values().stream().mapToLong(a -> a.length).sum();
    assertEquals(4 * gFloats, CausalLms.load(FS, gp.toString(), null).weightBytes());
    assertEquals(4 * gFloats, CausalLms.weightBytes(FS, gp.toString()));
  }

  @Test
  void unsupportedArchitectureListsTheSupportedOnes() throws Exception {
    TestModels.Model m = TestModels.llama("llama", 23, c -> c.put("model_type", "bert"));
    Path p = m.write(dir.resolve("bert-model"), DType.F32);
    EvalException e = assertThrows(EvalException.class,
        () -> CausalLms.load(FS, p.toString(), null));
    assertTrue(e.getMessage().contains("'bert'"), e.getMessage());
    assertTrue(e.getMessage().contains("llama, mistral, qwen2, gpt2"), e.getMessage());
    assertTrue(e.getMessage().contains("bert-model"), e.getMessage());
    assertThrows(EvalException.class, () -> CausalLms.weightBytes(FS, p.toString()));
  }

  @Test
  void missingTensorIsNamedWithFileAndExpectedShape() throws Exception {
    TestModels.Model m = TestModels.llama("llama", 24, c -> { });
    m.weights.remove("model.layers.1.mlp.up_proj.weight");
    m.shapes.remove("model.layers.1.mlp.up_proj.weight");
    Path p = m.write(dir.resolve("holey"), DType.F32);
    EvalException e = assertThrows(EvalException.class,
        () -> CausalLms.load(FS, p.toString(), null));
    assertTrue(e.getMessage().contains("'model.layers.1.mlp.up_proj.weight'"), e.getMessage());
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    assertTrue(e.getMessage().contains("[72, 48]"), e.getMessage());
    EvalException mem = assertThrows(EvalException.class,
        () -> CausalLms.fromWeights(m.config, m.weights));
    assertTrue(mem.getMessage().contains("'model.layers.1.mlp.up_proj.weight'"));
  }

  @Test
  void wrongShapeIsNamed() throws Exception {
    // Tensors made for 4 key/value heads (k_proj [64, 48]), config.json saying 2 ([32, 48]).
    TestModels.Model m = TestModels.llama("llama", 25, c -> c.put("num_key_value_heads", 4));
    m.config.put("num_key_value_heads", 2);
    Path p = m.write(dir.resolve("shape"), DType.F32);
    EvalException e = assertThrows(EvalException.class,
        () -> CausalLms.load(FS, p.toString(), null));
    assertTrue(e.getMessage().contains("'model.layers.0.self_attn.k_proj.weight'"),
        e.getMessage());
    assertTrue(e.getMessage().contains("[64, 48]") && e.getMessage().contains("[32, 48]"),
        e.getMessage());
  }

  @Test
  void unsupportedSettingsAreRefusedClearly() throws Exception {
    TestModels.Model m = TestModels.llama("llama", 26, c -> {
      c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0);
    });
    EvalException e = assertThrows(EvalException.class,
        () -> CausalLms.fromWeights(m.config, m.weights));
    assertTrue(e.getMessage().contains("yarn"), e.getMessage());
    TestModels.Model g = TestModels.gpt2("", 27, c -> c.put("activation_function", "relu"));
    e = assertThrows(EvalException.class, () -> CausalLms.fromWeights(g.config, g.weights));
    assertTrue(e.getMessage().contains("relu"), e.getMessage());
  }

  @Test
  void adapterForAnotherModelIsRefused() throws Exception {
    TestModels.Model m = TestModels.llama("llama", 28, c -> { });
    Path p = m.write(dir.resolve("small"), DType.F32);
    String adapter = RealModelForwardTest.models().resolve("tiny-llama-lora-add").toString();
    EvalException e = assertThrows(EvalException.class,
        () -> CausalLms.load(FS, p.toString(), adapter));
    assertTrue(e.getMessage().contains("tiny-llama-lora-add"), e.getMessage());
    assertTrue(Files.exists(p.resolve("model.safetensors")));
  }
}
