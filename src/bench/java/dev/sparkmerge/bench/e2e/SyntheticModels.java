package dev.sparkmerge.bench.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Deterministic synthetic Llama checkpoints in bf16: a base model and fine-tunes that are the base
 * plus small, model-specific deltas. Values are streamed from a counter hash of (tensor, element
 * index, model), never held per tensor, and written straight as bf16 bits, so every stored value
 * is exactly what was generated.
 *
 * <ul>
 *   <li>Base, matrices: sign × 2^-e × (1 + m/128) with e uniform in 5..12 and a 7-bit mantissa
 *       m, i.e. magnitudes 2.4e-4 .. 0.06, log-uniform, like trained weights. Norm weights lie in
 *       [0.5, 2).
 *   <li>Fine-tune k ≥ 1: bf16(base + shared + own_k), where shared (common to all fine-tunes)
 *       and own_k are ±2^-e × (1 + m/128) with e in 10..13 (1.2e-4 .. 2e-3): a dense task
 *       vector of a few bf16 ulps per element (cosine(base, fine-tune) ≈ 0.998; about 3% of the
 *       elements round back to the base value) whose signs agree between two fine-tunes for
 *       about 64% of the elements, so TIES' trimming and sign election have real work to do.
 * </ul>
 *
 * <p>Models are written as Hugging Face directories (config.json, tokenizer stubs, one
 * model.safetensors or shards with an index) under a temporary name, renamed when complete, so
 * an interrupted generation is regenerated next time.
 */
final class SyntheticModels {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final int BUFFER_BYTES = 8 << 20;

  private SyntheticModels() {}

  /** The directory name of model {@code k}: 0 is the base, 1.. the fine-tunes. */
  static String modelName(int k) {
    return k == 0 ? "base" : "ft" + k;
  }

  /**
   * Makes sure {@code dir/<shape>/base, ft1 .. ftN} exist for this shape, generating the missing
   * ones in parallel (one thread per core). Returns the model directories, base first.
   */
  static List<Path> ensure(Path dir, BenchShape shape, int fineTunes, long maxShardBytes,
      int threads) throws Exception {
    Path shapeDir = dir.toAbsolutePath().resolve(shape.name);
    Files.createDirectories(shapeDir);
    String signature = shape.signature() + " shard=" + maxShardBytes;
    List<Path> models = new ArrayList<>();
    List<Integer> missing = new ArrayList<>();
    for (int k = 0; k <= fineTunes; k++) {
      Path m = shapeDir.resolve(modelName(k));
      models.add(m);
      Path stamp = shapeDir.resolve("." + modelName(k) + ".complete");
      if (!Files.isDirectory(m) || !Files.exists(stamp)
          || !Files.readString(stamp).equals(signature)) {
        missing.add(k);
      }
    }
    if (missing.isEmpty()) {
      return models;
    }
    System.out.printf("Generating %d model(s) of %s into %s ...%n", missing.size(), shape,
        shapeDir);
    long t0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int k : missing) {
        jobs.add(pool.submit(() -> {
          Path tmp = shapeDir.resolve("." + modelName(k) + ".generating");
          deleteRecursively(tmp);
          write(shape, k, tmp, maxShardBytes);
          Path target = shapeDir.resolve(modelName(k));
          deleteRecursively(target);
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
          Files.writeString(shapeDir.resolve("." + modelName(k) + ".complete"), signature);
          return null;
        }));
      }
      for (Future<?> f : jobs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf("Generated in %.1f s (%.2f GB/s written)%n", s,
        missing.size() * shape.parameters() * 2 / 1e9 / s);
    return models;
  }

  /** Writes model {@code k} of the shape as a Hugging Face directory at {@code dir}. */
  static void write(BenchShape shape, int k, Path dir, long maxShardBytes) throws IOException {
    Files.createDirectories(dir);
    List<List<TensorSpec>> shards = shard(shape.tensors(), maxShardBytes);
    Map<String, String> weightMap = new TreeMap<>();
    long total = 0;
    for (int s = 0; s < shards.size(); s++) {
      String file = shards.size() == 1 ? "model.safetensors"
          : String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
      for (TensorSpec t : shards.get(s)) {
        weightMap.put(t.name(), file);
      }
      total += writeSafetensors(dir.resolve(file), shards.get(s), k);
    }
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    if (shards.size() > 1) {
      ObjectNode index = json.createObjectNode();
      index.putObject("metadata").put("total_size", total);
      ObjectNode map = index.putObject("weight_map");
      weightMap.forEach(map::put);
      writeJson(dir.resolve("model.safetensors.index.json"), json, index);
    }
    ObjectNode c = json.createObjectNode();
    c.putArray("architectures").add("LlamaForCausalLM");
    c.put("model_type", "llama");
    c.put("hidden_size", shape.hidden);
    c.put("intermediate_size", shape.intermediate);
    c.put("num_hidden_layers", shape.layers);
    c.put("num_attention_heads", shape.heads);
    c.put("num_key_value_heads", shape.kvHeads);
    c.put("vocab_size", shape.vocab);
    c.put("max_position_embeddings", 2048);
    c.put("rms_norm_eps", 1e-5);
    c.put("hidden_act", "silu");
    c.put("tie_word_embeddings", false);
    c.put("torch_dtype", "bfloat16");
    writeJson(dir.resolve("config.json"), json, c);
    ObjectNode gen = json.createObjectNode();
    gen.put("bos_token_id", 1);
    gen.put("eos_token_id", 2);
    writeJson(dir.resolve("generation_config.json"), json, gen);
    ObjectNode tokCfg = json.createObjectNode();
    tokCfg.put("tokenizer_class", "PreTrainedTokenizerFast");
    tokCfg.put("model_max_length", 2048);
    writeJson(dir.resolve("tokenizer_config.json"), json, tokCfg);
    ObjectNode tok = json.createObjectNode();
    tok.put("version", "1.0");
    tok.putObject("model").put("type", "BPE");
    writeJson(dir.resolve("tokenizer.json"), json, tok);
  }

