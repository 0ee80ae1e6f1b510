package dev.sparkmerge.checkpoint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * A PEFT LoRA adapter directory: {@code adapter_config.json} and {@code adapter_model.safetensors}
 * (reference/peft-lora.md §1–§2). Keys are parsed by PEFT's grammar into LoRA modules (A/B pairs
 * with their scale) and full tensors ({@code modules_to_save}, saved biases, saved embeddings),
 * which replace base tensors on merge. Only headers are read.
 */
public final class PeftAdapter {
  public static final String WEIGHTS_FILE = "adapter_model.safetensors";
  static final String PREFIX = "base_model.model.";

  private final Path dir;
  private final AdapterConfig config;
  private final SafetensorsHeader header;
  private final Map<String, LoraModule> modules;
  private final Map<String, TensorInfo> fullTensors;

  private PeftAdapter(Path dir, AdapterConfig config, SafetensorsHeader header,
      Map<String, LoraModule> modules, Map<String, TensorInfo> fullTensors) {
    this.dir = dir;
    this.config = config;
    this.header = header;
    this.modules = modules;
    this.fullTensors = fullTensors;
  }

  /** True if the location is a directory holding adapter_config.json. */
  public static boolean isAdapterDirectory(CheckpointFs fs, Path dir) {
    FileStatus st = fs.statusOrNull(dir);
    return st != null && st.isDirectory() && fs.exists(new Path(dir, AdapterConfig.FILE_NAME));
  }

  public static PeftAdapter open(CheckpointFs fs, String location) {
    Path dir = fs.resolve(location);
    Path configPath = new Path(dir, AdapterConfig.FILE_NAME);
    Path weights = new Path(dir, WEIGHTS_FILE);
    if (!fs.exists(configPath)) {
      throw new CheckpointException(dir + ": no " + AdapterConfig.FILE_NAME + "; a PEFT adapter"
          + " directory needs it next to " + WEIGHTS_FILE + ".");
    }
    AdapterConfig config = AdapterConfig.read(fs, configPath);
    if (!fs.exists(weights)) {
      boolean legacy = fs.exists(new Path(dir, "adapter_model.bin"));
      throw new CheckpointException(dir + ": no " + WEIGHTS_FILE
          + (legacy ? " (only the legacy pickle adapter_model.bin: re-save the adapter with a"
              + " current PEFT, which writes safetensors)" : "") + ".");
    }
    SafetensorsHeader header = SafetensorsFile.readHeader(fs, weights);
    Map<String, LoraModule> modules = new TreeMap<>(NaturalOrder.INSTANCE);
    Map<String, TensorInfo> full = new LinkedHashMap<>();
    parseKeys(weights.toString(), config, header, modules, full);
    return new PeftAdapter(dir, config, header, Collections.unmodifiableMap(modules),
        Collections.unmodifiableMap(full));
  }

  /** The parts of one module's factors, collected while walking the keys. */
  private static final class Parts {
    TensorInfo a;
    TensorInfo b;
    TensorInfo bias;
    TensorInfo magnitude;
    boolean embedding;
  }

  private static void parseKeys(String file, AdapterConfig config, SafetensorsHeader header,
      Map<String, LoraModule> modules, Map<String, TensorInfo> full) {
    Map<String, Parts> parts = new TreeMap<>(NaturalOrder.INSTANCE);
    for (TensorInfo t : header.tensors().values()) {
      String key = t.name().startsWith(PREFIX) ? t.name().substring(PREFIX.length()) : t.name();
      LoraKey k = LoraKey.parse(key);
      if (k == null) {
        full.put(stripBaseLayer(key), t);
        continue;
      }
      Parts p = parts.computeIfAbsent(stripBaseLayer(k.modulePath()), x -> new Parts());
      switch (k.leaf()) {
        case A: p.a = t; break;
        case B: p.b = t; break;
        case EMBEDDING_A: p.a = t; p.embedding = true; break;
        case EMBEDDING_B: p.b = t; p.embedding = true; break;
        case B_BIAS: p.bias = t; break;
        case MAGNITUDE: p.magnitude = t; break;
        default: throw new IllegalStateException(k.leaf().toString());
      }
    }
    for (Map.Entry<String, Parts> e : parts.entrySet()) {
      modules.put(e.getKey(), toModule(file, config, e.getKey(), e.getValue()));
    }
  }

  private static LoraModule toModule(String file, AdapterConfig config, String path, Parts p) {
    if (p.a == null || p.b == null) {
      throw new CheckpointException(file + ": module '" + path + "' has "
          + (p.a == null ? "lora_B but no lora_A" : "lora_A but no lora_B")
          + "; the adapter file is incomplete.");
    }
    if (p.a.rank() != 2 || p.b.rank() != 2) {
      throw new CheckpointException(file + ": module '" + path + "' has factors of shape "
          + p.a.shapeString() + " and " + p.b.shapeString() + "; only 2-D (Linear, Conv1D,"
          + " Embedding) LoRA factors are supported.");
    }
    long rank = p.a.dim(0);
    if (p.b.dim(1) != rank) {
      throw new CheckpointException(file + ": module '" + path + "': lora_A " + p.a.shapeString()
          + " has rank " + rank + " but lora_B " + p.b.shapeString() + " has " + p.b.dim(1)
          + " columns; they must agree.");
    }
    int configRank = config.rankFor(path);
    if (configRank != rank) {
      throw new CheckpointException(file + ": module '" + path + "' has rank " + rank
          + " in its tensors but adapter_config.json resolves r = " + configRank
          + " for it (check r and rank_pattern).");
    }
    return new LoraModule(path, p.embedding, p.a, p.b, p.bias, p.magnitude, configRank,
        config.alphaFor(path), config.scaleFor(path));
  }

  /** Removes {@code .base_layer} segments, which appear when PEFT wrappers nest (reference §2.4). */
  static String stripBaseLayer(String path) {
    return path.replace(".base_layer.", ".").replaceAll("\\.base_layer$", "");
  }

  public Path dir() {
    return dir;
  }

  public AdapterConfig config() {
    return config;
  }

  public SafetensorsHeader header() {
    return header;
  }

  /** LoRA modules by module path (relative to the base model), sorted. */
  public Map<String, LoraModule> modules() {
    return modules;
  }

  /** Full tensors (modules_to_save, biases, saved embeddings) by key without the prefix. */
  public Map<String, TensorInfo> fullTensors() {
    return fullTensors;
  }

  /** The leaf names of the adapted modules (q_proj, c_attn, ...), sorted. */
  public List<String> targetLeafNames() {
    java.util.TreeSet<String> leaves = new java.util.TreeSet<>();
    for (String m : modules.keySet()) {
      leaves.add(m.substring(m.lastIndexOf('.') + 1));
    }
    return List.copyOf(leaves);
  }
}
