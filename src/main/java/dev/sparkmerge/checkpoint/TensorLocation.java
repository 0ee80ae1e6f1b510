package dev.sparkmerge.checkpoint;

import java.io.Serializable;

/** Where a tensor's bytes are: the shard file (a qualified Hadoop URI) and its header entry. */
public final class TensorLocation implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final long dataStart;
  private final TensorInfo info;

  public TensorLocation(String file, long dataStart, TensorInfo info) {
    this.file = file;
    this.dataStart = dataStart;
    this.info = info;
  }

  /** The shard file as a qualified URI string. */
  public String file() {
    return file;
  }

  /** Absolute position of the shard's data section (8 + N). */
  public long dataStart() {
    return dataStart;
  }

  public TensorInfo info() {
    return info;
  }

  /** Absolute file position of the tensor's first byte. */
  public long absoluteBegin() {
    return dataStart + info.begin();
  }
}
