package dev.sparkmerge.lora;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorSpec;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test fixtures: stand-in bases with the real tensor names and shapes of shared/models/SOURCES.md,
 * hand-built adapters, and an independent reader of adapter tensors (its own header parse and
 * little-endian decode, not the code under test).
 */
final class LoraFixtures {
  static final CheckpointFs FS = CheckpointFs.withDefaults();
  static final ObjectMapper JSON = new ObjectMapper();

  static final String GPT2_CONFIG = "{\"architectures\": [\"GPT2LMHeadModel\"],"
      + " \"model_type\": \"gpt2\", \"n_layer\": 12, \"n_embd\": 768}";
  static final String SMOLLM_CONFIG = "{\"architectures\": [\"LlamaForCausalLM\"],"
      + " \"model_type\": \"llama\", \"num_hidden_layers\": 30, \"hidden_size\": 576,"
      + " \"tie_word_embeddings\": true}";

  private LoraFixtures() {}

  static Path models() {
    Path p = Path.of(System.getProperty("sparkmerge.models", "../shared/models"));
    assumeTrue(Files.isDirectory(p), "shared/models not present");
    return p;
  }

  static Path model(String name) {
    Path p = models().resolve(name);
    assumeTrue(Files.isDirectory(p), name + " not present");
    return p;
  }

  /** GPT-2 124M names and shapes; {@code prefix} is "" (as published) or "transformer.". */
  static LinkedHashMap<String, long[]> gpt2Shapes(String prefix) {
    LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
    s.put(prefix + "wte.weight", new long[] {50257, 768});
    s.put(prefix + "wpe.weight", new long[] {1024, 768});
    for (int n = 0; n < 12; n++) {
      String h = prefix + "h." + n + ".";
      s.put(h + "ln_1.weight", new long[] {768});
      s.put(h + "ln_1.bias", new long[] {768});
      s.put(h + "attn.c_attn.weight", new long[] {768, 2304});
      s.put(h + "attn.c_attn.bias", new long[] {2304});
      s.put(h + "attn.c_proj.weight", new long[] {768, 768});
      s.put(h + "attn.c_proj.bias", new long[] {768});
      s.put(h + "ln_2.weight", new long[] {768});
      s.put(h + "ln_2.bias", new long[] {768});
      s.put(h + "mlp.c_fc.weight", new long[] {768, 3072});
      s.put(h + "mlp.c_fc.bias", new long[] {3072});
      s.put(h + "mlp.c_proj.weight", new long[] {3072, 768});
      s.put(h + "mlp.c_proj.bias", new long[] {768});
    }
    s.put(prefix + "ln_f.weight", new long[] {768});
    s.put(prefix + "ln_f.bias", new long[] {768});
    return s;
  }

  /** SmolLM-135M names and shapes; {@code prefix} "model." (CausalLM) or "" (bare LlamaModel). */
  static LinkedHashMap<String, long[]> smolShapes(String prefix) {
    LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
    s.put(prefix + "embed_tokens.weight", new long[] {49152, 576});
    for (int n = 0; n < 30; n++) {
      String l = prefix + "layers." + n + ".";
      s.put(l + "self_attn.q_proj.weight", new long[] {576, 576});
      s.put(l + "self_attn.k_proj.weight", new long[] {192, 576});
      s.put(l + "self_attn.v_proj.weight", new long[] {192, 576});
      s.put(l + "self_attn.o_proj.weight", new long[] {576, 576});
      s.put(l + "mlp.gate_proj.weight", new long[] {1536, 576});
      s.put(l + "mlp.up_proj.weight", new long[] {1536, 576});
      s.put(l + "mlp.down_proj.weight", new long[] {576, 1536});
      s.put(l + "input_layernorm.weight", new long[] {576});
      s.put(l + "post_attention_layernorm.weight", new long[] {576});
    }
    s.put(prefix + "norm.weight", new long[] {576});
    return s;
  }

