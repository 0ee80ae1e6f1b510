package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small random models of every supported architecture, written as real checkpoints, loaded by
 * {@link CausalLms#load} and compared with the float64 {@link ReferenceForward}.
 */
class RandomModelForwardTest {
  @TempDir
  Path dir;

  private double check(String what, TestModels.Model m, DType dtype, int n) throws Exception {
    return check(what, m, dtype, n, null);
  }

  /**
   * Loads the written model, compares its logits with the reference and, when {@code without}
   * is given, shows the test can fail: the reference with that config edit undone (the feature
   * under test ignored) must differ from the production logits by far more than the tolerance.
   */
  private double check(String what, TestModels.Model m, DType dtype, int n,
      Consumer<ObjectNode> without) throws Exception {
    Path model = m.write(dir.resolve(what.replaceAll("[^a-z0-9]+", "-")), dtype);
    CausalLm lm = CausalLms.load(CheckpointFs.withDefaults(), model.toString(), null);
    int[] tokens = LogitChecks.tokens(n, lm.vocabSize(), what.hashCode());
    double[][] expected = ReferenceForward.logits(m.config, m.doubles(), tokens);
    float[][] actual = LogitChecks.run(lm, tokens);
    if (without != null) {
      ObjectNode other = m.config.deepCopy();
      without.accept(other);
      double[][] ignoring = ReferenceForward.logits(other, m.doubles(), tokens);
      double scale = 0;
      double diff = 0;
      for (int r = 0; r < n; r++) {
        for (int j = 0; j < ignoring[r].length; j++) {
          scale = Math.max(scale, Math.abs(ignoring[r][j]));
          diff = Math.max(diff, Math.abs(actual[r][j] - ignoring[r][j]));
        }
      }
      assertTrue(diff > 100 * LogitChecks.RELATIVE_TOLERANCE * scale, what
          + ": the feature under test changes logits by only " + diff);
    }
    return LogitChecks.assertClose(what, actual, expected);
  }

  @Test
  void llamaWithGqaHeadDimAndLinearRopeScaling() throws Exception {
    TestModels.Model m = TestModels.llama("llama", 1, c -> {
      ObjectNode s = c.putObject("rope_scaling");
      s.put("type", "linear");
      s.put("factor", 4.0);
    });
    check("llama gqa linear rope", m, DType.F32, 40, c -> c.remove("rope_scaling"));
  }

  @Test
  void llamaWithLlama3RopeTiedEmbeddingsAndBiases() throws Exception {
    TestModels.Model m = TestModels.llama("llama", 2, c -> {
      // head_dim 16, theta 10000: wavelengths 6.3 … 19869; with these settings the first stays,
      // the next two are interpolated, the rest divided by the factor — every branch.
      ObjectNode s = c.putObject("rope_scaling");
      s.put("rope_type", "llama3");
      s.put("factor", 8.0);
      s.put("low_freq_factor", 1.0);
      s.put("high_freq_factor", 4.0);
      s.put("original_max_position_embeddings", 64);
      c.put("rope_theta", 10000.0);
      c.put("tie_word_embeddings", true);
      c.put("attention_bias", true);
      c.put("mlp_bias", true);
    });
    assertEquals(false, m.weights.containsKey("lm_head.weight"));
    check("llama llama3 rope tied biases", m, DType.F32, 48, c -> c.remove("rope_scaling"));
  }

  @Test
  void llamaInBf16() throws Exception {
    check("llama bf16", TestModels.llama("llama", 3, c -> { }), DType.BF16, 30);
  }

  @Test
  void qwen2WithBiasesAndTiedEmbeddingsInF16() throws Exception {
    TestModels.Model m = TestModels.llama("qwen2", 4, c -> {
      c.put("tie_word_embeddings", true);
      c.put("rope_theta", 1000000.0);
      c.put("use_sliding_window", false);
      c.put("sliding_window", 4);
    });
    check("qwen2 f16", m, DType.F16, 36);
  }

  @Test
  void mistralWithSlidingWindowShorterThanTheSequence() throws Exception {
    TestModels.Model m = TestModels.llama("mistral", 5, c -> c.put("sliding_window", 5));
    check("mistral window 5", m, DType.F32, 40, c -> c.remove("sliding_window"));
  }

  @Test
  void gpt2WithPrefix() throws Exception {
    check("gpt2 prefixed", TestModels.gpt2("transformer.", 6, c -> { }), DType.F32, 40);
  }

  @Test
  void gpt2WithoutPrefixInBf16AndInverseLayerScaling() throws Exception {
    TestModels.Model m = TestModels.gpt2("", 7,
        c -> c.put("scale_attn_by_inverse_layer_idx", true));
    check("gpt2 bare bf16", m, DType.BF16, 64,
        c -> c.remove("scale_attn_by_inverse_layer_idx"));
  }

  @Test
  void sequenceLongerThanOneBlock() throws Exception {
    // 300 rows: one append runs as a block of MAX_BLOCK_ROWS then the rest.
    check("llama 300 tokens", TestModels.llama("llama", 8, c -> { }), DType.F32,
        DecoderSequence.MAX_BLOCK_ROWS + 44);
  }
}
