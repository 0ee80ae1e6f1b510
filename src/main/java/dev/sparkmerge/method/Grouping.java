package dev.sparkmerge.method;

import java.io.Serializable;

/**
 * Which elements form one vector for per-vector statistics: the whole tensor, each slice along the
 * last dimension ("rows"), or each slice along dimension 0 ("columns").
 */
final class Grouping implements Serializable {
  private static final long serialVersionUID = 1L;

  private enum Kind {
    WHOLE,
    LAST_DIM,
    FIRST_DIM
  }

  private final Kind kind;
  private final long divisor;
  final long groups;

  private Grouping(Kind kind, long divisor, long groups) {
    this.kind = kind;
    this.divisor = divisor;
    this.groups = groups;
  }

  static Grouping whole() {
    return new Grouping(Kind.WHOLE, 1, 1);
  }

  /** Slices along the last dimension: x[..., :] (rows of a 2-D weight; a 1-D tensor is one). */
  static Grouping lastDim(TensorSpec spec) {
    long len = Math.max(1, spec.rowLength());
    return new Grouping(Kind.LAST_DIM, len, spec.numel / len);
  }

  /** Slices along dimension 0: x[:, c] for every index c of the remaining dimensions. */
  static Grouping firstDim(TensorSpec spec) {
    long stride = spec.rank() == 0 || spec.dim(0) == 0 ? 1 : spec.numel / spec.dim(0);
    return new Grouping(Kind.FIRST_DIM, stride, stride);
  }

  int groupOf(long index) {
    switch (kind) {
      case LAST_DIM:
        return (int) (index / divisor);
      case FIRST_DIM:
        return (int) (index % divisor);
      default:
        return 0;
    }
  }
}
