package dev.sparkmerge.checkpoint;

/** Overflow-checked arithmetic on tensor shapes. */
public final class Shapes {
  private Shapes() {}

  /** Product of the dimensions (1 for a scalar); throws ArithmeticException on overflow. */
  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Elements per row of the row-major layout: product of dims 1..rank-1 (1 for rank ≤ 1). */
  public static long rowLength(long[] shape) {
    long n = 1;
    for (int i = 1; i < shape.length; i++) {
      n = Math.multiplyExact(n, shape[i]);
    }
    return n;
  }

  /** Bytes for {@code numel} elements of {@code dtype}, or -1 when the bit count is not whole bytes. */
  public static long byteSize(DType dtype, long numel) {
    long bits = Math.multiplyExact(numel, (long) dtype.bits());
    return bits % 8 == 0 ? bits / 8 : -1;
  }
}
