package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.AdapterConfig;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.config.AdapterLister;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Lists adapter directories for an {@code adapters:} block on any Hadoop file system: a glob or
 * path is expanded; a match that holds adapter_config.json is an adapter, a directory that does
 * not is searched one level down (so {@code hdfs:///adapters/} lists the adapters inside it).
 */
public final class HadoopAdapterLister implements AdapterLister {
  private final CheckpointFs fs;

  public HadoopAdapterLister(CheckpointFs fs) {
    this.fs = fs;
  }

  @Override
  public List<String> list(String pathOrGlob) {
    Path pattern = fs.resolve(pathOrGlob);
    FileSystem fileSystem = fs.fileSystem(pattern);
    TreeSet<String> out = new TreeSet<>();
    try {
      FileStatus[] matches = fileSystem.globStatus(pattern);
      if (matches == null) {
        return List.of();
      }
      for (FileStatus m : matches) {
        if (!m.isDirectory()) {
          continue;
        }
        if (isAdapter(fileSystem, m.getPath())) {
          out.add(m.getPath().toString());
          continue;
        }
        for (FileStatus child : fileSystem.listStatus(m.getPath())) {
          if (child.isDirectory() && isAdapter(fileSystem, child.getPath())) {
            out.add(child.getPath().toString());
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot list '" + pathOrGlob + "': " + e.getMessage());
    }
    return new ArrayList<>(out);
  }

  private static boolean isAdapter(FileSystem fs, Path dir) throws IOException {
    return fs.exists(new Path(dir, AdapterConfig.FILE_NAME));
  }
}
