package dev.sparkmerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.Path;

/**
 * The parts of {@code merge-manifest.json} that {@code verify} checks: the shard entries (file,
 * tensor count, byte length, SHA-256) and the total tensor count. Every malformed entry is a
 * problem of its own, so one bad line does not hide the others.
 */
final class VerifyManifest {
  static final String FILE = "merge-manifest.json";
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  /** Manifests are a few KiB per hundred shards; anything far bigger is not ours. */
  private static final int MAX_BYTES = 64 << 20;

  /** One shard as the manifest describes it. */
  record Shard(String file, long length, String sha256, long tensors) {}

  final Map<String, Shard> shards = new TreeMap<>();
  /** The manifest's total tensor count, or -1 when absent. */
  long tensors = -1;

  private VerifyManifest() {}

  /**
   * Reads the manifest; returns null (after adding the reason to {@code problems}) when it is
   * missing or not a JSON object with a "shards" array.
   */
  static VerifyManifest read(CheckpointFs fs, Path root, List<String> problems) {
    Path path = new Path(root, FILE);
    if (!fs.exists(path)) {
      problems.add(FILE + ": missing (the merge did not finish, or the file was deleted); shard"
          + " checksums cannot be checked.");
      return null;
    }
    JsonNode tree;
    try {
      tree = new ObjectMapper().readTree(fs.readSmallFile(path, FILE, MAX_BYTES));
    } catch (IOException | CheckpointException e) {
      problems.add(FILE + ": not valid JSON: " + firstLine(e.getMessage()));
      return null;
    }
    if (tree == null || !tree.isObject() || !tree.path("shards").isArray()) {
      problems.add(FILE + ": has no \"shards\" array; it was not written by sparkmerge run.");
      return null;
    }
    VerifyManifest m = new VerifyManifest();
    if (tree.path("tensors").canConvertToLong()) {
      m.tensors = tree.get("tensors").asLong();
    }
    int i = 0;
    for (JsonNode s : tree.get("shards")) {
      String where = FILE + ": shards[" + i++ + "]";
      String file = s.path("file").isTextual() ? s.get("file").asText() : null;
      if (file == null || file.isEmpty() || file.contains("/")) {
        problems.add(where + ": \"file\" is missing or not a plain file name.");
        continue;
      }
      where += " (" + file + ")";
      JsonNode len = s.path("length");
      String sha = s.path("sha256").isTextual()
          ? s.get("sha256").asText().toLowerCase(Locale.ROOT) : "";
      if (!len.canConvertToLong() || len.asLong() < 0) {
        problems.add(where + ": \"length\" is missing or not a byte count.");
      } else if (!SHA256.matcher(sha).matches()) {
        problems.add(where + ": \"sha256\" is missing or not 64 hex digits.");
      } else if (m.shards.containsKey(file)) {
        problems.add(where + ": listed twice.");
      } else {
        long tensors = s.path("tensors").canConvertToLong() ? s.get("tensors").asLong() : -1;
        m.shards.put(file, new Shard(file, len.asLong(), sha, tensors));
      }
    }
    return m;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
