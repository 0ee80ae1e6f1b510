package dev.sparkmerge.eval.model;

/**
 * The order of floating-point operations every {@link MatMul} kernel follows, written as plain
 * scalar code: the fallback where the Vector API is unavailable and the oracle the vector kernels
 * are tested against bit for bit.
 *
 * <p>One output y = Σ_t x[t]·w[t] over t &lt; k is computed as {@link #CHAINS} interleaved
 * fused-multiply-add chains: chain c sums the terms t ≡ c (mod 16) of the first
 * kMain = k − k mod 16 terms in increasing t, starting from +0. The chains are added by a halving
 * tree (c[i] += c[i + h] for h = 8, 4, 2, 1), and when k mod 16 ≠ 0 the remaining terms, summed by
 * one more fma chain from +0, are added to the tree's result. The order depends on nothing but k,
 * so an output's bits do not depend on the batch it is in, the tile or vector width that computed
 * it (16 chains are one 512-bit vector, two 256-bit or four 128-bit ones), the thread or what ran
 * before. Sixteen chains also bound the rounding error better than one: each chain carries about
 * k/16 terms.
 */
final class MatMulContract {
  /** Interleaved accumulation chains per output, fixed whatever the vector width. */
  static final int CHAINS = 16;

  private MatMulContract() {}

  /** Terms summed by the chains (the rest is the tail). */
  static int mainLength(int k) {
    return k - k % CHAINS;
  }

  /** One output: x[xo ..) · w[wo ..) over k terms, in the contract's order. */
  static float dot(float[] x, int xo, float[] w, int wo, int k) {
    float[] c = new float[CHAINS];
    int kMain = mainLength(k);
    for (int t = 0; t < kMain; t += CHAINS) {
      for (int l = 0; l < CHAINS; l++) {
        c[l] = Math.fma(x[xo + t + l], w[wo + t + l], c[l]);
      }
    }
    return withTail(tree(c, 0), x, xo, w, wo, kMain, k);
  }

  /** The halving tree over c[from .. from + 16); destroys those values. */
  static float tree(float[] c, int from) {
    for (int h = CHAINS / 2; h >= 1; h >>= 1) {
      for (int i = 0; i < h; i++) {
        c[from + i] += c[from + i + h];
      }
    }
    return c[from];
  }

  /** sum, plus the fma chain over terms [kMain, k) when there are any. */
  static float withTail(float sum, float[] x, int xo, float[] w, int wo, int kMain, int k) {
    if (kMain == k) {
      return sum;
    }
    float tail = 0f;
    for (int t = kMain; t < k; t++) {
      tail = Math.fma(x[xo + t], w[wo + t], tail);
    }
    return sum + tail;
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
