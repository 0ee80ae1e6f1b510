package dev.sparkmerge.checkpoint;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * A Hugging Face model: a directory with {@code model.safetensors} or shards listed in
 * {@code model.safetensors.index.json}, plus {@code config.json} and tokenizer/generation files —
 * or a single .safetensors file. Opening reads headers and small JSON files only, and validates the
 * index against the shards: every shard exists, every tensor is where the index says, no tensor is
 * in two shards.
 */
public final class HfModel {
  public static final String SINGLE_FILE = "model.safetensors";
  public static final String CONFIG_FILE = "config.json";

  /** Names the input embedding has in common architectures, for resolving a tied lm_head. */
  private static final String[] INPUT_EMBEDDING_NAMES = {
      "model.embed_tokens.weight", "transformer.wte.weight", "wte.weight",
      "model.decoder.embed_tokens.weight", "gpt_neox.embed_in.weight",
      "transformer.word_embeddings.weight", "embed_tokens.weight",
      "model.language_model.embed_tokens.weight"};
  private static final String LM_HEAD = "lm_head.weight";

  private final Path root;
  private final boolean directory;
  private final ModelConfig config;
  private final ShardIndex index;
  private final Map<String, SafetensorsHeader> shards;
  private final LinkedHashMap<String, TensorLocation> tensors;
  private final List<String> otherFiles;

  private HfModel(Path root, boolean directory, ModelConfig config, ShardIndex index,
      Map<String, SafetensorsHeader> shards, LinkedHashMap<String, TensorLocation> tensors,
      List<String> otherFiles) {
    this.root = root;
    this.directory = directory;
    this.config = config;
    this.index = index;
    this.shards = shards;
    this.tensors = tensors;
    this.otherFiles = otherFiles;
  }

  /** Opens a model directory or a single .safetensors file at any Hadoop location. */
  public static HfModel open(CheckpointFs fs, String location) {
    Path path = fs.resolve(location);
    FileStatus st = fs.statusOrNull(path);
    if (st == null) {
      throw new CheckpointException(location + ": no such file or directory.");
    }
    if (!st.isDirectory()) {
      SafetensorsHeader h = SafetensorsFile.readHeader(fs, path);
      Map<String, SafetensorsHeader> shards = new TreeMap<>();
      shards.put(path.getName(), h);
      return new HfModel(path, false, null, null, shards, locate(path, h),
          Collections.emptyList());
    }
    List<String> names = listFileNames(fs, path);
    ModelConfig config = names.contains(CONFIG_FILE)
        ? new ModelConfig(JsonFiles.readObject(fs, new Path(path, CONFIG_FILE), "config.json"))
        : null;
    Map<String, SafetensorsHeader> shards = new TreeMap<>();
    LinkedHashMap<String, TensorLocation> tensors = new LinkedHashMap<>();
    ShardIndex index = null;
    if (names.contains(ShardIndex.FILE_NAME)) {
      index = ShardIndex.read(fs, new Path(path, ShardIndex.FILE_NAME));
      readShards(fs, path, index, names, shards, tensors);
    } else if (names.contains(SINGLE_FILE)) {
      Path file = new Path(path, SINGLE_FILE);
      SafetensorsHeader h = SafetensorsFile.readHeader(fs, file);
      shards.put(SINGLE_FILE, h);
      tensors.putAll(locate(file, h));
    } else {
      throw new CheckpointException(path + ": no " + SINGLE_FILE + " or " + ShardIndex.FILE_NAME
          + " in this directory" + legacyHint(names) + ".");
    }
    List<String> other = new ArrayList<>();
    for (String n : names) {
      if (!isWeightFile(n) && !n.equals(CONFIG_FILE) && !n.startsWith(".") && !n.startsWith("_")) {
        other.add(n);
      }
    }
    return new HfModel(path, true, config, index, shards, tensors, other);
  }

  private static String legacyHint(List<String> names) {
    for (String n : names) {
      if (n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth")) {
        return " (found " + n + ", a pickle checkpoint: convert it to safetensors first)";
      }
      if (n.equals("adapter_config.json")) {
        return " (it is a PEFT adapter directory, not a full model)";
      }
    }
    return " (is this a model directory?)";
  }

  private static boolean isWeightFile(String n) {
    return n.endsWith(".safetensors") || n.equals(ShardIndex.FILE_NAME) || n.endsWith(".bin")
        || n.endsWith(".bin.index.json") || n.endsWith(".pt") || n.endsWith(".pth");
  }