  /** all-MiniLM-L6-v2's exact names, dtypes and shapes from the truncated file's intact header. */
  static List<TensorSpec> miniLmSpecs() throws IOException {
    Path file = model("negative-truncated-all-MiniLM-L6-v2").resolve("model.safetensors");
    List<TensorSpec> specs = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = rawHeader(file).fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getKey().equals("__metadata__")) {
        specs.add(new TensorSpec(e.getKey(), DType.fromCode(e.getValue().get("dtype").asText()),
            shape(e.getValue().get("shape"))));
      }
    }
    return specs;
  }

  static List<TensorSpec> specs(Map<String, long[]> shapes, DType dtype) {
    List<TensorSpec> out = new ArrayList<>();
    shapes.forEach((n, s) -> out.add(new TensorSpec(n, dtype, s)));
    return out;
  }

  /** The SmolLM-135M stand-in base (real names and shapes, bf16 zeros, its config) in dir. */
  static Path smolBase(Path dir) throws IOException {
    return zeroBase(dir, specs(smolShapes("model."), DType.BF16), SMOLLM_CONFIG);
  }

  /**
   * A stand-in base whose values are all zero: the header laid out by SafetensorsLayout, the data
   * section a sparse run of zero bytes (bit-identical to writing zeros, without writing ~500 MB;
   * mapping and ΔW never read base values).
   */
  static Path zeroBase(Path dir, List<TensorSpec> specs, String configJson) throws IOException {
    Files.createDirectories(dir);
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    byte[] header = layout.headerBytes();
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve("model.safetensors").toFile(),
        "rw")) {
      ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      prefix.putLong(header.length);
      f.write(prefix.array());
      f.write(header);
      f.setLength(layout.fileLength());
    }
    if (configJson != null) {
      Files.writeString(dir.resolve("config.json"), configJson);
    }
    return dir;
  }

  /** One tensor of a hand-built file: F32 values row-major. */
  static final class T {
    final String name;
    final long[] shape;
    final float[] values;

    T(String name, long[] shape, float[] values) {
      this.name = name;
      this.shape = shape;
      this.values = values;
    }
  }

  /** Deterministic small values k/64, k in [-64, 64], from (seed, i): exact in float. */
  static float[] values(int n, int seed) {
    float[] v = new float[n];
    long z = seed * 0x9E3779B97F4A7C15L + 12345;
    for (int i = 0; i < n; i++) {
      z += 0x9E3779B97F4A7C15L;
      long x = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
      x ^= x >>> 31;
      v[i] = (Math.floorMod(x, 129) - 64) / 64f;
    }
    return v;
  }

  static T t(String name, long[] shape, int seed) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return new T(name, shape, values((int) n, seed));
  }

  /** Writes F32 tensors into {@code dir/fileName} with SafetensorsWriter. */
  static Path writeTensors(Path dir, String fileName, List<T> tensors) throws IOException {
    Files.createDirectories(dir);
    Map<String, T> byName = new LinkedHashMap<>();
    List<TensorSpec> specs = new ArrayList<>();
    for (T t : tensors) {
      byName.put(t.name, t);
      specs.add(new TensorSpec(t.name, DType.F32, t.shape));
    }
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    try (SafetensorsWriter w = SafetensorsWriter.create(FS,
        new org.apache.hadoop.fs.Path(dir.resolve(fileName).toUri()), layout, false)) {
      for (TensorInfo info : layout.tensors()) {
        float[] v = byName.get(info.name()).values;
        w.writeFloats(v, 0, v.length);
      }
      w.commit();
    }
    return dir;
  }

  static Path writeAdapter(Path dir, String configJson, List<T> tensors) throws IOException {
    writeTensors(dir, "adapter_model.safetensors", tensors);
    Files.writeString(dir.resolve("adapter_config.json"), configJson);
    return dir;
  }

  // ---- independent reader -------------------------------------------------------------------

  static JsonNode rawHeader(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      byte[] len = new byte[8];
      f.readFully(len);
      long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
      byte[] h = new byte[(int) n];
      f.readFully(h);
      return JSON.readTree(h);
    }
  }

  static long[] shape(JsonNode a) {
    long[] s = new long[a.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = a.get(i).asLong();
    }
    return s;
  }

  /** An F32 tensor of an adapter file as doubles, read byte by byte from the file. */
  static double[] rawF32(Path file, String key) {
    try {
      JsonNode h = rawHeader(file);
      JsonNode e = h.get(key);
      if (e == null || !e.get("dtype").asText().equals("F32")) {
        throw new IllegalArgumentException(key + " is not an F32 tensor of " + file);
      }
      byte[] all = Files.readAllBytes(file);
      long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      int begin = (int) (8 + n + e.get("data_offsets").get(0).asLong());
      int end = (int) (8 + n + e.get("data_offsets").get(1).asLong());
      ByteBuffer b = ByteBuffer.wrap(all, begin, end - begin).order(ByteOrder.LITTLE_ENDIAN);
      double[] out = new double[(end - begin) / 4];
      for (int i = 0; i < out.length; i++) {
        out[i] = b.getFloat();
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * ΔW in stored orientation computed in float64 from the raw factors, plus for each element the
   * bound s·Σ_k |B[o,k]·A[k,i]| used for the float32 error tolerance.
   */
  static double[][] referenceDelta(double[] a, double[] b, int r, int in, int out, double s,
      boolean transposed) {
    double[] d = new double[in * out];
    double[] mag = new double[in * out];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        double sum = 0;
        double abs = 0;
        for (int k = 0; k < r; k++) {
          double p = b[o * r + k] * a[k * in + i];
          sum += p;
          abs += Math.abs(p);
        }
        int idx = transposed ? i * out + o : o * in + i;
        d[idx] = s * sum;
        mag[idx] = Math.abs(s) * abs;
      }
    }
    return new double[][] {d, mag};
  }
}
