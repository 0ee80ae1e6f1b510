package dev.sparkmerge.testutil;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny Llama-named model on local disk whose values depend on a per-model salt, so several
 * "fine-tunes" of one shape differ. Every value is a multiple of 1/128 in [-1, 1] — exact in BF16
 * (8 significant bits) and F32 — and is {@link #value(String, String, long)} of (salt, tensor name, flat index), so
 * tests compute expected merges in float64 without reading the inputs back.
 */
public final class TinyModel {
  public static final int HIDDEN = 8;
  public static final int LAYERS = 3;
  public static final int VOCAB = 13;

  private TinyModel() {}

  /**
   * Writes the quick-start models of jobs/models: a base and two "fine-tunes" (BF16).
   * Run: {@code java -cp target/test-classes:target/classes:<classpath> ...TinyModel jobs/models}
   */
  public static void main(String[] args) throws IOException {
    Path root = Path.of(args[0]);
    for (String salt : new String[] {"tiny-base", "tiny-ft-a", "tiny-ft-b"}) {
      write(root.resolve(salt), salt, DType.BF16);
    }
  }

  /** Tensor names and shapes of the tiny model (untied: lm_head present). */
  public static Map<String, long[]> shapes() {
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("model.embed_tokens.weight", new long[] {VOCAB, HIDDEN});
    for (int l = 0; l < LAYERS; l++) {
      String p = "model.layers." + l + ".";
      s.put(p + "input_layernorm.weight", new long[] {HIDDEN});
      s.put(p + "self_attn.q_proj.weight", new long[] {HIDDEN, HIDDEN});
      s.put(p + "self_attn.v_proj.weight", new long[] {HIDDEN / 2, HIDDEN});
      s.put(p + "mlp.down_proj.weight", new long[] {HIDDEN, 2 * HIDDEN});
    }
    s.put("model.norm.weight", new long[] {HIDDEN});
    s.put("lm_head.weight", new long[] {VOCAB, HIDDEN});
    return s;
  }

  /** The value of element {@code index} of tensor {@code name} in the model with this salt. */
  public static float value(String salt, String name, long index) {
    long h = mix(salt.hashCode() * 0x9E3779B97F4A7C15L ^ name.hashCode() * 0xC2B2AE3D27D4EB4FL
        ^ index * 0x165667B19E3779F9L);
    long k = Math.floorMod(h, 257) - 128; // -128 .. 128
    return k / 128f;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Writes the model (one model.safetensors, config.json, tokenizer files) into {@code dir}. */
  public static Path write(Path dir, String salt, DType dtype) throws IOException {
    Files.createDirectories(dir);
    List<TensorSpec> specs = new ArrayList<>();
    shapes().forEach((n, s) -> specs.add(new TensorSpec(n, dtype, s)));
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    CheckpointFs fs = CheckpointFs.withDefaults();
    try (SafetensorsWriter w = SafetensorsWriter.create(fs,
        new org.apache.hadoop.fs.Path(dir.resolve("model.safetensors").toUri()), layout, false)) {
      for (TensorInfo t : layout.tensors()) {
        float[] v = new float[(int) t.numel()];
        for (int i = 0; i < v.length; i++) {
          v[i] = value(salt, t.name(), i);
        }
        w.writeFloats(v, 0, v.length);
      }
      w.commit();
    }
    Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"],"
        + " \"model_type\": \"llama\", \"num_hidden_layers\": " + LAYERS
        + ", \"hidden_size\": " + HIDDEN + ", \"tie_word_embeddings\": false,"
        + " \"torch_dtype\": \"bfloat16\"}\n", StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("tokenizer.json"), "{\"salt\": \"" + salt + "\"}\n");
    Files.writeString(dir.resolve("tokenizer_config.json"), "{}\n");
    return dir;
  }
}
