package dev.sparkmerge.engine;

import java.io.Serializable;
import java.util.List;

/** What a write task reports for the shard it wrote. */
public final class ShardResult implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String fileName;
  private final long length;
  private final String sha256;
  private final boolean reused;
  private final List<TensorStats> tensorStats;

  ShardResult(String fileName, long length, String sha256, boolean reused) {
    this(fileName, length, sha256, reused, List.of());
  }

  ShardResult(String fileName, long length, String sha256, boolean reused,
      List<TensorStats> tensorStats) {
    this.fileName = fileName;
    this.length = length;
    this.sha256 = sha256;
    this.reused = reused;
    this.tensorStats = List.copyOf(tensorStats);
  }

  /** Statistics of the tensors merged into this shard (empty unless collected). */
  public List<TensorStats> tensorStats() {
    return tensorStats;
  }

  public String fileName() {
    return fileName;
  }

  public long length() {
    return length;
  }

  public String sha256() {
    return sha256;
  }

  /** True when a finished shard from an earlier run was kept (resume). */
  public boolean reused() {
    return reused;
  }
}
