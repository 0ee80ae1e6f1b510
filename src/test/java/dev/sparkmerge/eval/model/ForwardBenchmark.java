package dev.sparkmerge.eval.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Tokens per second of one sequence's forward pass (one thread) on random weights of a real
 * model's shape, to compare with PyTorch float32 on one core ({@code torch.set_num_threads(1)},
 * eager attention, logits for every position). Not a test: run it by hand, e.g.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx6g -cp target/test-classes:target/classes:$CP \
 *     dev.sparkmerge.eval.model.ForwardBenchmark smollm-135m 512 3 [layers]
 * </pre>
 *
 * Shapes: {@code smollm-135m} (hidden 576, 30 layers, 9 heads / 3 kv heads, vocab 49152, tied)
 * and {@code tinyllama-1.1b} (hidden 2048, 22 layers, 32 / 4 heads, vocab 32000). The optional
 * layer count shortens the model for quick runs.
 */
public final class ForwardBenchmark {
  private ForwardBenchmark() {}

  public static void main(String[] args) {
    String shape = args.length > 0 ? args[0] : "smollm-135m";
    int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 512;
    int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    ObjectNode c = config(shape);
    if (args.length > 3) {
      c.put("num_hidden_layers", Integer.parseInt(args[3]));
    }
    long t0 = System.nanoTime();
    CausalLm lm = CausalLms.fromWeights(c, randomWeights(c));
    System.out.printf("%s, %d layers: %.1f M parameters, built in %.1f s; %s%n", shape,
        c.get("num_hidden_layers").asInt(), lm.weightBytes() / 4e6,
        (System.nanoTime() - t0) / 1e9, Kernels.VECTOR ? "Vector API" : "scalar kernels");
    int[] ids = LogitChecks.tokens(tokens, lm.vocabSize(), 1);
    for (int i = 0; i <= repeats; i++) {
      long start = System.nanoTime();
      double[] sink = {0};
      lm.start(tokens).append(ids, tokens, 0, (row, logits) -> sink[0] += logits[row % 7]);
      double s = (System.nanoTime() - start) / 1e9;
      System.out.printf("%s %d tokens, logits for all: %.3f s, %.1f tokens/s (checksum %.4g)%n",
          i == 0 ? "warm-up" : "run", tokens, s, tokens / s, sink[0]);
    }
  }

  static ObjectNode config(String shape) {
    ObjectNode c = TestModels.JSON.createObjectNode();
    c.put("model_type", "llama");
    c.put("rms_norm_eps", 1e-5);
    c.put("rope_theta", 10000.0);
    switch (shape) {
      case "smollm-135m":
        c.put("vocab_size", 49152).put("hidden_size", 576).put("intermediate_size", 1536)
            .put("num_hidden_layers", 30).put("num_attention_heads", 9)
            .put("num_key_value_heads", 3).put("max_position_embeddings", 2048)
            .put("tie_word_embeddings", true);
        return c;
      case "tinyllama-1.1b":
        c.put("vocab_size", 32000).put("hidden_size", 2048).put("intermediate_size", 5632)
            .put("num_hidden_layers", 22).put("num_attention_heads", 32)
            .put("num_key_value_heads", 4).put("max_position_embeddings", 2048)
            .put("tie_word_embeddings", false);
        return c;
      default:
        throw new IllegalArgumentException("shape " + shape + ": smollm-135m or tinyllama-1.1b");
    }
  }

  /** Normal(0, 0.02) weights (norm weights 1), named and shaped as the checkpoint's. */
  static Map<String, float[]> randomWeights(ObjectNode c) {
    int h = c.get("hidden_size").asInt();
    int heads = c.get("num_attention_heads").asInt();
    int hd = h / heads;
    int q = heads * hd;
    int kv = c.get("num_key_value_heads").asInt() * hd;
    int inter = c.get("intermediate_size").asInt();
    int vocab = c.get("vocab_size").asInt();
    SplittableRandom r = new SplittableRandom(7);
    Map<String, float[]> w = new HashMap<>();
    w.put("model.embed_tokens.weight", normal(vocab * h, r));
    for (int l = 0; l < c.get("num_hidden_layers").asInt(); l++) {
      String p = "model.layers." + l + ".";
      w.put(p + "input_layernorm.weight", ones(h));
      w.put(p + "post_attention_layernorm.weight", ones(h));
      w.put(p + "self_attn.q_proj.weight", normal(q * h, r));
      w.put(p + "self_attn.k_proj.weight", normal(kv * h, r));
      w.put(p + "self_attn.v_proj.weight", normal(kv * h, r));
      w.put(p + "self_attn.o_proj.weight", normal(h * q, r));
      w.put(p + "mlp.gate_proj.weight", normal(inter * h, r));
      w.put(p + "mlp.up_proj.weight", normal(inter * h, r));
      w.put(p + "mlp.down_proj.weight", normal(h * inter, r));
    }
    w.put("model.norm.weight", ones(h));
    if (!c.get("tie_word_embeddings").asBoolean()) {
      w.put("lm_head.weight", normal(vocab * h, r));
    }
    return w;
  }

  private static float[] normal(int n, SplittableRandom r) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) ((r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5) * 0.04);
    }
    return a;
  }

  private static float[] ones(int n) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, 1f);
    return a;
  }
}
