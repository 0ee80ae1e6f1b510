package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import java.io.Closeable;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * Open shard files of one side of a diff. Tensors are visited in name order, which mostly follows
 * the shards, so a few open files avoid reopening (and re-validating) a shard per tensor without
 * holding a stream per shard of a model with hundreds of them.
 */
final class DiffFiles implements Closeable {
  private static final int MAX_OPEN = 4;

  private final CheckpointFs fs;
  private final LinkedHashMap<String, SafetensorsFile> open = new LinkedHashMap<>(8, 0.75f, true);

  DiffFiles(CheckpointFs fs) {
    this.fs = fs;
  }

  SafetensorsFile get(String file) {
    SafetensorsFile f = open.get(file);
    if (f == null) {
      if (open.size() >= MAX_OPEN) {
        Iterator<Map.Entry<String, SafetensorsFile>> eldest = open.entrySet().iterator();
        eldest.next().getValue().close();
        eldest.remove();
      }
      f = SafetensorsFile.open(fs, new Path(file));
      open.put(file, f);
    }
    return f;
  }

  @Override
  public void close() {
    open.values().forEach(SafetensorsFile::close);
    open.clear();
  }
}
