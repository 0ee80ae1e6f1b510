package dev.sparkmerge.bench.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Deterministic synthetic PEFT LoRA adapters for a {@link BenchShape}, as PEFT's
 * {@code save_pretrained} lays them out: {@code adapter_config.json} (r = 16, lora_alpha = 32,
 * all seven Llama projections) and {@code adapter_model.safetensors} with keys
 * {@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} (r × in) and
 * {@code ...lora_B.weight} (out × r). F32 by default, because PEFT upcasts adapter weights to
 * float32 before training and saves them so (reference/peft-lora.md §2.1); BF16 on request.
 *
 * <p>Values are streamed from a counter hash of (adapter, tensor, element), so any adapter can be
 * generated alone and nothing is held per tensor: A ~ U(±1/√in), PEFT's own kaiming-uniform
 * initialisation bound for A, and B ~ U(±0.01), a trained-looking B (PEFT starts B at zero). With
 * s = 2 an update element is about 3e-4, a few bf16 ulps of the synthetic base's weights: large
 * enough that TIES' trimming and sign election see real values.
 *
 * <p>Adapters are cached as {@code DIR/<shape>/lora-r16-<dtype>/lora-NNN}, each written under a
 * temporary name and renamed when complete, with a stamp recording what was generated; only
 * missing or stale ones are regenerated.
 */
