package dev.sparkmerge.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.StorageStatistics;

/**
 * How many bytes this JVM has read so far, measured twice independently so the two can check each
 * other (a merge child takes one snapshot right before the merge and one right after):
 *
 * <ul>
 *   <li>{@code rchar} of /proc/self/io: bytes returned by read-type system calls of every thread of
 *       the process, live or exited. It counts reads served from the page cache as well — which is
 *       what the grid benchmark wants, the bytes the merge asked for, not what the disk happened to
 *       deliver (inputs are deliberately cached). It also counts everything else the JVM reads in
 *       that window, chiefly classes loaded from jars for the first time, so on tiny shapes it is
 *       dominated by class loading.
 *   <li>{@code read_bytes} of /proc/self/io: bytes fetched from the block device (page-cache
 *       misses only); shows whether the inputs really were cached.
 *   <li>Hadoop's {@code bytesRead} for the {@code file} scheme (global storage statistics): the
 *       bytes read through Hadoop's local file system, i.e. the engine's input reads (and small
 *       files such as manifests), without class loading. Summed over every thread, including Spark's
 *       task threads in local mode.
 * </ul>
 *
 * <p>Any counter that is unavailable (not Linux, no local Hadoop file system used yet) is -1.
 */
final class ReadCounters {
  final long rchar;
  final long diskBytes;
  final long hadoopBytes;

  private ReadCounters(long rchar, long diskBytes, long hadoopBytes) {
    this.rchar = rchar;
    this.diskBytes = diskBytes;
    this.hadoopBytes = hadoopBytes;
  }

  static ReadCounters now() {
    long rchar = -1;
    long disk = -1;
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/io"))) {
        if (l.startsWith("rchar:")) {
          rchar = Long.parseLong(l.substring(6).trim());
        } else if (l.startsWith("read_bytes:")) {
          disk = Long.parseLong(l.substring(11).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or /proc/self/io hidden: report -1 rather than a made-up figure.
    }
    return new ReadCounters(rchar, disk, hadoopFileBytesRead());
  }

  private static long hadoopFileBytesRead() {
    StorageStatistics s = FileSystem.getGlobalStorageStatistics().get("file");
    Long v = s == null ? null : s.getLong("bytesRead");
    return v == null ? -1 : v;
  }

  /** Adds {@code <prefix>_rchar}, {@code _disk} and {@code _hadoop}: this minus {@code before}. */
  void putSince(ReadCounters before, String prefix, Map<String, Object> out) {
    out.put(prefix + "_rchar", diff(rchar, before.rchar));
    out.put(prefix + "_disk", diff(diskBytes, before.diskBytes));
    out.put(prefix + "_hadoop", diff(hadoopBytes, before.hadoopBytes));
  }

  private static long diff(long after, long before) {
    if (after < 0) {
      return -1;
    }
    // The Hadoop statistics object may first appear during the merge: it then started at 0.
    return after - Math.max(0, before);
  }
}