  /** Consecutive groups in module order, each at most maxBytes (one tensor per group at least). */
  private static List<List<TensorSpec>> shard(List<TensorSpec> all, long maxBytes) {
    List<List<TensorSpec>> out = new ArrayList<>();
    List<TensorSpec> cur = new ArrayList<>();
    long bytes = 0;
    for (TensorSpec t : all) {
      long b = numel(t) * 2;
      if (!cur.isEmpty() && bytes + b > maxBytes) {
        out.add(cur);
        cur = new ArrayList<>();
        bytes = 0;
      }
      cur.add(t);
      bytes += b;
    }
    out.add(cur);
    return out;
  }

  /** Streams one safetensors file; returns its data bytes. */
  private static long writeSafetensors(Path file, List<TensorSpec> specs, int k)
      throws IOException {
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      byte[] header = layout.headerBytes();
      buf.putLong(header.length).put(header);
      for (TensorInfo t : layout.tensors()) {
        long seed = tensorSeed(t.name());
        boolean norm = t.shape().length == 1;
        long n = t.numel();
        for (long i = 0; i < n; ) {
          if (buf.remaining() < 2) {
            flush(ch, buf);
          }
          int count = (int) Math.min(n - i, buf.remaining() / 2);
          int pos = buf.position();
          for (int j = 0; j < count; j++) {
            buf.putShort(pos + 2 * j, bits(seed, norm, i + j, k));
          }
          buf.position(pos + 2 * count);
          i += count;
        }
      }
      flush(ch, buf);
      if (ch.size() != layout.fileLength()) {
        throw new IllegalStateException(file + ": wrote " + ch.size() + " bytes, expected "
            + layout.fileLength());
      }
    }
    return layout.dataBytes();
  }

  private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
    buf.flip();
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
    buf.clear();
  }

  /**
   * The bf16 bits of element {@code i} of a tensor in model {@code k} (0 = base). One 64-bit hash
   * per element feeds every model: bits 53..63 make the base value, 43..52 the shared delta, and
   * 10 more bits per fine-tune (43 - 10k .. 52 - 10k for k ≤ 3; a second hash beyond) its own
   * delta, so each model costs one hash per element and any model can be generated alone.
   */
  static short bits(long tensorSeed, boolean norm, long i, int k) {
    long h = mix(tensorSeed + i * GOLDEN);
    int mant = (int) (h >>> 53) & 0x7F;
    int base;
    if (norm) {
      // [0.5, 2): biased exponent 126 or 127, positive.
      base = ((126 + (int) (h >>> 63)) << 7) | mant;
    } else {
      // ±2^-e × (1 + m/128), e in 5..12.
      base = ((int) (h >>> 63) << 15) | ((127 - 5 - ((int) (h >>> 60) & 7)) << 7) | mant;
    }
    if (k == 0) {
      return (short) base;
    }
    int ownField = k <= 3 ? (int) (h >>> (43 - 10 * k)) : (int) (mix(h + k) >>> 54);
    float v = Float.intBitsToFloat(base << 16) + small((int) (h >>> 43)) + small(ownField);
    int f = Float.floatToRawIntBits(v);
    return (short) ((f + 0x7FFF + ((f >>> 16) & 1)) >>> 16); // round to nearest even
  }

  /** From the low 10 bits of {@code b}: ±2^-e × (1 + m/128) with e in 10..13. */
  private static float small(int b) {
    int sign = (b >>> 9) & 1;
    int exp = 127 - 10 - ((b >>> 7) & 3);
    return Float.intBitsToFloat((sign << 31) | (exp << 23) | ((b & 0x7F) << 16));
  }

  /** The element value as a float (for checks). */
  static float value(String tensor, boolean norm, long i, int k) {
    return Float.intBitsToFloat((bits(tensorSeed(tensor), norm, i, k) & 0xFFFF) << 16);
  }

  static long tensorSeed(String name) {
    long h = 0xCBF29CE484222325L; // FNV-1a 64
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xFF)) * 0x100000001B3L;
    }
    return mix(h);
  }

  /** The splitmix64 finaliser. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static long numel(TensorSpec t) {
    long n = 1;
    for (long d : t.shape()) {
      n *= d;
    }
    return n;
  }

  private static void writeJson(Path p, ObjectMapper json, ObjectNode node) throws IOException {
    Files.writeString(p, json.writeValueAsString(node) + "\n");
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(q);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