final class SyntheticAdapters {
  static final int RANK = 16;
  static final int ALPHA = 32;
  static final String[] TARGETS = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
      "up_proj", "down_proj"};
  private static final Pattern TARGET = Pattern.compile(
      "(model\\.layers\\.\\d+\\.(?:self_attn|mlp)\\.(?:q|k|v|o|gate|up|down)_proj)\\.weight");
  private static final String PREFIX = "base_model.model.";
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final float B_BOUND = 0.01f;

  private SyntheticAdapters() {}

  /** One adapted module: its path in the base model and its base weight's out × in. */
  static final class Module {
    final String path;
    final long out;
    final long in;

    Module(String path, long out, long in) {
      this.path = path;
      this.out = out;
      this.in = in;
    }
  }

  /** The modules every adapter targets: each layer's seven projections, in module order. */
  static List<Module> modules(BenchShape shape) {
    List<Module> out = new ArrayList<>();
    for (TensorSpec t : shape.tensors()) {
      Matcher m = TARGET.matcher(t.name());
      if (m.matches()) {
        out.add(new Module(m.group(1), t.shape()[0], t.shape()[1]));
      }
    }
    return out;
  }

  /** Elements of the base weights the adapters update (Σ out·in over the targeted modules). */
  static long targetedElements(BenchShape shape) {
    long n = 0;
    for (Module m : modules(shape)) {
      n += m.out * m.in;
    }
    return n;
  }

  static String adapterName(int k) {
    return String.format(Locale.ROOT, "lora-%03d", k);
  }

  /**
   * Makes sure adapters 0 .. count-1 exist for the shape, generating missing ones in parallel.
   * Returns their directories in order.
   */
  static List<Path> ensure(Path dir, BenchShape shape, int count, DType dtype, int threads)
      throws Exception {
    Path setDir = dir.toAbsolutePath().resolve(shape.name).resolve("lora-r" + RANK + "-"
        + dtype.name().toLowerCase(Locale.ROOT));
    Files.createDirectories(setDir);
    String signature = "v1 " + shape.signature() + " r=" + RANK + " alpha=" + ALPHA + " "
        + dtype;
    List<Path> adapters = new ArrayList<>();
    List<Integer> missing = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      adapters.add(setDir.resolve(adapterName(k)));
      Path stamp = setDir.resolve("." + adapterName(k) + ".complete");
      if (!Files.isDirectory(adapters.get(k)) || !Files.exists(stamp)
          || !Files.readString(stamp).equals(signature)) {
        missing.add(k);
      }
    }
    if (missing.isEmpty()) {
      return adapters;
    }
    System.out.printf("Generating %d adapter(s) (r=%d, %s) into %s ...%n", missing.size(), RANK,
        dtype, setDir);
    long t0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int k : missing) {
        jobs.add(pool.submit(() -> {
          Path tmp = setDir.resolve("." + adapterName(k) + ".generating");
          SyntheticModels.deleteRecursively(tmp);
          write(shape, k, dtype, tmp);
          Path target = setDir.resolve(adapterName(k));
          SyntheticModels.deleteRecursively(target);
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
          Files.writeString(setDir.resolve("." + adapterName(k) + ".complete"), signature);
          return null;
        }));
      }
      for (Future<?> f : jobs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.printf(Locale.ROOT, "Generated in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    return adapters;
  }

  /** Writes adapter {@code k} of the shape as a PEFT adapter directory at {@code dir}. */
  static void write(BenchShape shape, int k, DType dtype, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<TensorSpec> specs = new ArrayList<>();
    for (Module m : modules(shape)) {
      specs.add(new TensorSpec(PREFIX + m.path + ".lora_A.weight", dtype,
          new long[] {RANK, m.in}));
      specs.add(new TensorSpec(PREFIX + m.path + ".lora_B.weight", dtype,
          new long[] {m.out, RANK}));
    }
    writeSafetensors(dir.resolve("adapter_model.safetensors"), specs, k, dtype);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode c = json.createObjectNode();
    // The fields PEFT writes for a plain LoRA; the reader takes r, alpha and the flags.
    c.put("peft_type", "LORA");
    c.put("task_type", "CAUSAL_LM");
    c.put("base_model_name_or_path", "synthetic/" + shape.name);
    c.put("r", RANK);
    c.put("lora_alpha", ALPHA);
    c.put("lora_dropout", 0.05);
    ArrayNode targets = c.putArray("target_modules");
    for (String t : TARGETS) {
      targets.add(t);
    }
    c.put("bias", "none");
    c.put("fan_in_fan_out", false);
    c.put("use_rslora", false);
    c.put("use_dora", false);
    c.put("init_lora_weights", true);
    c.putNull("modules_to_save");
    c.putObject("rank_pattern");
    c.putObject("alpha_pattern");
    c.put("inference_mode", true);
    Files.writeString(dir.resolve("adapter_config.json"), json.writeValueAsString(c) + "\n");
  }

  private static void writeSafetensors(Path file, List<TensorSpec> specs, int k, DType dtype)
      throws IOException {
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    int width = dtype.byteSize();
    ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      byte[] header = layout.headerBytes();
      buf.putLong(header.length).put(header);
      for (TensorInfo t : layout.tensors()) {
        long seed = SyntheticModels.tensorSeed(adapterName(k) + "/" + t.name());
        boolean isA = t.name().endsWith(".lora_A.weight");
        float bound = isA ? (float) (1 / Math.sqrt(t.dim(1))) : B_BOUND;
        long n = t.numel();
        for (long i = 0; i < n; i++) {
          if (buf.remaining() < width) {
            flush(ch, buf);
          }
          float v = value(seed, i, bound);
          if (dtype == DType.F32) {
            buf.putFloat(v);
          } else if (dtype == DType.BF16) {
            int f = Float.floatToRawIntBits(v);
            buf.putShort((short) ((f + 0x7FFF + ((f >>> 16) & 1)) >>> 16)); // nearest even
          } else {
            throw new IllegalArgumentException("adapter dtype must be F32 or BF16: " + dtype);
          }
        }
      }
      flush(ch, buf);
      if (ch.size() != layout.fileLength()) {
        throw new IllegalStateException(file + ": wrote " + ch.size() + " bytes, expected "
            + layout.fileLength());
      }
    }
  }

  /** Element {@code i}: uniform in [-bound, bound) from the top 24 bits of a counter hash. */
  static float value(long tensorSeed, long i, float bound) {
    long h = SyntheticModels.mix(tensorSeed + i * GOLDEN);
    return ((int) (h >>> 40) - (1 << 23)) * 0x1p-23f * bound;
  }

  private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
    buf.flip();
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
    buf.clear();
  }
}