  private static void readShards(CheckpointFs fs, Path dir, ShardIndex index, List<String> names,
      Map<String, SafetensorsHeader> shards, LinkedHashMap<String, TensorLocation> tensors) {
    Path indexPath = new Path(dir, ShardIndex.FILE_NAME);
    List<String> missing = new ArrayList<>();
    for (String shard : index.shardNames()) {
      if (!names.contains(shard)) {
        missing.add(shard);
      }
    }
    if (!missing.isEmpty()) {
      throw new CheckpointException(indexPath + ": the index names shard file(s) " + missing
          + " that are not in the directory. Copy the missing shards or fix the index.");
    }
    Map<String, String> holder = new TreeMap<>();
    for (String shard : index.shardNames()) {
      Path file = new Path(dir, shard);
      SafetensorsHeader h = SafetensorsFile.readHeader(fs, file);
      shards.put(shard, h);
      for (String t : h.tensors().keySet()) {
        String previous = holder.put(t, shard);
        if (previous != null) {
          throw new CheckpointException(dir + ": tensor '" + t + "' is stored in two shards, "
              + previous + " and " + shard + ".");
        }
        String expected = index.weightMap().get(t);
        if (expected == null) {
          throw new CheckpointException(file + ": holds tensor '" + t + "', which "
              + ShardIndex.FILE_NAME + " does not list. The index and shards disagree.");
        }
      }
    }
    for (Map.Entry<String, String> e : index.weightMap().entrySet()) {
      SafetensorsHeader h = shards.get(e.getValue());
      if (!h.contains(e.getKey())) {
        throw new CheckpointException(indexPath + ": says tensor '" + e.getKey() + "' is in "
            + e.getValue() + ", but that shard does not contain it"
            + (holder.containsKey(e.getKey()) ? " (it is in " + holder.get(e.getKey()) + ")" : "")
            + ". The index and shards disagree.");
      }
      Path file = new Path(dir, e.getValue());
      tensors.put(e.getKey(), new TensorLocation(file.toString(), h.dataStart(),
          h.tensor(e.getKey())));
    }
  }

  private static LinkedHashMap<String, TensorLocation> locate(Path file, SafetensorsHeader h) {
    LinkedHashMap<String, TensorLocation> out = new LinkedHashMap<>();
    for (TensorInfo t : h.tensors().values()) {
      out.put(t.name(), new TensorLocation(file.toString(), h.dataStart(), t));
    }
    return out;
  }

  private static List<String> listFileNames(CheckpointFs fs, Path dir) {
    try {
      List<String> names = new ArrayList<>();
      for (FileStatus s : fs.fileSystem(dir).listStatus(dir)) {
        if (s.isFile()) {
          names.add(s.getPath().getName());
        }
      }
      Collections.sort(names);
      return names;
    } catch (IOException e) {
      throw new CheckpointException(dir + ": cannot list the directory: " + e.getMessage(), e);
    }
  }

  public Path root() {
    return root;
  }

  /** True for a model directory, false for a single file given directly. */
  public boolean isDirectory() {
    return directory;
  }

  /** config.json, or null when the model is a bare file or the directory has none. */
  public ModelConfig config() {
    return config;
  }

  public boolean isSharded() {
    return index != null;
  }

  /** Shard file name → validated header, sorted by name. */
  public Map<String, SafetensorsHeader> shards() {
    return Collections.unmodifiableMap(shards);
  }

  /** Every stored tensor by name (index order for sharded models, header order otherwise). */
  public Map<String, TensorLocation> tensors() {
    return Collections.unmodifiableMap(tensors);
  }

  /** Files to copy to a merged model: tokenizer, generation config, etc. (not weights/config). */
  public List<String> otherFiles() {
    return Collections.unmodifiableList(otherFiles);
  }

  /**
   * Finds a tensor by name. A missing {@code lm_head.weight} resolves to the input embedding when
   * the model ties them: through a safetensors alias record (reference §6.2) or through
   * {@code tie_word_embeddings} in config.json. Returns null if the tensor is not there.
   */
  public TensorLocation find(String name) {
    TensorLocation direct = tensors.get(name);
    if (direct != null) {
      return direct;
    }
    for (SafetensorsHeader h : shards.values()) {
      String alias = h.metadata().get(name);
      if (alias != null && tensors.containsKey(alias)) {
        return tensors.get(alias);
      }
    }
    if (name.equals(LM_HEAD) && (config == null || config.tieWordEmbeddings())) {
      for (String embed : INPUT_EMBEDDING_NAMES) {
        if (tensors.containsKey(embed)) {
          return tensors.get(embed);
        }
      }
    }
    return null;
  }

  /** Like {@link #find} but a missing tensor is an error naming the model. */
  public TensorLocation require(String name) {
    TensorLocation t = find(name);
    if (t == null) {
      throw new CheckpointException(root + ": the model has no tensor '" + name + "'"
          + (name.equals(LM_HEAD) && config != null && !config.tieWordEmbeddings()
              ? " (config.json sets tie_word_embeddings to false, so it is not the embedding)"
              : "") + ".");
    }
    return t;
  }

  /** Sum of tensor bytes over all shards. */
  public long totalTensorBytes() {
    long total = 0;
    for (TensorLocation t : tensors.values()) {
      total += t.info().byteLength();
    }
    return total;
  }
}
