package dev.sparkmerge.testutil;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A small Llama-shaped Hugging Face model directory, written to any Hadoop path through our own
 * {@link SafetensorsWriter}. Every element is {@link #value(String, long, DType)} of its tensor
 * name and flat index, so tests can check any range they read without storing the weights.
 *
 * <pre>{@code
 * GeneratedModel m = GeneratedModel.llama().layers(2).hidden(64).shards(3).dtype(DType.BF16);
 * m.writeTo(fs, new Path("hdfs://127.0.0.1:9000/models/a"));
 * float expected = GeneratedModel.value("model.norm.weight", 5, DType.BF16);
 * }</pre>
 *
 * <p>Settings are fluent and mutate this object; the defaults make a model of about 100 KB.
 */
public final class GeneratedModel {
  /** The non-weight files every generated directory gets (besides config.json). */
  public static final List<String> OTHER_FILES =
      List.of("generation_config.json", "tokenizer.json", "tokenizer_config.json");

  private static final String[] ATTENTION = {"q_proj", "k_proj", "v_proj", "o_proj"};
  private static final String[] MLP = {"gate_proj", "up_proj", "down_proj"};
  private static final int WRITE_CHUNK = 1 << 16;

  private int layers = 2;
  private int hidden = 32;
  private int intermediate = 88;
  private int vocab = 301;
  private int heads = 4;
  private int kvHeads = 2;
  private int shards = 1;
  private boolean tied = true;
  private DType dtype = DType.BF16;

  private GeneratedModel() {}

  /** A model with the defaults: 2 layers, hidden 32, vocab 301, BF16, tied, one file. */
  public static GeneratedModel llama() {
    return new GeneratedModel();
  }

  public GeneratedModel layers(int n) {
    this.layers = n;
    return this;
  }

  public GeneratedModel hidden(int n) {
    this.hidden = n;
    return this;
  }

  public GeneratedModel intermediate(int n) {
    this.intermediate = n;
    return this;
  }

  public GeneratedModel vocab(int n) {
    this.vocab = n;
    return this;
  }

  /**
   * Attention heads and key/value heads (grouped-query attention when kv &lt; heads); call after
   * {@link #hidden(int)}, whose value they must divide.
   */
  public GeneratedModel heads(int heads, int kvHeads) {
    if (hidden % heads != 0 || heads % kvHeads != 0) {
      throw new IllegalArgumentException("heads must divide hidden and kv heads must divide heads");
    }
    this.heads = heads;
    this.kvHeads = kvHeads;
    return this;
  }

  /** Number of shard files; 1 writes a single {@code model.safetensors} without an index. */
  public GeneratedModel shards(int n) {
    this.shards = n;
    return this;
  }

  /** Tied: no {@code lm_head.weight} stored and {@code tie_word_embeddings: true}. */
  public GeneratedModel tied(boolean t) {
    this.tied = t;
    return this;
  }

  /** BF16, F16 or F32. */
  public GeneratedModel dtype(DType d) {
    significantBits(d);
    this.dtype = d;
    return this;
  }

  public int layers() {
    return layers;
  }

  public int hidden() {
    return hidden;
  }

  public int intermediate() {
    return intermediate;
  }

  public int vocab() {
    return vocab;
  }

  public int shardCount() {
    return shards;
  }

  public boolean isTied() {
    return tied;
  }

  public DType dtype() {
    return dtype;
  }

  /** Key/value projection width: kvHeads * head dim. */
  public int kvDim() {
    return kvHeads * (hidden / heads);
  }

  // ---------------------------------------------------------------------------------------------
  // The values
  // ---------------------------------------------------------------------------------------------

  /**
   * The element at flat index {@code index} of tensor {@code name}: a hash of both, reduced to a
   * value that {@code dtype} holds exactly, so encoding it never rounds. The value is k / 2^s for an
   * integer k with as many significant bits as the dtype has (8 for BF16, 11 for F16, 24 for F32),
   * which lies in [-4, 4) and is never subnormal.
   */
  public static float value(String name, long index, DType dtype) {
    int bits = significantBits(dtype);
    long h = mix(name.hashCode() * 0x9E3779B97F4A7C15L + index);
    long k = (h >>> (64 - bits)) - (1L << (bits - 1)); // in [-2^(bits-1), 2^(bits-1))
    return k / (float) (1L << (bits - 3)); // division by a power of two: exact
  }

  /** Fills {@code dst[off .. off+count)} with the values of elements {@code first ..}. */
  public static void fill(String name, DType dtype, long first, float[] dst, int off, int count) {
    for (int i = 0; i < count; i++) {
      dst[off + i] = value(name, first + i, dtype);
    }
  }

  /** Index of the first element of {@code got[off .. off+count)} that differs, or -1. */
  public static long firstMismatch(String name, DType dtype, long first, float[] got, int off,
      int count) {
    for (int i = 0; i < count; i++) {
      if (Float.floatToRawIntBits(got[off + i])
          != Float.floatToRawIntBits(value(name, first + i, dtype))) {
        return first + i;
      }
    }
    return -1;
  }

  private static int significantBits(DType d) {
    switch (d) {
      case BF16:
        return 8;
      case F16:
        return 11;
      case F32:
        return 24;
      default:
        throw new IllegalArgumentException("generated models use BF16, F16 or F32, not " + d);
    }
  }

  /** The splitmix64 finaliser: a well-mixed 64-bit hash of a 64-bit input. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  // ---------------------------------------------------------------------------------------------
  // The layout
  // ---------------------------------------------------------------------------------------------

  /** Every stored tensor, in Hugging Face module order (embedding, layers, final norm, head). */
  public List<TensorSpec> tensors() {
    List<TensorSpec> out = new ArrayList<>();
    out.add(spec("model.embed_tokens.weight", vocab, hidden));
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      out.add(spec(p + "input_layernorm.weight", hidden));
      out.add(spec(p + "self_attn.q_proj.weight", hidden, hidden));
      out.add(spec(p + "self_attn.k_proj.weight", kvDim(), hidden));
      out.add(spec(p + "self_attn.v_proj.weight", kvDim(), hidden));
      out.add(spec(p + "self_attn.o_proj.weight", hidden, hidden));
      out.add(spec(p + "post_attention_layernorm.weight", hidden));
      out.add(spec(p + "mlp.gate_proj.weight", intermediate, hidden));
      out.add(spec(p + "mlp.up_proj.weight", intermediate, hidden));
      out.add(spec(p + "mlp.down_proj.weight", hidden, intermediate));
    }
    out.add(spec("model.norm.weight", hidden));
    if (!tied) {
      out.add(spec("lm_head.weight", vocab, hidden));
    }
    return out;
  }

  private TensorSpec spec(String name, long... shape) {
    return new TensorSpec(name, dtype, shape);
  }

  /** The shard file names: {@code model-00001-of-0000K.safetensors}..., or model.safetensors. */
  public List<String> shardFiles() {
    List<String> names = new ArrayList<>();
    if (shards == 1) {
      names.add("model.safetensors");
    } else {
      for (int i = 1; i <= shards; i++) {
        names.add(String.format("model-%05d-of-%05d.safetensors", i, shards));
      }
    }
    return names;
  }

  /**
   * Tensor name → file holding it. Tensors are dealt to shards in module order, tensor j of n
   * going to shard floor(j * K / n): contiguous groups, none empty.
   */
  public Map<String, String> weightMap() {
    List<TensorSpec> all = tensors();
    if (all.size() < shards) {
      throw new IllegalStateException(all.size() + " tensors cannot fill " + shards + " shards");
    }
    List<String> files = shardFiles();
    Map<String, String> map = new LinkedHashMap<>();
    for (int j = 0; j < all.size(); j++) {
      map.put(all.get(j).name(), files.get((int) ((long) j * shards / all.size())));
    }
    return map;
  }

  public long totalParameters() {
    long n = 0;
    for (TensorSpec s : tensors()) {
      n += numel(s);
    }
    return n;
  }

  /** Sum of tensor data bytes (the index's {@code total_size}). */
  public long totalBytes() {
    return totalParameters() * dtype.byteSize();
  }

  private static long numel(TensorSpec s) {
    long n = 1;
    for (long d : s.shape()) {
      n *= d;
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Writing
  // ---------------------------------------------------------------------------------------------

  /** Writes the whole directory (created if missing) and returns it. */
  public Path writeTo(CheckpointFs fs, Path dir) {
    FileSystem fileSystem = fs.fileSystem(dir);
    try {
      fileSystem.mkdirs(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> weightMap = weightMap();
    for (String file : shardFiles()) {
      List<TensorSpec> inFile = new ArrayList<>();
      for (TensorSpec s : tensors()) {
        if (weightMap.get(s.name()).equals(file)) {
          inFile.add(s);
        }
      }
      writeSafetensors(fs, new Path(dir, file), inFile);
    }
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    if (shards > 1) {
      ObjectNode index = json.createObjectNode();
      ObjectNode meta = index.putObject("metadata");
      meta.put("total_size", totalBytes());
      meta.put("total_parameters", totalParameters());
      ObjectNode map = index.putObject("weight_map");
      new TreeMap<>(weightMap).forEach(map::put);
      writeText(fileSystem, new Path(dir, "model.safetensors.index.json"), json, index);
    }
    writeText(fileSystem, new Path(dir, "config.json"), json, config(json));
    ObjectNode gen = json.createObjectNode();
    gen.put("bos_token_id", 1);
    gen.put("eos_token_id", 2);
    writeText(fileSystem, new Path(dir, "generation_config.json"), json, gen);
    ObjectNode tokCfg = json.createObjectNode();
    tokCfg.put("tokenizer_class", "PreTrainedTokenizerFast");
    tokCfg.put("model_max_length", 2048);
    writeText(fileSystem, new Path(dir, "tokenizer_config.json"), json, tokCfg);
    ObjectNode tok = json.createObjectNode();
    tok.put("version", "1.0");
    tok.putObject("model").put("type", "BPE");
    writeText(fileSystem, new Path(dir, "tokenizer.json"), json, tok);
    return dir;
  }

  private ObjectNode config(ObjectMapper json) {
    ObjectNode c = json.createObjectNode();
    ArrayNode arch = c.putArray("architectures");
    arch.add("LlamaForCausalLM");
    c.put("model_type", "llama");
    c.put("hidden_size", hidden);
    c.put("intermediate_size", intermediate);
    c.put("num_hidden_layers", layers);
    c.put("num_attention_heads", heads);
    c.put("num_key_value_heads", kvHeads);
    c.put("vocab_size", vocab);
    c.put("rms_norm_eps", 1e-5);
    c.put("tie_word_embeddings", tied);
    c.put("torch_dtype", dtype == DType.BF16 ? "bfloat16" : dtype == DType.F16 ? "float16"
        : "float32");
    return c;
  }

  /** One safetensors file with the given tensors, values streamed from {@link #value}. */
  public static void writeSafetensors(CheckpointFs fs, Path file, List<TensorSpec> specs) {
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Collections.emptyMap());
    float[] buf = new float[WRITE_CHUNK];
    try (SafetensorsWriter w = SafetensorsWriter.create(fs, file, layout, false)) {
      for (TensorInfo t : layout.tensors()) {
        long n = t.numel();
        for (long done = 0; done < n; ) {
          int c = (int) Math.min(buf.length, n - done);
          fill(t.name(), t.dtype(), done, buf, 0, c);
          w.writeFloats(buf, 0, c);
          done += c;
        }
      }
      w.commit();
    }
  }

  private static void writeText(FileSystem fs, Path path, ObjectMapper json, ObjectNode node) {
    try (FSDataOutputStream out = fs.create(path, true)) {
      out.write((json.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": " + e.getMessage(), e);
    }
  }
}
