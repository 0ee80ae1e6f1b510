package dev.sparkmerge.eval.model;

/**
 * A weight matrix (n × k, nn.Linear's out × in) in the layout {@link MatMul}'s kernel reads, so
 * the forward pass packs each weight once, at load, not on every product: with the Vector API,
 * {@link GemmKernel}'s panels at this JVM's vector width; with the scalar kernel, the row-major
 * array itself (used as it is, not copied). Immutable once built.
 */
public final class PackedMatrix {
  final int n;
  final int k;
  /** GemmKernel's panels (VECTOR) or row-major n × k (SCALAR). */
  final float[] data;

  private PackedMatrix(int n, int k, float[] data) {
    this.n = n;
    this.k = k;
    this.data = data;
  }

  /**
   * Packs w (row-major n × k). The result does not share w's array with the Vector API kernel,
   * and is w itself with the scalar one, so w must not be modified afterwards either way.
   *
   * @throws IllegalArgumentException for negative sizes or w.length != n·k
   */
  public static PackedMatrix pack(float[] w, int n, int k) {
    if (n < 0 || k < 0 || (long) n * k != w.length) {
      throw new IllegalArgumentException("a " + n + " × " + k + " matrix needs " + (long) n * k
          + " values, not " + w.length);
    }
    boolean vector = MatMulSimd.KERNEL == MatMulSimd.Kernel.VECTOR;
    return new PackedMatrix(n, k, vector ? GemmKernel.packAll(w, n, k) : w);
  }

  /** Output features (rows of w). */
  public int rows() {
    return n;
  }

  /** Input features (columns of w). */
  public int columns() {
    return k;
  }

  /** Row j of w into dst[o .. o + k): how a tied embedding is looked up from the LM head. */
  void copyRow(int j, float[] dst, int o) {
    if (MatMulSimd.KERNEL == MatMulSimd.Kernel.VECTOR) {
      GemmKernel.readRow(data, k, j, dst, o);
    } else {
      System.arraycopy(data, j * k, dst, o, k);
    }
  }

  /** n·k: the matrix's values, without the padding of a partial last panel. */
  long floats() {
    return (long) n * k;
  }
}
