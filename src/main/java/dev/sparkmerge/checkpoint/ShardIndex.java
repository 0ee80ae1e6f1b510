package dev.sparkmerge.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.fs.Path;

/**
 * {@code model.safetensors.index.json}: which shard file holds each tensor
 * (reference/safetensors.md §3.2). Shard names are validated as bare file names ending in
 * .safetensors; {@code metadata.total_size} is informational and not checked.
 */
public final class ShardIndex {
  public static final String FILE_NAME = "model.safetensors.index.json";

  private final LinkedHashMap<String, String> weightMap;
  private final Map<String, String> metadata;

  private ShardIndex(LinkedHashMap<String, String> weightMap, Map<String, String> metadata) {
    this.weightMap = weightMap;
    this.metadata = metadata;
  }

  static ShardIndex read(CheckpointFs fs, Path path) {
    ObjectNode root = JsonFiles.readObject(fs, path, "the shard index");
    JsonNode map = root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new CheckpointException(path + ": the shard index has no 'weight_map' object.");
    }
    LinkedHashMap<String, String> weightMap = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new CheckpointException(path + ": weight_map entry '" + e.getKey()
            + "' must be a shard file name (a string).");
      }
      String shard = e.getValue().asText();
      checkShardName(path, e.getKey(), shard);
      weightMap.put(e.getKey(), shard);
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    JsonNode meta = root.get("metadata");
    if (meta != null && meta.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        metadata.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText()
            : e.getValue().toString());
      }
    }
    return new ShardIndex(weightMap, metadata);
  }

  private static void checkShardName(Path index, String tensor, String shard) {
    boolean bad = shard.isEmpty() || shard.contains("/") || shard.contains("\\")
        || shard.equals("..") || shard.equals(".") || shard.contains(":")
        || !shard.endsWith(".safetensors");
    if (bad) {
      throw new CheckpointException(index + ": weight_map maps tensor '" + tensor + "' to '"
          + shard + "'; shard names must be plain file names in the same directory ending in"
          + " .safetensors.");
    }
  }

  /** Tensor name → shard file name, in index order. */
  public Map<String, String> weightMap() {
    return java.util.Collections.unmodifiableMap(weightMap);
  }

  /** The distinct shard file names, sorted. */
  public TreeSet<String> shardNames() {
    return new TreeSet<>(weightMap.values());
  }

  public Map<String, String> metadata() {
    return java.util.Collections.unmodifiableMap(metadata);
  }
}
