package dev.sparkmerge.eval.model;

/**
 * The order of floating-point operations every {@link MatMul} kernel follows, written as plain
 * scalar code: the fallback where the Vector API is unavailable and the oracle the vector kernel
 * is tested against bit for bit.
 *
 * <p>One output y = Σ_t x[t]·w[t] over t &lt; k is one fused-multiply-add chain in increasing t,
 * starting from +0: s = fma(x[t], w[t], s). The order depends on nothing but k, so an output's
 * bits do not depend on the batch it is in (rows = 1 when decoding with a key/value cache, 512
 * when scoring), the tile that computed it, the vector width (128, 256, 512 bits or scalar), the
 * thread, or what ran before. The vector kernel keeps this order by putting outputs, not terms,
 * in the lanes: each lane runs one output's chain.
 */
final class MatMulContract {
  private MatMulContract() {}

  /** One output: x[xo ..) · w[wo ..) over k terms, in the contract's order. */
  static float dot(float[] x, int xo, float[] w, int wo, int k) {
    float s = 0f;
    for (int t = 0; t < k; t++) {
      s = Math.fma(x[xo + t], w[wo + t], s);
    }
    return s;
  }

  /** The whole product in the contract's order, one output at a time. */
  static void multiplyTransposed(float[] x, int rows, int k, float[] w, int n, float[] y) {
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < n; j++) {
        y[r * n + j] = dot(x, r * k, w, j * k, k);
      }
    }
  }
}
