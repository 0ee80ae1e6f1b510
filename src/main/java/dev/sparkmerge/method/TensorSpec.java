package dev.sparkmerge.method;

import java.io.Serializable;
import java.util.Arrays;

/**
 * What a kernel is told about the tensor it merges: its output name, its (already cropped) shape,
 * how many non-base models have it, whether a base tensor is supplied, whether the architecture
 * marks it optional, and the job's seed for the counter-based generator.
 */
public final class TensorSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  public final String name;
  private final long[] shape;
  public final long numel;
  public final int modelCount;
  public final boolean hasBase;
  public final boolean optional;
  public final long seed;

  public TensorSpec(
      String name, long[] shape, int modelCount, boolean hasBase, boolean optional, long seed) {
    if (modelCount < 0) {
      throw new IllegalArgumentException("modelCount < 0");
    }
    this.name = name;
    this.shape = shape.clone();
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    this.numel = n;
    this.modelCount = modelCount;
    this.hasBase = hasBase;
    this.optional = optional;
    this.seed = seed;
  }

  /** A required tensor with a base, the common case in tests. */
  public static TensorSpec of(String name, long[] shape, int modelCount, boolean hasBase, long seed) {
    return new TensorSpec(name, shape, modelCount, hasBase, false, seed);
  }

  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int i) {
    return shape[i];
  }

  /** Length of the last dimension (1 for a scalar); a 1-D tensor is one row. */
  public long rowLength() {
    return shape.length == 0 ? 1 : shape[shape.length - 1];
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
