package dev.sparkmerge.eval.model;

/**
 * The forward pass's matrix products. Layouts are row-major and match nn.Linear: an activation
 * block x is rows × k, a weight w is n × k (one row per output feature), and the product is
 * y = x · wᵀ, rows × n. Sums run in float32 (as PyTorch's float32 matmul does); the order of
 * additions may differ from PyTorch's, so results agree to float32 rounding, not bit for bit.
 */
public final class MatMul {
  private MatMul() {}

  /**
   * y[r·n + j] = Σ_k x[r·k + t] · w[j·k + t] for r &lt; rows, j &lt; n (y is overwritten).
   * Thread-safe; uses the calling thread only.
   */
  public static void multiplyTransposed(float[] x, int rows, int k, float[] w, int n, float[] y) {
    for (int r = 0; r < rows; r++) {
      int xo = r * k;
      for (int j = 0; j < n; j++) {
        int wo = j * k;
        float s = 0f;
        for (int t = 0; t < k; t++) {
          s += x[xo + t] * w[wo + t];
        }
        y[r * n + j] = s;
      }
    }
  }
}
