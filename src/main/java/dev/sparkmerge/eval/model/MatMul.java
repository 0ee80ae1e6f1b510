package dev.sparkmerge.eval.model;

/**
 * The forward pass's matrix products. Layouts are row-major and match nn.Linear: an activation
 * block x is rows × k, a weight w is n × k (one row per output feature), and the product is
 * y = x · wᵀ, rows × n. Sums run in float32 (as PyTorch's float32 matmul does); the order of
 * additions differs from PyTorch's, so results agree to float32 rounding, not bit for bit.
 *
 * <p>Every output is computed in the fixed order of {@link MatMulContract} (one fma chain in
 * increasing k), so results are deterministic and a row's values are the same
 * whether it is computed alone (KV-cache decoding, rows = 1) or in a batch of 512 (scoring), on
 * 128-, 256- or 512-bit vectors or none.
 */
public final class MatMul {
  private MatMul() {}

  /**
   * y[r·n + j] = Σ_t x[r·k + t] · w[j·k + t] for r &lt; rows, j &lt; n (y is overwritten).
   * Thread-safe; uses the calling thread only.
   */
  public static void multiplyTransposed(float[] x, int rows, int k, float[] w, int n, float[] y) {
    if (rows < 0 || k < 0 || n < 0) {
      throw new IllegalArgumentException("negative size: rows=" + rows + " k=" + k + " n=" + n);
    }
    if ((long) rows * k > x.length || (long) n * k > w.length || (long) rows * n > y.length) {
      throw new IllegalArgumentException("arrays too short for rows=" + rows + " k=" + k + " n="
          + n + ": x " + x.length + ", w " + w.length + ", y " + y.length);
    }
    if (rows == 0 || n == 0) {
      return;
    }
    if (MatMulSimd.KERNEL == MatMulSimd.Kernel.VECTOR) {
      GemmKernel.multiplyTransposed(x, rows, k, w, n, y);
    } else {
      MatMulContract.multiplyTransposed(x, rows, k, w, n, y);
    }
  }

  /**
   * The same product with w packed beforehand ({@link PackedMatrix#pack}): k = w.columns(),
   * n = w.rows(). The forward pass's entry point; same bits as the raw-array form.
   */
  public static void multiplyTransposed(float[] x, int rows, PackedMatrix w, float[] y) {
    int k = w.k;
    int n = w.n;
    if (rows < 0) {
      throw new IllegalArgumentException("negative rows: " + rows);
    }
    if ((long) rows * k > x.length || (long) rows * n > y.length) {
      throw new IllegalArgumentException("arrays too short for rows=" + rows + " k=" + k + " n="
          + n + ": x " + x.length + ", y " + y.length);
    }
    if (rows == 0 || n == 0) {
      return;
    }
    if (MatMulSimd.KERNEL == MatMulSimd.Kernel.VECTOR) {
      GemmKernel.multiplyPacked(x, rows, k, w.data, n, y);
    } else {
      MatMulContract.multiplyTransposed(x, rows, k, w.data, n, y);
    }
  }

  /** Which kernel runs here (e.g. "Vector API, 512-bit (16 float lanes)"), for reports. */
  public static String kernel() {
    return MatMulSimd.describe();
  }
}
