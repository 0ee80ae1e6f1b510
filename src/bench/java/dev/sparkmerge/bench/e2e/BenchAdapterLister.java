package dev.sparkmerge.bench.e2e;

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
 * Expands the {@code adapters:} block's paths for the benchmark children, with the rules of the
 * CLI's lister (package-private in {@code cli}, so not callable from here): a glob or path is
 * expanded on its Hadoop file system; a match holding adapter_config.json is an adapter, another
 * directory is searched one level down; results sorted.
 */
final class BenchAdapterLister implements AdapterLister {
  private final CheckpointFs fs;

  BenchAdapterLister(CheckpointFs fs) {
    this.fs = fs;
  }

  @Override
  public List<String> list(String pathOrGlob) {
    Path pattern = fs.resolve(pathOrGlob);
    FileSystem fileSystem = fs.fileSystem(pattern);
    TreeSet<String> out = new TreeSet<>();
    try {
      FileStatus[] matches = fileSystem.globStatus(pattern);
      for (FileStatus m : matches == null ? new FileStatus[0] : matches) {
        if (!m.isDirectory()) {
          continue;
        }
        if (fileSystem.exists(new Path(m.getPath(), AdapterConfig.FILE_NAME))) {
          out.add(m.getPath().toString());
          continue;
        }
        for (FileStatus child : fileSystem.listStatus(m.getPath())) {
          if (child.isDirectory()
              && fileSystem.exists(new Path(child.getPath(), AdapterConfig.FILE_NAME))) {
            out.add(child.getPath().toString());
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot list '" + pathOrGlob + "': " + e.getMessage());
    }
    return new ArrayList<>(out);
  }
}
