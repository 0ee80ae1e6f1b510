package dev.sparkmerge.eval.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small random models for the forward-pass tests: Hugging Face tensor names and shapes for a
 * config, values that are exact in BF16 and F16 (so every stored dtype holds the same numbers),
 * written as a real model directory (config.json + model.safetensors).
 */
final class TestModels {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A generated model: its config, its tensors (name → values) and their shapes. */
  static final class Model {
    final ObjectNode config;
    final Map<String, float[]> weights = new LinkedHashMap<>();
    final Map<String, long[]> shapes = new LinkedHashMap<>();

    Model(ObjectNode config) {
      this.config = config;
    }

    /** The weights widened to double, for the reference. */
    Map<String, double[]> doubles() {
      Map<String, double[]> d = new LinkedHashMap<>();
      weights.forEach((n, v) -> {
        double[] a = new double[v.length];
        for (int i = 0; i < v.length; i++) {
          a[i] = v[i];
        }
        d.put(n, a);
      });
      return d;
    }

    /** Writes config.json and model.safetensors (every tensor in {@code dtype}) to dir. */
    Path write(Path dir, DType dtype) throws IOException {
      Files.createDirectories(dir);
      writeTensors(dir.resolve("model.safetensors"), weights, shapes, dtype);
      Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config));
      return dir;
    }
  }

  /** Writes named tensors of the given shapes to a safetensors file, all in {@code dtype}. */
  static void writeTensors(Path file, Map<String, float[]> weights, Map<String, long[]> shapes,
      DType dtype) throws IOException {
    List<TensorSpec> specs = new ArrayList<>();
    shapes.forEach((n, s) -> specs.add(new TensorSpec(n, dtype, s)));
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of("format", "pt"));
    try (SafetensorsWriter out = SafetensorsWriter.create(CheckpointFs.withDefaults(),
        new org.apache.hadoop.fs.Path(file.toUri()), layout, false)) {
      for (TensorInfo t : layout.tensors()) { // the layout's order, not ours
        float[] v = weights.get(t.name());
        out.writeFloats(v, 0, v.length);
      }
      out.commit();
    }
  }

  private final SplittableRandom random;
  private final Model model;

  private TestModels(ObjectNode config, long seed) {
    this.random = new SplittableRandom(seed);
    this.model = new Model(config);
  }

  /**
   * A llama-family model (llama, mistral, qwen2 by the config's model_type): hidden 48, 4 heads,
   * 2 key/value heads, head_dim 16 (not hidden / heads), 2 layers, vocab 61. {@code edit} may
   * change the config before tensors are generated.
   */
  static Model llama(String type, long seed, java.util.function.Consumer<ObjectNode> edit) {
    ObjectNode c = JSON.createObjectNode();
    c.put("model_type", type);
    c.put("vocab_size", 61);
    c.put("hidden_size", 48);
    c.put("intermediate_size", 72);
    c.put("num_hidden_layers", 2);
    c.put("num_attention_heads", 4);
    c.put("num_key_value_heads", 2);
    c.put("head_dim", 16);
    c.put("max_position_embeddings", 512);
    c.put("rms_norm_eps", 1e-5);
    c.put("rope_theta", 10000.0);
    c.put("tie_word_embeddings", false);
    edit.accept(c);
    TestModels g = new TestModels(c, seed);
    int h = 48;
    int q = c.get("num_attention_heads").asInt() * 16;
    int kv = c.get("num_key_value_heads").asInt() * 16;
    int inter = 72;
    boolean qwen2 = type.equals("qwen2");
    boolean attnBias = c.path("attention_bias").asBoolean(false);
    boolean mlpBias = c.path("mlp_bias").asBoolean(false);
    g.matrix("model.embed_tokens.weight", 61, h, 1.0);
    for (int l = 0; l < c.get("num_hidden_layers").asInt(); l++) {
      String p = "model.layers." + l + ".";
      g.norm(p + "input_layernorm.weight", h);
      g.linear(p + "self_attn.q_proj", q, h, qwen2 || attnBias);
      g.linear(p + "self_attn.k_proj", kv, h, qwen2 || attnBias);
      g.linear(p + "self_attn.v_proj", kv, h, qwen2 || attnBias);
      g.linear(p + "self_attn.o_proj", h, q, !qwen2 && attnBias);
      g.norm(p + "post_attention_layernorm.weight", h);
      g.linear(p + "mlp.gate_proj", inter, h, mlpBias);
      g.linear(p + "mlp.up_proj", inter, h, mlpBias);
      g.linear(p + "mlp.down_proj", h, inter, mlpBias);
    }
    g.norm("model.norm.weight", h);
    if (!c.get("tie_word_embeddings").asBoolean()) {
      g.matrix("lm_head.weight", 61, h, 1.0 / Math.sqrt(h));
    }
    return g.model;
  }

  /** A GPT-2: n_embd 32, 4 heads, 2 layers, vocab 53, 64 positions; names with the prefix. */
  static Model gpt2(String prefix, long seed, java.util.function.Consumer<ObjectNode> edit) {
    ObjectNode c = JSON.createObjectNode();
    c.put("model_type", "gpt2");
    c.put("vocab_size", 53);
    c.put("n_embd", 32);
    c.put("n_head", 4);
    c.put("n_layer", 2);
    c.put("n_positions", 64);
    c.putNull("n_inner");
    c.put("activation_function", "gelu_new");
    c.put("layer_norm_epsilon", 1e-5);
    edit.accept(c);
    TestModels g = new TestModels(c, seed);
    int h = 32;
    g.matrix(prefix + "wte.weight", 53, h, 1.0);
    g.matrix(prefix + "wpe.weight", 64, h, 0.5);
    for (int l = 0; l < 2; l++) {
      String p = prefix + "h." + l + ".";
      g.layerNorm(p + "ln_1", h);
      g.conv1d(p + "attn.c_attn", h, 3 * h);
      g.conv1d(p + "attn.c_proj", h, h);
      g.layerNorm(p + "ln_2", h);
      g.conv1d(p + "mlp.c_fc", h, 4 * h);
      g.conv1d(p + "mlp.c_proj", 4 * h, h);
    }
    g.layerNorm(prefix + "ln_f", h);
    return g.model;
  }

  /** Random values as the models' (see {@link #put}), for adapters built by tests. */
  static float[] values(int n, double scale, long seed) {
    TestModels g = new TestModels(JSON.createObjectNode(), seed);
    g.put("x", new long[] {n}, n, scale, 0);
    return g.model.weights.get("x");
  }

  /** rows × cols values of about {@code scale} magnitude, exact in BF16 and F16. */
  private void matrix(String name, int rows, int cols, double scale) {
    put(name, new long[] {rows, cols}, rows * cols, scale, 0);
  }

  private void linear(String module, int out, int in, boolean bias) {
    matrix(module + ".weight", out, in, 1.5 / Math.sqrt(in));
    if (bias) {
      put(module + ".bias", new long[] {out}, out, 0.25, 0);
    }
  }

  private void conv1d(String module, int in, int out) {
    matrix(module + ".weight", in, out, 1.5 / Math.sqrt(in));
    put(module + ".bias", new long[] {out}, out, 0.25, 0);
  }

  private void norm(String name, int n) {
    put(name, new long[] {n}, n, 0.5, 1); // 1 + k/128: still 8 significant bits
  }

  private void layerNorm(String module, int n) {
    norm(module + ".weight", n);
    put(module + ".bias", new long[] {n}, n, 0.25, 0);
  }

  /**
   * Values offset + k/64 · 2^e with k uniform in [-64, 64] and 2^e the power of two nearest to
   * scale: at most 8 significant bits, so BF16 and F16 store them exactly.
   */
  private void put(String name, long[] shape, int n, double scale, double offset) {
    double step = Math.pow(2, Math.round(Math.log(scale) / Math.log(2))) / 64;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (offset + (random.nextInt(129) - 64) * step);
    }
    model.weights.put(name, v);
    model.shapes.put(name, shape);
  }
}
