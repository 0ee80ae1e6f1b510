package dev.sparkmerge.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The output directory of a merge and its bookkeeping: per-shard manifests under
 * {@code _manifests/} (written by the task after its shard), the {@code _SUCCESS} marker written
 * last by the driver, and small text files.
 */
final class OutputDir {
  static final String SUCCESS = "_SUCCESS";
  static final String MANIFESTS = "_manifests";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CheckpointFs fs;
  private final Path root;

  OutputDir(CheckpointFs fs, Path root) {
    this.fs = fs;
    this.root = root;
  }

  Path root() {
    return root;
  }

  Path file(String name) {
    return new Path(root, name);
  }

  private FileSystem fileSystem() {
    return fs.fileSystem(root);
  }

  boolean isComplete() {
    return fs.exists(file(SUCCESS));
  }

  /** True when the directory exists and holds anything. */
  boolean existsNonEmpty() {
    try {
      return fs.exists(root) && fileSystem().listStatus(root).length > 0;
    } catch (IOException e) {
      throw new CheckpointException(root + ": cannot list: " + e.getMessage(), e);
    }
  }

  /** Creates the directory itself (for a grid's root, which holds no shards). */
  void createRoot() {
    try {
      fileSystem().mkdirs(root);
    } catch (IOException e) {
      throw new CheckpointException(root + ": cannot create the output directory: "
          + e.getMessage(), e);
    }
  }

  void create() {
    try {
      fileSystem().mkdirs(new Path(root, MANIFESTS));
    } catch (IOException e) {
      throw new CheckpointException(root + ": cannot create the output directory: "
          + e.getMessage(), e);
    }
  }

  /** Writes a shard's manifest: its plan fingerprint, length and checksum. */
  void writeManifest(ShardResult r, String fingerprint) {
    ObjectNode m = JSON.createObjectNode();
    m.put("shard", r.fileName());
    m.put("fingerprint", fingerprint);
    m.put("length", r.length());
    m.put("sha256", r.sha256());
    writeText(new Path(new Path(root, MANIFESTS), r.fileName() + ".json"), m.toPrettyString());
  }

  /**
   * Shards finished by an earlier run of the same plan: the data file exists with the planned
   * length and its manifest carries the same fingerprint. One listing of each directory.
   */
  Map<String, ShardResult> finishedShards(Map<String, String> fingerprints,
      Map<String, Long> lengths) {
    Map<String, ShardResult> done = new HashMap<>();
    try {
      if (!fs.exists(root) || !fs.exists(new Path(root, MANIFESTS))) {
        return done;
      }
      Map<String, Long> present = new HashMap<>();
      for (FileStatus st : fileSystem().listStatus(root)) {
        present.put(st.getPath().getName(), st.getLen());
      }
      for (FileStatus st : fileSystem().listStatus(new Path(root, MANIFESTS))) {
        String name = st.getPath().getName();
        if (!name.endsWith(".json")) {
          continue;
        }
        String shard = name.substring(0, name.length() - ".json".length());
        if (!fingerprints.containsKey(shard)) {
          continue;
        }
        ObjectNode m = (ObjectNode) JSON.readTree(
            fs.readSmallFile(st.getPath(), "shard manifest", 1 << 20));
        long length = m.path("length").asLong(-1);
        if (fingerprints.get(shard).equals(m.path("fingerprint").asText())
            && Long.valueOf(length).equals(present.get(shard))
            && length == lengths.get(shard)) {
          done.put(shard, new ShardResult(shard, length, m.path("sha256").asText(), true));
        }
      }
      return done;
    } catch (IOException e) {
      throw new CheckpointException(root + ": cannot read earlier progress: " + e.getMessage(), e);
    }
  }

  void writeText(Path path, String text) {
    try (OutputStream out = fileSystem().create(path, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new CheckpointException(path + ": cannot write: " + e.getMessage(), e);
    }
  }

  /** Deletes everything in the directory (for --overwrite). */
  void deleteAll() {
    try {
      for (FileStatus st : fileSystem().listStatus(root)) {
        fileSystem().delete(st.getPath(), true);
      }
    } catch (IOException e) {
      throw new CheckpointException(root + ": cannot clear the output directory: "
          + e.getMessage(), e);
    }
  }

  void delete(String name) {
    try {
      fileSystem().delete(file(name), true);
    } catch (IOException e) {
      throw new CheckpointException(file(name) + ": cannot delete: " + e.getMessage(), e);
    }
  }

  /** Removes temporary files of attempts that died (hidden ".<shard>.inprogress-*" files). */
  void removeAbandonedTempFiles() {
    try {
      for (FileStatus st : fileSystem().listStatus(root)) {
        if (st.getPath().getName().startsWith(".") && st.getPath().getName().contains(
            ".inprogress-")) {
          fileSystem().delete(st.getPath(), false);
        }
      }
    } catch (IOException e) {
      throw new CheckpointException(root + ": cannot clean up: " + e.getMessage(), e);
    }
  }

  /** Copies a small file (tokenizer, generation config) from another location. */
  void copyFrom(Path source, String name) {
    byte[] data = fs.readSmallFile(source, name, 512 << 20);
    try (OutputStream out = fileSystem().create(file(name), true)) {
      out.write(data);
    } catch (IOException e) {
      throw new CheckpointException(file(name) + ": cannot write: " + e.getMessage(), e);
    }
  }
}
