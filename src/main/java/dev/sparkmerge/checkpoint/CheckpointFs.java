package dev.sparkmerge.checkpoint;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Resolves user-given locations (plain local paths, file://, hdfs://, s3a://, any Hadoop URI) to a
 * file system and a qualified path. Local paths go through Hadoop's raw local file system: no
 * checksum verification on read (3–4× cheaper, reference/spark-hadoop.md §2.3) and no .crc
 * sidecar files on write.
 */
public final class CheckpointFs {
  /**
   * Hadoop setting (Spark: {@code spark.hadoop.sparkmerge.output.direct-io}): whether new local
   * output files are written with direct I/O where the file system offers it ({@link
   * DirectFileOutput}); default true. Other file systems always write through their own streams.
   */
  public static final String DIRECT_IO = "sparkmerge.output.direct-io";

  /** Largest single read call: bigger reads hit the JDK's malloc-per-read trap (spark-hadoop §2.3). */
  public static final int MAX_READ_BYTES = 16 << 20;

  private final Configuration conf;

  public CheckpointFs(Configuration conf) {
    this.conf = conf;
  }

  /** A file system view with Hadoop's default configuration (core-site.xml etc. if present). */
  public static CheckpointFs withDefaults() {
    return new CheckpointFs(new Configuration());
  }

  public Configuration conf() {
    return conf;
  }

  /** The location as a Hadoop path, qualified against its file system's working directory. */
  public Path resolve(String location) {
    Path p = new Path(location);
    return fileSystem(p).makeQualified(p);
  }

  /** The file system for a path; the raw (checksum-free) one for local files. */
  public FileSystem fileSystem(Path path) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      if (fs instanceof LocalFileSystem) {
        return ((LocalFileSystem) fs).getRawFileSystem();
      }
      return fs;
    } catch (IOException e) {
      throw new CheckpointException(path + ": cannot open its file system (" + e.getMessage()
          + "). For s3a:// put hadoop-aws on the classpath; check the URI's scheme and host.", e);
    }
  }

  /**
   * Creates a new file to be written once, front to back; fails if it exists. Local files are
   * written with direct I/O unless {@link #DIRECT_IO} is false or their file system refuses it.
   */
  public OutputStream createNew(Path path) throws IOException {
    FileSystem fs = fileSystem(path);
    if (fs instanceof RawLocalFileSystem && conf.getBoolean(DIRECT_IO, true)) {
      File file = ((RawLocalFileSystem) fs).pathToFile(path);
      fs.mkdirs(path.getParent()); // as create does
      OutputStream direct = DirectFileOutput.createOrNull(file.toPath());
      if (direct != null) {
        return direct;
      }
    }
    return fs.create(path, false);
  }

  /** The status of a path, or null if it does not exist. */
  public FileStatus statusOrNull(Path path) {
    try {
      return fileSystem(path).getFileStatus(path);
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": cannot read its status: " + e.getMessage(), e);
    }
  }

  public boolean exists(Path path) {
    return statusOrNull(path) != null;
  }

  /** Status of an existing file; a clear error if it is missing or a directory. */
  public FileStatus fileStatus(Path path, String what) {
    FileStatus st = statusOrNull(path);
    if (st == null) {
      throw new CheckpointException(path + ": " + what + " does not exist.");
    }
    if (st.isDirectory()) {
      throw new CheckpointException(path + ": " + what + " is a directory, expected a file.");
    }
    return st;
  }

  /** Reads a small file (config JSON and the like) completely. */
  public byte[] readSmallFile(Path path, String what, int maxBytes) {
    FileStatus st = fileStatus(path, what);
    if (st.getLen() > maxBytes) {
      throw new CheckpointException(path + ": " + what + " is " + st.getLen() + " bytes, larger"
          + " than the " + maxBytes + " bytes expected of it.");
    }
    byte[] data = new byte[(int) st.getLen()];
    try (var in = fileSystem(path).open(path)) {
      in.readFully(0, data, 0, data.length);
      return data;
    } catch (IOException e) {
      throw new CheckpointException(path + ": cannot read " + what + ": " + e.getMessage(), e);
    }
  }
}
